"""`python -m photofind` runs the command line (and, without a command, the app)."""

from __future__ import annotations

import sys

from photofind.cli import main

if __name__ == "__main__":
    sys.exit(main())

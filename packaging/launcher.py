"""The bundle's entry point: the `photofind` command (no arguments opens the app window)."""

import multiprocessing
import sys

from photofind.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())

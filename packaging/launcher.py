"""The bundle's entry point, run as `photofind` (the CLI) or `photofind-gui` (the app window).

`photofind` alone also opens the window; `photofind-gui` passes its arguments (image paths from
"Open with") to the app as the pip-installed `photofind-gui` script does.
"""

import multiprocessing
import os
import sys
from pathlib import Path


def utf8_locale() -> None:
    """What python3 itself does (PEP 538) and the frozen interpreter does not: with no locale
    set at all, run in C.UTF-8, so Qt does not warn that it switched to it on stderr."""
    names = ("LC_ALL", "LC_CTYPE", "LANG")
    if sys.platform.startswith("linux") and not any(os.environ.get(n) for n in names):
        os.environ["LC_CTYPE"] = "C.UTF-8"


def main() -> int:
    utf8_locale()
    if Path(sys.argv[0]).stem.lower() == "photofind-gui":
        from photofind.gui.app import main as gui_main

        return int(gui_main(sys.argv) or 0)
    from photofind.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())

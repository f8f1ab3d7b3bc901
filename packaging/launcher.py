"""The bundle's entry point, run as `photofind` (the CLI) or `photofind-gui` (the app window).

`photofind` alone also opens the window; `photofind-gui` passes its arguments (image paths from
"Open with") to the app as the pip-installed `photofind-gui` script does.
"""

import multiprocessing
import sys
from pathlib import Path


def main() -> int:
    if Path(sys.argv[0]).stem.lower() == "photofind-gui":
        from photofind.gui.app import main as gui_main

        return int(gui_main(sys.argv) or 0)
    from photofind.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())

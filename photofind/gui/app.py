"""Starting the desktop app: application metadata, palette, the main window."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from photofind.appinfo import (
    APP_DISPLAY_NAME,
    APP_ID,
    ORGANIZATION,
    ORGANIZATION_DOMAIN,
    VERSION,
    resource_path,
)
from photofind.clip.formats import IMAGE_SUFFIXES
from photofind.gui.binding_guard import guard_none
from photofind.gui.palette import follow_system

log = logging.getLogger(__name__)


def create_app(argv: list[str] | None = None) -> QApplication:
    """The one QApplication, named and iconed; every window, test and script starts here."""
    guard_none()
    existing = QApplication.instance()
    app = (
        existing
        if isinstance(existing, QApplication)
        else QApplication(argv if argv is not None else sys.argv)
    )
    app.setApplicationName(APP_DISPLAY_NAME)
    app.setApplicationDisplayName(APP_DISPLAY_NAME)
    app.setOrganizationName(ORGANIZATION)
    app.setOrganizationDomain(ORGANIZATION_DOMAIN)
    app.setApplicationVersion(VERSION)
    app.setDesktopFileName(APP_ID)
    icon = resource_path("icons/photofind.svg")
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    follow_system(app)  # light or dark, as the system is set
    return app


def main(argv: list[str] | None = None) -> int:
    """The library and model come from PHOTOFIND_HOME / PHOTOFIND_MODEL (set by the CLI)."""
    from photofind import logs
    from photofind.gui.main_window import MainWindow
    from photofind.session import open_session

    # PHOTOFIND_LOG=INFO also logs each search's outcome (the bundle's smoke test reads it).
    level = logging.getLevelName(os.environ.get("PHOTOFIND_LOG", "WARNING").upper())
    logs.setup(console=level if isinstance(level, int) else logging.WARNING)  # + the log file
    app = create_app(argv)
    from photofind.gui.preferences import Preferences

    threads = Preferences.load().threads or None
    window = MainWindow(lambda: open_session(threads=threads))
    window.search_finished.connect(
        lambda: log.info("search %r: %s", window.search_field.text(), window.hint.text() or "-")
    )
    for arg in app.arguments()[1:]:  # "Open with photofind" passes image paths
        path = Path(arg)
        if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file():
            window.search_on_open(path)
            break
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())

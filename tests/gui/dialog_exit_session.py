"""One launch of the window that opens the preview and the Models dialog, closes each while
its work runs, then quits at once, still within a decode: it must exit 0, quietly.

    python -X faulthandler tests/gui/dialog_exit_session.py LIBRARY MODEL PHOTO_FOLDER

Its own process because what it catches happens at exit: work left on Qt's global pool ran
Python while the interpreter shut down. The photo folder holds large PNGs (no reduced
decode), so each preview decodes for a while; the Models dialog gets a store whose download
reports progress until it is cancelled.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from photofind.errors import Cancelled
from photofind.gui.app import create_app
from photofind.gui.main_window import MainWindow
from photofind.gui.preview import PreviewDialog
from photofind.session import open_session
from photofind.tasks import Progress
from photofind.testing.spin import spin as wait_for

TIMEOUT = 120.0


class EndlessDownload:
    """The installed-models store, with a download that never ends unless cancelled."""

    def __init__(self, real) -> None:
        self.real = real

    def __getattr__(self, name):
        return getattr(self.real, name)

    def install(self, name, *, progress=None, control=None):
        done = 0
        while not (control is not None and control.cancelled):
            done += 1
            if progress is not None:
                progress(Progress("download", done, 10**9))
            threading.Event().wait(0.002)
        raise Cancelled("cancelled")


def main(library: Path, model: Path, folder: Path) -> int:
    app = create_app([sys.argv[0]])
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    window = MainWindow(lambda: open_session(library, model))
    window.show()

    def spin(until, what: str) -> None:
        wait_for(app.processEvents, until, what, TIMEOUT)

    def close_when_open(after_ms: int, start=None) -> None:
        def close() -> None:
            dialog = QApplication.activeModalWidget()
            if dialog is None:
                raise SystemExit("the dialog did not open")
            if start is not None:
                start(dialog)
            QTimer.singleShot(after_ms, dialog.reject)

        QTimer.singleShot(0, close)

    spin(lambda: window.session is not None, "the library to open")
    window.add_folder(folder)
    spin(lambda: window.folder_state(folder) == "up to date" and not window.indexing, "indexing")
    spin(lambda: bool(window.results.hits), "the photos on the timeline")
    window._store = lambda real=window._store: EndlessDownload(real())
    for n in range(6):
        close_when_open(20 * n)  # closed before or while its photo decodes
        window.preview(window.results.hits[n % len(window.results.hits)])
        close_when_open(10 * n, start=lambda d: d.install_button.click())
        window.show_models()
    # Quit with a decode running: a preview shown without exec, the window closed under it.
    last = PreviewDialog(window.results.hits[0], window, pool=window.preview_pool)
    last.show()
    app.processEvents()
    window.close()
    window.deleteLater()
    app.processEvents()
    print("closed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])))

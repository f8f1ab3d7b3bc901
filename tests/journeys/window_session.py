"""One launch of the real window, driven like a person would: typed keys, real thread pool.

    python tests/journeys/window_session.py QUERY [QUERY ...]

Opens the library and model named by PHOTOFIND_HOME / PHOTOFIND_MODEL exactly as
`photofind` does (`photofind.gui.app`), types the first query into whatever has the keyboard
focus (as a person does: the window must put it in the search field) as soon as the window
shows, then again while the startup scan and indexing run, starts another index pass while
searches are in flight, waits for indexing to finish, types every query again, then closes
the window. It prints one JSON line: the top
result names per query and the library's counts. It runs in its own process because the
failure it exists to catch is a crash (a segfault in a native library called from Qt's
thread pool), which would take a test runner down with it; `-X faulthandler` shows where.
"""

from __future__ import annotations

import json
import sys
import time

from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from photofind.gui.app import create_app
from photofind.gui.main_window import MainWindow
from photofind.session import open_session
from photofind.testing.spin import spin as wait_for

TIMEOUT = 120.0


def main(queries: list[str]) -> int:
    app = create_app([sys.argv[0]])
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    window = MainWindow(lambda: open_session())
    finished: list[float] = []
    window.search_finished.connect(lambda: finished.append(time.monotonic()))
    window.show()

    def spin(until, what: str) -> None:
        wait_for(app.processEvents, until, what, TIMEOUT)

    def focused() -> QWidget:
        widget = QApplication.focusWidget()
        if widget is not window.search_field:
            name = type(widget).__name__ if widget is not None else "nothing"
            raise SystemExit(f"typing would go to {name}, not the search field")
        return widget

    def type_query(text: str) -> list[str]:
        """Clear the field with Esc, type `text` key by key, wait for its results."""
        QTest.keyClick(focused(), Qt.Key.Key_Escape)
        spin(lambda: not window.search_field.text(), "the field to clear")
        QTest.keyClicks(focused(), text, delay=1)
        # Enter searches at once; answers to older searches are dropped, so the next
        # search_finished is this text's.
        before = len(finished)
        QTest.keyClick(focused(), Qt.Key.Key_Return)
        spin(lambda: len(finished) > before, "results")
        return [hit.file.path.name for hit in window.results.hits[:5]]

    window.activateWindow()  # what a window manager does for a new window (Xvfb has none)
    spin(lambda: window.isActiveWindow(), "the window to be active")
    # A person types the moment the window appears, before the library has opened.
    QTest.keyClicks(focused(), queries[0], delay=1)
    QTest.keyClick(focused(), Qt.Key.Key_Return)
    spin(lambda: window.session is not None, "the library to open")
    spin(lambda: bool(window.results.hits), "results for the query typed at launch")
    early = [hit.file.path.name for hit in window.results.hits[:5]]
    during = [type_query(q) for q in queries]  # the startup scan/index pass is running
    window.start_indexing()  # a second pass asked for while the first may still run
    for q in queries:
        type_query(q)
    spin(lambda: not window.indexing, "indexing to finish")
    after = {q: type_query(q) for q in queries}
    session = window.session
    assert session is not None
    counts = session.library.status()
    vectors = len(session.library.vectors) if session.library.vectors is not None else 0
    window.close()
    app.processEvents()
    print(json.dumps({"early": early, "during": during, "after": after, "counts": counts,
                      "vectors": vectors}))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

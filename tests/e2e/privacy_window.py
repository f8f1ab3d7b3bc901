"""Drive the real app window once, as a person would: open it, type a query, see results, quit.

Run as a script by tests/e2e/test_privacy.py in a clean HOME (offscreen, under strace). The
library and model come from PHOTOFIND_HOME / PHOTOFIND_MODEL, as the CLI passes them to the
window. Prints `results: name, name, ...` and exits 0, or exits 3 after a timeout.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QTimer
from PySide6.QtTest import QTest

from photofind.gui.app import create_app
from photofind.gui.main_window import MainWindow
from photofind.session import open_session

TIMEOUT_MS = 90_000


def main(query: str) -> int:
    app = create_app([sys.argv[0]])
    window = MainWindow(lambda: open_session())
    window.show()
    state = {"typed": False, "code": 3}

    def finished() -> None:
        hits = window.results.hits
        if state["typed"] and hits:
            print("results:", ", ".join(h.file.path.name for h in hits), flush=True)
            state["code"] = 0
            window.close()  # saves the window settings, as a person's quit would
            app.quit()

    def type_when_ready() -> None:
        # After the opening index pass: this script is about what the window writes and
        # sends; searching while indexing is tests/journeys' business.
        if window.session is None or window.session.model is None or window.indexing:
            QTimer.singleShot(50, type_when_ready)
            return
        state["typed"] = True
        QTest.keyClicks(window.search_field, query)  # the debounced live search

    window.search_finished.connect(finished)
    QTimer.singleShot(0, type_when_ready)
    QTimer.singleShot(TIMEOUT_MS, app.quit)
    app.exec()
    return state["code"]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

"""Regenerate resources/screenshot.png: the real app on a demo library, searched.

    xvfb-run -a -s "-screen 0 1280x800x24" python scripts/screenshot.py

Builds a library of synthetic photos with the tiny test model, types a query, waits for
the thumbnails and saves a grab of the window. Needs a display (Xvfb is fine).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QSettings  # noqa: E402

from photofind.gui.app import create_app  # noqa: E402
from photofind.gui.main_window import MainWindow  # noqa: E402
from photofind.session import open_session  # noqa: E402
from photofind.testing.synthetic import COLORS, SHAPES, make_photo  # noqa: E402

QUERY = "a photo of a red circle"


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="photofind-shot-"))
    app = create_app([])
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(work / "qs"))
    n = 0
    for folder in ("Holiday 2024", "Garden", "Phone"):
        for colour in COLORS:
            for shape in SHAPES[:4]:
                n += 1
                path = work / "Pictures" / folder / f"IMG_{n:04}.jpg"
                make_photo(path, colour, shape, seed=n, size=(1200, 900))
    window = MainWindow(lambda: open_session(work / "lib", ROOT / "tests/fixtures/tiny-clip"))
    window.resize(1240, 760)
    window.show()

    def spin(until, timeout=120.0) -> None:
        deadline = time.monotonic() + timeout
        while not until() and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.01)

    spin(lambda: window.session is not None)
    for folder in sorted((work / "Pictures").iterdir()):
        window.add_folder(folder)
        spin(lambda f=folder: window.folder_state(f) == "up to date")
    window.search_field.setText(QUERY)
    window.search_now()
    spin(lambda: bool(window.results.hits))
    visible = [h.file.id for h in window.results.hits[:24]]
    for row in range(min(24, len(window.results.hits))):
        window.results.data(window.results.index(row), 1)  # DecorationRole asks for thumbnails
    spin(lambda: all(window.results.has_thumbnail(i) for i in visible), 60)
    for _ in range(20):
        app.processEvents()
        time.sleep(0.02)
    out = ROOT / "resources" / "screenshot.png"
    out.parent.mkdir(exist_ok=True)
    window.grab().save(str(out))
    print(f"saved {out}")
    window.close()


if __name__ == "__main__":
    main()

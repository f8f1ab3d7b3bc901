"""The longest event-loop stall of the app window while indexing and while scrolling.

    python bench/gui_stall.py [--model DIR] [--photos 1000] [--results 5000]   (offscreen is fine)

A 5 ms heartbeat timer records the gaps between its ticks; any gap well above 5 ms is time
the GUI thread could not answer the user. Phase 1 indexes `--photos` generated photos through
the real window; phase 2 types queries key by key (as a person types, about 15 keys a
second) and measures how long after the last key the results are on screen; phase 3 fills
the grid with `--results` hits and scrolls through them. Goal: no stall above 50 ms.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from common import ROOT

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QElapsedTimer, Qt, QTimer
from PySide6.QtTest import QTest

from photofind.gui.app import create_app
from photofind.gui.main_window import MainWindow
from photofind.search import Hit
from photofind.session import open_session
from photofind.testing.synthetic import COLORS, SHAPES, make_photo


class Heartbeat:
    def __init__(self) -> None:
        self.gaps: list[float] = []
        self.clock = QElapsedTimer()
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.gaps.clear()
        self.clock.start()
        self.timer.start()

    def _tick(self) -> None:
        self.gaps.append(self.clock.restart())

    def stop(self) -> tuple[float, float]:
        self.timer.stop()
        gaps = np.asarray(self.gaps or [0.0])
        return float(gaps.max()), float(np.percentile(gaps, 99))


def spin(app, until, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not until() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.001)


def type_and_wait(app, window: MainWindow, text: str) -> float:
    """Type `text` at about 15 keys a second; ms from the last key to results on screen."""
    QTest.keyClick(window.search_field, Qt.Key.Key_Escape)
    finished: list[float] = []
    window.search_finished.connect(lambda: finished.append(time.monotonic()))
    last_key = time.monotonic()
    for char in text:
        QTest.keyClicks(window.search_field, char)
        last_key = time.monotonic()
        spin(app, lambda: False, 0.066)
    spin(app, lambda: bool(finished) and finished[-1] > last_key, 60)
    window.search_finished.disconnect()
    return (finished[-1] - last_key) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / "tests" / "fixtures" / "tiny-clip")
    parser.add_argument("--photos", type=int, default=1000)
    parser.add_argument("--results", type=int, default=5000)
    args = parser.parse_args()
    app = create_app([])
    work = Path(tempfile.mkdtemp(prefix="photofind-stall-"))
    photos = work / "photos"
    for n in range(args.photos):
        colour, shape = list(COLORS)[n % len(COLORS)], SHAPES[n % len(SHAPES)]
        make_photo(photos / f"{n:05}.jpg", colour, shape, seed=n, size=(1600, 1200))
    window = MainWindow(lambda: open_session(work / "lib", args.model))
    window.show()
    spin(app, lambda: window.session is not None, 120)
    beat = Heartbeat()

    beat.start()
    start = time.monotonic()
    window.add_folder(photos)
    spin(app, lambda: window.folder_state(photos) == "up to date", 3600)
    seconds = time.monotonic() - start
    worst, p99 = beat.stop()
    print(
        f"model {window.session.model.name}; {args.photos} photos of 1600x1200; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(f"indexing ({seconds:.0f} s): longest stall {worst:.0f} ms, p99 gap {p99:.0f} ms")

    typed = ["a photo of a red circle", "blue square", "a photo of a green star -red"]
    beat.start()
    latencies = [type_and_wait(app, window, text) for text in typed]
    worst, p99 = beat.stop()
    print(
        f"typing {len(typed)} queries: longest stall {worst:.0f} ms, p99 gap {p99:.0f} ms; "
        f"results {np.median(latencies):.0f} ms (median) after the last key, of which "
        f"{window.debounce.interval()} ms is the typing pause the window waits for"
    )

    hits = window.session.searcher.search(
        window.current_query()
        or __import__("photofind.search").search.Query(
            text="a photo of a red circle", k=args.photos
        )
    )
    many = [Hit(hits[i % len(hits)].file, 1.0 - i / args.results) for i in range(args.results)]
    beat.start()
    window.results.set_hits(many)
    bar = window.view.verticalScrollBar()
    spin(app, lambda: bar.maximum() > 0, 10)
    step = max(1, bar.maximum() // 400)
    for value in range(0, bar.maximum() + step, step):
        bar.setValue(value)
        app.processEvents()
        time.sleep(0.005)
    worst, p99 = beat.stop()
    print(f"scrolling {args.results} results: longest stall {worst:.0f} ms, p99 gap {p99:.0f} ms")
    window.close()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

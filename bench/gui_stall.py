"""The longest event-loop stall of the app window while indexing, scrolling and typing.

    python bench/gui_stall.py [--model DIR] [--photos 10000] [--distinct 400] [--results 5000]
    (offscreen is fine; under Xvfb set QT_QPA_PLATFORM=xcb)

A 5 ms heartbeat timer records the gaps between its ticks; any gap well above 5 ms is time
the GUI thread could not answer the user. The library: `--distinct` generated photos of mixed
shapes (landscape, portrait, square, panorama; some 12 MP), copied up to `--photos` files with
dates spread over four years, so the timeline has months and days to group by. Phases:
1. index them through the real window; 2. scroll the timeline (no query) from the newest
photo to the oldest, paging in and decoding thumbnails as a person scrolling would;
3. type queries key by key (about 15 keys a second) and measure how long after the last key
the results are on screen (the window's typing pause included and apart); 4. fill the grid
with `--results` hits and scroll through them. Goal: no stall above 50 ms; results within
150 ms of the search starting.
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
from photofind.search import Hit, Query
from photofind.session import open_session
from photofind.testing.synthetic import COLORS, SHAPES, make_photo

SHAPES_OF_PHOTOS = [(1600, 1200), (900, 1200), (1000, 1000), (2400, 800), (1200, 1600),
                    (4000, 3000)]  # fmt: skip
DAY = 86400


class Heartbeat:
    """Gaps between 5 ms ticks (wall time), and the GUI thread's own CPU time in each gap:
    on a loaded machine a long gap with little CPU is the OS scheduling other processes,
    a long gap full of CPU is work the window does on its GUI thread."""

    def __init__(self) -> None:
        self.gaps: list[float] = []
        self.busy: list[float] = []
        self.clock = QElapsedTimer()
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)
        self._cpu = 0.0

    def start(self) -> None:
        self.gaps.clear()
        self.busy.clear()
        self.clock.start()
        self._cpu = time.thread_time()
        self.timer.start()

    def _tick(self) -> None:
        self.gaps.append(self.clock.restart())
        cpu = time.thread_time()
        self.busy.append((cpu - self._cpu) * 1000)
        self._cpu = cpu

    def stop(self) -> tuple[float, float]:
        self.timer.stop()
        gaps = np.asarray(self.gaps or [0.0])
        return float(gaps.max()), float(np.percentile(gaps, 99))

    def cpu(self) -> str:
        busy = np.asarray(self.busy or [0.0])
        p99 = np.percentile(busy, 99)
        return f"GUI-thread CPU per gap: max {busy.max():.0f} ms, p99 {p99:.0f} ms"


def spin(app, until, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not until() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.001)


def make_library(folder: Path, photos: int, distinct: int) -> None:
    """`distinct` generated photos, copied up to `photos` files, dated over four years."""
    originals = []
    for n in range(min(distinct, photos)):
        colour, shape = list(COLORS)[n % len(COLORS)], SHAPES[n % len(SHAPES)]
        size = SHAPES_OF_PHOTOS[n % len(SHAPES_OF_PHOTOS)]
        originals.append(make_photo(folder / f"{n:05}.jpg", colour, shape, seed=n, size=size))
    now = time.time()
    for n in range(photos):
        path = folder / f"{n:05}.jpg"
        if n >= len(originals):
            shutil.copyfile(originals[n % len(originals)], path)
        when = now - (n * 4 * 365 * DAY) / photos
        os.utime(path, (when, when))


def type_and_wait(app, window: MainWindow, text: str) -> tuple[float, float]:
    """Type `text` at about 15 keys a second; ms from the last key to results on screen, and
    from the search starting (the typing pause over) to results on screen."""
    QTest.keyClick(window.search_field, Qt.Key.Key_Escape)
    spin(app, lambda: False, 0.3)
    finished: list[float] = []
    started: list[float] = []
    on_finished = lambda: finished.append(time.monotonic())  # noqa: E731
    on_started = lambda: started.append(time.monotonic())  # noqa: E731
    window.search_finished.connect(on_finished)
    window.debounce.timeout.connect(on_started)
    last_key = time.monotonic()
    for char in text:
        QTest.keyClicks(window.search_field, char)
        last_key = time.monotonic()
        spin(app, lambda: False, 0.066)
    spin(app, lambda: bool(finished) and finished[-1] > last_key, 60)
    window.search_finished.disconnect(on_finished)
    window.debounce.timeout.disconnect(on_started)
    begun = started[-1] if started else last_key
    return (finished[-1] - last_key) * 1000, (finished[-1] - begun) * 1000


def scroll_through(app, window: MainWindow, until_loaded: bool) -> int:
    """Scroll the grid top to bottom a wheel step at a time; with `until_loaded`, keep on
    until no page is left to fetch. Returns the rows the grid ended with."""
    bar = window.view.verticalScrollBar()
    bar.setValue(0)
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        bar.setValue(bar.value() + 120)  # one notch of a mouse wheel, 3 lines
        app.processEvents()
        time.sleep(0.004)
        at_end = bar.value() >= bar.maximum()
        if at_end and (not until_loaded or window.results.more is None):
            break
    return window.results.rowCount()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / "tests" / "fixtures" / "tiny-clip")
    parser.add_argument("--photos", type=int, default=10000)
    parser.add_argument("--distinct", type=int, default=400)
    parser.add_argument("--results", type=int, default=5000)
    args = parser.parse_args()
    app = create_app([])
    work = Path(tempfile.mkdtemp(prefix="photofind-stall-"))
    photos = work / "photos"
    started = time.monotonic()
    make_library(photos, args.photos, args.distinct)
    print(f"made {args.photos} photos ({args.distinct} distinct) in "
          f"{time.monotonic() - started:.0f} s")  # fmt: skip
    window = MainWindow(lambda: open_session(work / "lib", args.model))
    window.resize(1280, 800)
    window.show()
    spin(app, lambda: window.session is not None, 120)
    beat = Heartbeat()

    beat.start()
    start = time.monotonic()
    window.add_folder(photos)
    library = window.session.library
    catalog, name = library.catalog, library.model.name

    def indexed() -> bool:  # a folder added a moment ago reads "up to date" before its scan
        return catalog.embedding_count(name) >= args.photos and not catalog.pending_count(name)

    spin(app, lambda: indexed() and window.folder_state(photos) == "up to date", 7200)
    seconds = time.monotonic() - start
    worst, p99 = beat.stop()
    print(f"model {window.session.model.name}; {args.photos} photos; load average "
          f"{os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"indexing ({seconds:.0f} s): longest stall {worst:.0f} ms, p99 gap {p99:.0f} ms; "
          f"{beat.cpu()}")  # fmt: skip

    QTest.keyClick(window.search_field, Qt.Key.Key_Escape)  # no query: the timeline
    spin(app, lambda: window.results.rowCount() > 0 and not window.pool.activeThreadCount(), 60)
    beat.start()
    start = time.monotonic()
    rows = scroll_through(app, window, until_loaded=True)
    worst, p99 = beat.stop()
    print(f"scrolling the timeline to its oldest photo ({rows} photos, "
          f"{len(window.view.grid.headers)} date headers, {time.monotonic() - start:.0f} s): "
          f"longest stall {worst:.0f} ms, p99 gap {p99:.0f} ms; {beat.cpu()}; "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip

    typed = ["a photo of a red circle", "blue square", "a photo of a green star -red"]
    beat.start()
    latencies = [type_and_wait(app, window, text) for text in typed]
    worst, p99 = beat.stop()
    after_key = np.median([a for a, _ in latencies])
    after_start = np.median([b for _, b in latencies])
    print(
        f"typing {len(typed)} queries: longest stall {worst:.0f} ms, p99 gap {p99:.0f} ms; "
        f"{beat.cpu()}; "
        f"results {after_key:.0f} ms (median) after the last key, {after_start:.0f} ms after "
        f"the search started ({window.debounce.interval()} ms typing pause between)"
    )

    hits = window.session.searcher.search(Query(text="a photo of a red circle", k=args.photos))
    many = [Hit(hits[i % len(hits)].file, 1.0 - i / args.results) for i in range(args.results)]
    beat.start()
    window.results.set_hits(many)
    rows = scroll_through(app, window, until_loaded=False)
    worst, p99 = beat.stop()
    print(f"scrolling {rows} results: longest stall {worst:.0f} ms, p99 gap {p99:.0f} ms; "
          f"{beat.cpu()}; load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    window.close()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Benchmark: what zero-shot tagging adds to indexing, and what a calibration pass costs.

    python bench/tagging.py                 # 240 photos, 3 rounds each way
    python bench/tagging.py --photos 480 --rounds 5

A: index a fresh library of `make_photo` pictures with the tiny CLIP, no tagger. B: the same
with the tagger listening (the built-in 365 labels: one matrix product and one catalog write
per batch, then one calibration pass at the end of the run). Rounds run interleaved
(A B A B ...) on a shared machine; printed are the medians, their ratio and the load average.
The tiny model encodes a photo in well under a millisecond, so the ratio here is an upper
bound: a real CLIP spends 20-100 ms per photo on the CPU, against the same tagging cost.
Most of the difference is the one calibration pass at the end of a run (printed apart): a
constant per run plus a cost per tag written; the tiny model, which knows only shapes, puts
some 80 of the 365 everyday labels on every picture, far more tags than a real model would.
Also printed: the batch hook alone (16 vectors against 365 labels of 512 dims) and a
calibration pass over 100,000 synthetic 512-d vectors.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from itertools import product
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from photofind.clip import ClipModel  # noqa: E402
from photofind.library.home import LibraryPaths  # noqa: E402
from photofind.library.library import Library  # noqa: E402
from photofind.search.tags import Tags  # noqa: E402
from photofind.search.thresholds import ScoreHistograms  # noqa: E402


def photos(folder: Path, count: int) -> None:
    from photofind.testing.synthetic import COLORS, SHAPES, make_photo

    folder.mkdir(parents=True, exist_ok=True)
    scenes = list(product(COLORS, SHAPES, range(count // 48 + 1)))[:count]
    for n, (colour, shape, _) in enumerate(scenes):
        make_photo(folder / f"{n:05}.jpg", colour, shape, size=(320, 240), seed=n)


def index_once(model: ClipModel, folder: Path, tagged: bool) -> tuple[float, int, float]:
    with tempfile.TemporaryDirectory() as home:
        library = Library(LibraryPaths.resolve(Path(home)), model)
        try:
            tags = None
            if tagged:
                tags = Tags(library)
                tags.label_matrix(model)  # label vectors are made once per model: not timed
                library.add_index_listener(tags)
            library.add_folder(folder)
            start = time.perf_counter()
            library.index()
            elapsed = time.perf_counter() - start
            count = sum(c.count for c in tags.counts()) if tags else 0
            calibration = 0.0
            if tags is not None:  # the end-of-run part alone: one more calibration pass
                start = time.perf_counter()
                tags.calibrate()
                calibration = time.perf_counter() - start
            return elapsed, count, calibration
        finally:
            library.close()


def hook_cost(rounds: int = 200) -> float:
    """Median seconds of the batch product alone: 16 x 512 vectors against 365 labels."""
    rng = np.random.default_rng(0)
    labels = rng.normal(size=(365, 512)).astype(np.float32)
    cutoffs = np.full(365, 2.5, dtype=np.float32)
    times = []
    for _ in range(rounds):
        batch = rng.normal(size=(16, 512)).astype(np.float32)
        start = time.perf_counter()
        np.nonzero(batch @ labels.T >= cutoffs)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def calibration_cost(n: int = 100_000) -> float:
    """Seconds to histogram 365 labels over n 512-d vectors, in chunks as `calibrate` does."""
    rng = np.random.default_rng(1)
    labels = rng.normal(size=(365, 512)).astype(np.float32) / 23
    chunk = rng.normal(size=(4096, 512)).astype(np.float32) / 23
    histograms = ScoreHistograms(365)
    start = time.perf_counter()
    for _ in range(0, n, 4096):
        histograms.add(chunk @ labels.T)
    histograms.cut_offs()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=240)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    model = ClipModel.load(ROOT / "tests/fixtures/tiny-clip")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "photos"
        photos(folder, args.photos)
        index_once(model, folder, False)  # warm the page cache and the model
        plain, tagged, calibrations, tag_count = [], [], [], 0
        for _ in range(args.rounds):
            plain.append(index_once(model, folder, False)[0])
            seconds, tag_count, calibration = index_once(model, folder, True)
            tagged.append(seconds)
            calibrations.append(calibration)
    a, b = statistics.median(plain), statistics.median(tagged)
    print(f"load average {os.getloadavg()[0]:.2f}; {args.photos} photos, tiny-clip, "
          f"{args.rounds} rounds interleaved")  # fmt: skip
    print(f"index without tags: median {a:.2f} s   with tags: median {b:.2f} s   "
          f"ratio {b / a:.2f} ({tag_count} tags written)")  # fmt: skip
    print(f"per photo: {a / args.photos * 1e3:.2f} ms without, {b / args.photos * 1e3:.2f} ms with")
    print(f"of which the end-of-run calibration (cut-offs + all tags written): median "
          f"{statistics.median(calibrations):.2f} s")  # fmt: skip
    print(f"batch hook product alone (16 x 512 vs 365 labels): {hook_cost() * 1e6:.0f} us")
    print(f"calibration histograms, 100,000 x 512-d vectors, 365 labels: "
          f"{calibration_cost():.1f} s")  # fmt: skip


if __name__ == "__main__":
    main()

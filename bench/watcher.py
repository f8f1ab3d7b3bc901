"""Seconds from a photo landing in a watched folder to it being found by search.

    python bench/watcher.py [--model DIR] [--trials 5]

Uses the library's own watcher with its default debounce; the figure includes the quiet
period, the size-stability wait, scanning, encoding and the index update.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from common import ROOT, median, model_dir, percentile

from photofind.clip import ClipModel
from photofind.library.home import LibraryPaths
from photofind.library.library import Library
from photofind.search import Query, Searcher
from photofind.testing.synthetic import make_photo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / "tests" / "fixtures" / "tiny-clip")
    parser.add_argument("--trials", type=int, default=5)
    args = parser.parse_args()
    model = ClipModel.load(model_dir(args.model))
    work = Path(tempfile.mkdtemp(prefix="photofind-watch-"))
    photos = work / "photos"
    make_photo(photos / "start.jpg", "blue", "square")
    seconds = []
    with Library(LibraryPaths.resolve(work / "lib"), model) as library:
        library.add_folder(photos)
        library.index()
        library.watch()
        searcher = Searcher(library)
        for trial in range(args.trials):
            name = f"landed-{trial}.jpg"
            start = time.monotonic()
            make_photo(photos / name, "red", "circle", seed=trial, size=(4000, 3000))
            while True:
                hits = searcher.search(Query(text="a photo of a red circle", k=args.trials + 2))
                if any(h.file.path.name == name for h in hits):
                    break
                time.sleep(0.02)
            seconds.append(time.monotonic() - start)
    shutil.rmtree(work, ignore_errors=True)
    print(f"model {model.name}; {args.trials} photos of 12 MP dropped into a watched folder")
    print(f"landing -> found by search: median {median(seconds):.2f} s, "
          f"p95 {percentile(seconds, 95):.2f} s, max {max(seconds):.2f} s")  # fmt: skip


if __name__ == "__main__":
    main()

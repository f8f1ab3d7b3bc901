"""Benchmark: does search learn from the user's picks? Precision at 10 per round of marks.

    python bench/feedback.py                       # tiny model, 8 colours x 6 shapes x 3 seeds
    python bench/feedback.py --seeds 5 --marks 3 --rounds 3

The concept is one no single query expresses: "warm-coloured round things" (red, orange and
yellow circles and hearts; no squares, no blue). The library is `make_photo` pictures indexed
with the tiny CLIP. Printed: precision@10 of the best of several single text queries, then
after each round in which a simulated user looks at the results in order and marks the first
`--marks` photos among the first 20 not marked yet, alternating "more like this" (the first
that fits the concept) and "not this" (the first that does not) while both kinds are there.
P@10 counts every hit; "fresh" counts only photos the user has not marked yet (the residual
collection, which the marked photos cannot inflate); P@R is precision at R, the number of
photos that fit (with the tiny model the neighbours of any warm round photo are mostly warm
and round, so P@10 saturates early and P@R shows the rest). Also the time one classifier training
takes. tests/core/test_feedback.py runs `evaluate` on a smaller library and asserts loosely.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from photofind.search import Hit, Query, Searcher  # noqa: E402

WARM = ("red", "orange", "yellow")
ROUND = ("circle", "heart")
# Every caption shape the tiny model was trained on (one colour and/or one shape): the single
# queries a user of this model could type for one part of the concept.
QUERIES = (
    *(f"a photo of a {c} {s}" for c in WARM for s in ROUND),
    *(f"a photo of a {s}" for s in ROUND),
    *(f"a photo of a {c} shape" for c in WARM),
)
# A list of every part. The tiny model reads text nearly as a bag of words, so this one works
# for it (printed apart); a real CLIP blurs such lists, which is what the marks are for.
LIST_QUERY = "red orange and yellow circles and hearts"


@dataclass
class Rounds:
    """What `evaluate` measured: the best single query and P@10 after each round."""

    best_query: str
    precision: list[float] = field(default_factory=list)  # [single query, round 1, ...]
    fresh: list[float] = field(default_factory=list)
    r_precision: list[float] = field(default_factory=list)  # P@R, R = number of relevant
    likes: int = 0
    unlikes: int = 0


def warm_round(path: Path) -> bool:
    colour, shape = path.stem.split("-")[:2]
    return colour in WARM and shape in ROUND


def _precision(
    hits: list[Hit], relevant: Callable[[Path], bool], skip: set[int], at: int = 10
) -> float:
    top = [h for h in hits if h.file.id not in skip][:at]
    return sum(relevant(h.file.path) for h in top) / at


def evaluate(
    searcher: Searcher,
    relevant: Callable[[Path], bool] = warm_round,
    queries: tuple[str, ...] = QUERIES,
    rounds: int = 3,
    marks: int = 3,
) -> Rounds:
    """Best single query by P@10, then `rounds` rounds of `marks` marks each."""
    scored = [
        (_precision(searcher.search(Query(text=q, k=10)), relevant, set()), q) for q in queries
    ]
    best, text = max(scored)
    everything = searcher.search(Query(text=text, k=10_000))
    r = max(1, sum(relevant(h.file.path) for h in everything))
    result = Rounds(text, [best], [best], [_precision(everything, relevant, set(), r)])
    like: list[int] = []
    unlike: list[int] = []
    query = Query(text=text, k=max(40, r + 30))
    for _ in range(rounds):
        hits = searcher.search(query)
        marked = set(like) | set(unlike)
        seen = [h for h in hits if h.file.id not in marked][:20]
        good = [h.file.id for h in seen if relevant(h.file.path)]
        bad = [h.file.id for h in seen if not relevant(h.file.path)]
        for n in range(marks):  # alternate "more like this" and "not this" while both exist
            side = (good, like) if (n % 2 == 0 and good) or not bad else (bad, unlike)
            if side[0]:
                side[1].append(side[0].pop(0))
        query = Query(text=text, like=tuple(like), unlike=tuple(unlike), k=max(40, r + 30))
        hits = searcher.search(query)
        result.precision.append(_precision(hits, relevant, set()))
        result.r_precision.append(_precision(hits, relevant, set(), r))
        result.fresh.append(_precision(hits, relevant, set(like) | set(unlike)))
    result.likes, result.unlikes = len(like), len(unlike)
    return result


def build(home: Path, photos: Path, seeds: int):
    from photofind.clip import ClipModel
    from photofind.library.home import LibraryPaths
    from photofind.library.library import Library
    from photofind.testing.synthetic import COLORS, SHAPES, make_photo

    photos.mkdir(parents=True, exist_ok=True)
    for n, (colour, shape, seed) in enumerate(product(COLORS, SHAPES, range(seeds))):
        make_photo(photos / f"{colour}-{shape}-{seed}.jpg", colour, shape, seed=1000 * seed + n)
    library = Library(LibraryPaths.resolve(home), ClipModel.load(ROOT / "tests/fixtures/tiny-clip"))
    library.add_folder(photos)
    library.index()
    return library


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="pictures per colour and shape")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--marks", type=int, default=3, help="marks per round")
    args = parser.parse_args()
    import numpy as np

    from photofind.search.feedback import train_direction

    with tempfile.TemporaryDirectory() as tmp:
        library = build(Path(tmp) / "lib", Path(tmp) / "photos", args.seeds)
        try:
            searcher = Searcher(library)
            total = len(library.vectors or ())
            result = evaluate(searcher, rounds=args.rounds, marks=args.marks)
            list_p = evaluate(searcher, queries=(LIST_QUERY,), rounds=0).precision[0]
            from photofind.search import feedback

            keep, feedback.CLASSIFIER_MIN = feedback.CLASSIFIER_MIN, 10**9
            try:
                rocchio = evaluate(searcher, rounds=args.rounds, marks=args.marks)
            finally:
                feedback.CLASSIFIER_MIN = keep
            vectors = library.vectors.get_vectors(library.vectors.ids()[:12])  # type: ignore[union-attr]
        finally:
            library.close()
    relevant = len(WARM) * len(ROUND) * args.seeds
    print(f"library: {total} photos, {relevant} warm-coloured round ones; tiny-clip")
    print(f"best single text query: {result.best_query!r}")
    print(f"round  marks  P@10  P@10 fresh  P@{relevant}   (Rocchio only: P@10  P@{relevant})")
    rows = zip(result.precision, result.fresh, result.r_precision, strict=True)
    for n, (p, fresh, rp) in enumerate(rows):
        rp10, rpr = rocchio.precision[n], rocchio.r_precision[n]
        print(f"{n:5d}  {n * args.marks:5d}  {p:4.2f}  {fresh:10.2f}  {rp:5.2f}"
              f"{rp10:25.2f}  {rpr:5.2f}")  # fmt: skip
    print(f"marks in the end: {result.likes} like, {result.unlikes} not this")
    print(f"(the list query {LIST_QUERY!r} alone: P@10 {list_p:.2f})")
    times = []
    for _ in range(20):
        start = time.perf_counter()
        train_direction(vectors[:6], vectors[6:], np.ones(vectors.shape[1], np.float32))
        times.append(time.perf_counter() - start)
    print(f"classifier training on 6+6 vectors: median {statistics.median(times) * 1e3:.1f} ms")


if __name__ == "__main__":
    main()

"""Benchmark: does a search return the photos that match? Precision and recall of the cut.

    python bench/cut.py                  # tiny model, 8 colours x 6 shapes x 2 seeds + the rest
    python bench/cut.py --seeds 3 --busy 60 --strictness more

The library is mixed the way the tiny model's world allows: `make_photo` pictures of every
colour and shape (`--seeds` of each), `--busy` scenes on striped, checked or blotched
backgrounds (small shapes, groups of two or three), and `--unrelated` pictures with no shape
at all (noise, flat colour). Every photo's truth is its colour and shape.

Queries, per kind, and what counts as relevant:
  colour          "a photo of a red shape", "red"          the photos of that colour
  shape           "a photo of a circle", "circle"          the photos of that shape
  colour+shape    "a photo of a red circle", "red circle"  both
  find similar    a new make_photo picture (not in the library) of a colour and shape: both
  arithmetic      "a photo of a circle" + "a photo of a red shape" (terms): red circles
  nonsense        "xyzzy qwerty", "a photo of a dog on a beach": nothing is relevant
Printed per kind: mean precision and recall of the cut (a query with no match has precision
1 by convention, and recall 1 when nothing was relevant), the mean number of matches, and the
same figures for the top-k a fixed k=20 gave before the cut existed. Also the cut's own time
against the search's, at 10,000 and 100,000 random scores (medians, interleaved).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from photofind.search import Query, Searcher, Term  # noqa: E402
from photofind.search.cut import STRICTNESS, cut  # noqa: E402
from photofind.testing.synthetic import (  # noqa: E402
    BUSY_BACKGROUNDS,
    COLORS,
    SHAPES,
    draw,
    make_photo,
    random_scene,
)

Truth = dict[str, tuple[str | None, str | None]]


def build_photos(folder: Path, seeds: int, busy: int, unrelated: int) -> Truth:
    """Write the mixed library; returns file name -> (colour, shape)."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    truth: Truth = {}
    n = 0
    for colour in COLORS:
        for shape in SHAPES:
            for seed in range(seeds):
                name = f"{colour}-{shape}-{seed}.jpg"
                make_photo(folder / name, colour, shape, size=(320, 240), seed=n)
                truth[name] = (colour, shape)
                n += 1
    rng = random.Random(7)
    for i in range(busy):
        scene = random_scene(rng, backgrounds=BUSY_BACKGROUNDS)
        name = f"busy{i:03}-{scene.colour}-{scene.shape}.jpg"
        draw(scene, (320, 240)).save(folder / name, quality=90)
        truth[name] = (scene.colour, scene.shape)
    noise = np.random.default_rng(3)
    for i in range(unrelated):
        pixels = noise.integers(0, 256, (240, 320, 3), dtype=np.uint8)
        if i % 2:
            pixels[:] = pixels.reshape(-1, 3).mean(axis=0).astype(np.uint8)
        name = f"unrelated{i:02}.jpg"
        Image.fromarray(pixels).save(folder / name, quality=90)
        truth[name] = (None, None)
    return truth


def queries(tmp: Path) -> list[tuple[str, Query, Callable[[str | None, str | None], bool]]]:
    """(kind, query, is_relevant(colour, shape)) for every colour and shape."""
    out: list[tuple[str, Query, Callable[[str | None, str | None], bool]]] = []
    for colour in COLORS:

        def same_colour(c, s, colour=colour):
            return c == colour

        out.append(("colour", Query(text=f"a photo of a {colour} shape"), same_colour))
        out.append(("colour", Query(text=colour), same_colour))
    for shape in SHAPES:

        def same_shape(c, s, shape=shape):
            return s == shape

        out.append(("shape", Query(text=f"a photo of a {shape}"), same_shape))
        out.append(("shape", Query(text=shape), same_shape))
    pairs = [(c, s) for c in COLORS for s in SHAPES]
    for n, (colour, shape) in enumerate(pairs):

        def both(c, s, colour=colour, shape=shape):
            return (c, s) == (colour, shape)

        text = Query(text=f"a photo of a {colour} {shape}")
        out.append(("colour+shape", text, both))
        if n % 2 == 0:
            out.append(("colour+shape", Query(text=f"{colour} {shape}"), both))
        if n % 3 == 0:
            picture = make_photo(tmp / f"q-{colour}-{shape}.jpg", colour, shape, seed=9000 + n)
            out.append(("find similar", Query(image=picture), both))
        if n % 4 == 0:
            terms = (Term(1.0, text=f"a photo of a {shape}"),
                     Term(1.0, text=f"a photo of a {colour} shape"))  # fmt: skip
            out.append(("arithmetic", Query(terms=terms), both))
    for text in ("xyzzy qwerty", "a photo of a dog on a beach", "receipt"):
        out.append(("nonsense", Query(text=text), lambda c, s: False))
    return out


def precision_recall(found: list[str], truth: Truth, relevant) -> tuple[float, float]:
    wanted = {name for name, (c, s) in truth.items() if relevant(c, s)}
    hits = sum(1 for name in found if name in wanted)
    precision = hits / len(found) if found else 1.0
    recall = hits / len(wanted) if wanted else 1.0
    return precision, recall


def evaluate(searcher: Searcher, truth: Truth, tmp: Path, strictness: str) -> None:
    rows: dict[str, list[tuple[float, float, int, float, float]]] = defaultdict(list)
    for kind, query, relevant in queries(tmp):
        result = searcher.find(Query(**{**_fields(query), "k": 10_000, "cut": strictness}))
        found = [h.file.path.name for h in result.hits]
        top = [h.file.path.name for h in searcher.search(Query(**{**_fields(query), "k": 20}))]
        p, r = precision_recall(found, truth, relevant)
        p20, r20 = precision_recall(top, truth, relevant)
        rows[kind].append((p, r, result.matches, p20, r20))
    print(f"{'kind':14} {'queries':>7} {'precision':>9} {'recall':>7} {'matches':>8}"
          f"   {'top-20 P':>8} {'top-20 R':>8}")  # fmt: skip
    for kind, values in rows.items():
        p, r, m, p20, r20 = (statistics.fmean(v[i] for v in values) for i in range(5))
        print(f"{kind:14} {len(values):7d} {p:9.2f} {r:7.2f} {m:8.1f}   {p20:8.2f} {r20:8.2f}")


def _fields(query: Query) -> dict[str, object]:
    return {"text": query.text, "image": query.image, "terms": query.terms}


def timing(repeats: int = 7) -> None:
    """The cut's time against a full exact search's ranking of the same number of scores."""
    rng = np.random.default_rng(0)
    for n in (10_000, 100_000):
        vectors = rng.standard_normal((n, 512)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        query = vectors[0]
        cut_times, rank_times = [], []
        for _ in range(repeats):  # interleaved: A B A B
            start = time.perf_counter()
            scores = vectors @ query
            order = np.argsort(-scores)
            rank_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            cut(scores[order])
            cut_times.append(time.perf_counter() - start)
        c, s = statistics.median(cut_times), statistics.median(rank_times)
        print(f"{n:>7,} photos: cut {c * 1e3:.1f} ms, scoring+ranking {s * 1e3:.1f} ms "
              f"(cut/ranking {c / s:.2f})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--busy", type=int, default=40)
    parser.add_argument("--unrelated", type=int, default=8)
    parser.add_argument("--strictness", choices=STRICTNESS, default="normal")
    parser.add_argument("--all-strictness", action="store_true", help="every strictness")
    args = parser.parse_args()
    from photofind.clip import ClipModel
    from photofind.library.home import LibraryPaths
    from photofind.library.library import Library

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        truth = build_photos(root / "photos", args.seeds, args.busy, args.unrelated)
        library = Library(
            LibraryPaths.resolve(root / "home"),
            ClipModel.load(ROOT / "tests/fixtures/tiny-clip"),
        )
        library.add_folder(root / "photos")
        library.index()
        searcher = Searcher(library)
        print(f"library: {len(truth)} photos ({len(COLORS)} colours x {len(SHAPES)} shapes x "
              f"{args.seeds}, {args.busy} busy, {args.unrelated} unrelated)")  # fmt: skip
        for strictness in STRICTNESS if args.all_strictness else (args.strictness,):
            print(f"\ncut: {strictness}")
            evaluate(searcher, truth, root, strictness)
        library.close()
    import os

    print(f"\nload average {os.getloadavg()[0]:.1f}")
    timing()


if __name__ == "__main__":
    main()

"""Benchmark: duplicate detection at 100k and 1M photos (cells around k-means centres).

    python bench/duplicates.py                     # 100k: cells vs all pairs, and 1M: cells
    python bench/duplicates.py --sizes 100k --no-exact

Per size: CLIP-shaped synthetic vectors (bench/clipdata.py) with 1,000 near-copies planted at
cosine 0.95-0.97 (and 1,000 near misses at ~0.93); the cells' pair search is timed and its
planted pairs counted, and, where --exact allows (100k), the all-pairs search is timed on the
same vectors and its pairs compared. Then, when bench/query.py's cached library of that size
exists (bench/_work/lib-clip-N), a whole `find_duplicates` run on it, catalog reads included.
Prints figures with the load average; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from clipdata import parse_size, synthetic
from query import MODEL, library_dir

from photofind.library import vectorsync
from photofind.library.catalog import Catalog
from photofind.search import duplicates

PLANTED = 1000
THRESHOLD = 0.95


def _load() -> str:
    return "load {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def planted(n: int) -> tuple[np.ndarray, set[tuple[int, int]]]:
    data = synthetic(n)
    rng = np.random.default_rng(5)
    originals = rng.choice(n - 2 * PLANTED, 2 * PLANTED, replace=False)
    noise = rng.standard_normal((2 * PLANTED, data.shape[1])).astype(np.float32)
    noise -= (noise * data[originals]).sum(axis=1, keepdims=True) * data[originals]
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    sigma = np.concatenate([rng.uniform(0.25, 0.328, PLANTED), np.full(PLANTED, 0.4)])
    copies = data[originals] + sigma[:, None].astype(np.float32) * noise
    data[n - 2 * PLANTED :] = copies / np.linalg.norm(copies, axis=1, keepdims=True)
    above = {(int(o), n - 2 * PLANTED + m) for m, o in enumerate(originals[:PLANTED])}
    return data, above


def pairs(run, data: np.ndarray) -> tuple[set[tuple[int, int]], float]:
    found: set[tuple[int, int]] = set()

    def joined(rows: np.ndarray, cols: np.ndarray, done: int) -> None:
        for a, b in zip(rows.tolist(), cols.tolist(), strict=True):
            if a != b:
                found.add((min(a, b), max(a, b)))

    start = time.perf_counter()
    run(data, THRESHOLD, joined)
    return found, time.perf_counter() - start


def measure(n: int, exact: bool) -> None:
    data, above = planted(n)
    cells, cell_s = pairs(duplicates._pairs_by_cells, data)
    hit = len(above & cells)
    print(f"  cells:     {cell_s:8.1f} s  {len(cells):,} pairs, planted found {hit}/{PLANTED}")
    print(f"             {_load()}")
    if exact:
        every, every_s = pairs(duplicates._all_pairs, data)
        same = "identical" if every == cells else f"DIFFERENT ({len(every ^ cells)} pairs)"
        print(f"  all pairs: {every_s:8.1f} s  {len(every):,} pairs, {same}")
        print(f"             cells/all pairs {cell_s / every_s:.3f}  {_load()}")
    del data
    folder = library_dir("clip", n)
    if (folder / "catalog.sqlite").is_file():
        catalog = Catalog(folder / "catalog.sqlite")
        index = vectorsync.open_index(folder / "vectors" / f"{MODEL}.index", 512, catalog, MODEL)
        start = time.perf_counter()
        groups = duplicates.find_duplicates(catalog, index, MODEL, THRESHOLD)
        took = time.perf_counter() - start
        print(f"  find_duplicates on {folder.name}: {took:.1f} s, {len(groups)} groups  {_load()}")
        catalog.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100k,1m")
    parser.add_argument("--no-exact", action="store_true", help="skip all pairs even at 100k")
    args = parser.parse_args(argv)
    print(f"photofind duplicates bench: threshold {THRESHOLD}, {os.cpu_count()} cores")
    for n in (parse_size(s) for s in args.sizes.split(",")):
        print(f"\n== {n:,} vectors ==", flush=True)
        measure(n, exact=not args.no_exact and n <= 200_000)


if __name__ == "__main__":
    main()

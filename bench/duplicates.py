"""Benchmark: duplicate detection at 100k and 1M photos, against the exact all-pairs answer.

    python bench/duplicates.py --sizes 100k,1m
    python bench/duplicates.py --sizes 1m --probes 4 --rounds 2   # another setting, twice

Per size: CLIP-shaped synthetic vectors (bench/clipdata.py) with real duplicate structure
planted in the last rows: exact copies, resized/re-encoded copies (cosine 0.97-0.995), copies
at the threshold's edge (0.95-0.97), bursts of 5 similar shots (pairwise cosine ~0.92-0.98) and
near misses (~0.93). They are saved once as a vector index file (bench/_work/dups-N/, cached);
each timed run is a fresh process that maps that file and finds the pairs exactly as
`find_duplicates` does (`duplicates._reader` over `VectorIndex.get_vectors`), so its wall time
and peak RSS are those of duplicate detection alone. The pairs are checked against the exact
answer: every pair (all pairs) up to 200k; above, every pair that touches a sample of rows
(all planted rows and 2,000 random ones) found by brute force of those rows against all n,
giving recall on that sample. Prints figures with the load average; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from clipdata import DIM, parse_size, synthetic
from common import WORK

from photofind.library.vectors import VectorIndex
from photofind.search import closepairs, duplicates

THRESHOLD = 0.95
COPIES = 1000  # of each kind of copy
BURSTS, BURST = 300, 5
RANDOM_SAMPLE = 2000
EXACT_ALL_MAX = 200_000


def _peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited from the
    parent across fork and exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _load() -> str:
    return "load {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def _near(rng, base: np.ndarray, cos_low: float, cos_high: float) -> np.ndarray:
    """Unit vectors at cosine uniform in [cos_low, cos_high] to the rows of base."""
    noise = rng.standard_normal(base.shape).astype(np.float32)
    noise -= (noise * base).sum(axis=1, keepdims=True) * base
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    cos = rng.uniform(cos_low, cos_high, (len(base), 1)).astype(np.float32)
    return cos * base + np.sqrt(1 - cos**2) * noise


def planted(n: int) -> tuple[np.ndarray, int]:
    """(vectors, first planted row): copies of earlier rows written over the last rows."""
    data = synthetic(n)
    rng = np.random.default_rng(5)
    kinds = [(1.0, 1.0), (0.97, 0.995), (0.95, 0.97), (0.925, 0.935)]  # copies, near misses
    planted_rows = len(kinds) * COPIES + BURSTS * BURST
    first = n - planted_rows
    originals = rng.choice(first, len(kinds) * COPIES + BURSTS, replace=False)
    at = first
    for k, (low, high) in enumerate(kinds):
        base = data[originals[k * COPIES : (k + 1) * COPIES]]
        data[at : at + COPIES] = base if low == 1.0 else _near(rng, base, low, high)
        at += COPIES
    centres = data[np.repeat(originals[len(kinds) * COPIES :], BURST)]
    shots = centres + rng.uniform(0.15, 0.3, (len(centres), 1)).astype(np.float32) * _near(
        rng, centres, 0.0, 0.0
    )  # shot = centre + s * orthogonal unit noise: pairwise cosine ~1 / (1 + s^2)
    data[at:] = shots / np.linalg.norm(shots, axis=1, keepdims=True)
    return data, first


def index_file(n: int) -> tuple[Path, int]:
    """The cached vector index file of n planted vectors (ids 1..n), and the first planted row."""
    folder = WORK / f"dups-{n}"
    path, facts = folder / "vectors.index", folder / "planted.json"
    if not (path.is_file() and facts.is_file()):
        folder.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        data, first = planted(n)
        index = VectorIndex(DIM, path=path, model="bench")
        for at in range(0, n, 100_000):
            index.add(np.arange(at + 1, min(n, at + 100_000) + 1), data[at : at + 100_000])
        del data
        index.save()
        facts.write_text(json.dumps({"first": first}))
        print(f"  made {path} in {time.perf_counter() - start:.0f} s", flush=True)
    return path, json.loads(facts.read_text())["first"]


def child(path: Path, n: int, probes: int, out: Path) -> None:
    """The timed run: map the file, find every pair, write them (positions) and the figures."""
    closepairs.PROBES = probes
    load_before = _load()
    start = time.perf_counter()
    index = VectorIndex.load_file(path, DIM, "bench")
    ids = index.ids()
    found: list[np.ndarray] = []

    def joined(rows: np.ndarray, cols: np.ndarray, done: int) -> None:
        if len(rows):
            found.append(np.stack([np.minimum(rows, cols), np.maximum(rows, cols)], axis=1))

    closepairs.close_pairs(duplicates._reader(index, ids), len(ids), THRESHOLD, joined)
    pairs = np.unique(np.concatenate(found), axis=0) if found else np.zeros((0, 2), np.int64)
    seconds = time.perf_counter() - start
    np.save(out, pairs)
    rss = _peak_rss_mb()
    use = resource.getrusage(resource.RUSAGE_SELF)
    cpu = use.ru_utime + use.ru_stime  # all threads: steadier than wall time on a busy machine
    figures = {"seconds": seconds, "cpu": cpu, "rss_mb": rss, "before": load_before}
    print(json.dumps({**figures, "after": _load()}))


def timed_run(path: Path, n: int, probes: int) -> tuple[dict, np.ndarray]:
    out = path.parent / f"pairs-p{probes}.npy"
    cmd = [sys.executable, __file__, "--child", str(path), str(n), str(probes), str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1]), np.load(out)


def exact_pairs(path: Path, rows: np.ndarray) -> np.ndarray:
    """Every pair (position, position) touching `rows`, by brute force against all vectors."""
    index = VectorIndex.load_file(path, DIM, "bench")
    read = duplicates._reader(index, index.ids())
    n = len(index)
    queries = read(np.sort(rows))
    out = []
    for start in range(0, n, closepairs.READ):
        block = read(np.arange(start, min(n, start + closepairs.READ)))
        q, b = np.nonzero(queries @ block.T >= THRESHOLD - 1e-6)
        a, b = np.sort(rows)[q], b + start
        keep = a != b
        out.append(np.stack([np.minimum(a, b), np.maximum(a, b)], axis=1)[keep])
    return np.unique(np.concatenate(out), axis=0)


def exact_all(path: Path) -> tuple[np.ndarray, float]:
    """Every pair by all pairs (closepairs.all_pairs with no size limit), and its time."""
    index = VectorIndex.load_file(path, DIM, "bench")
    found: list[np.ndarray] = []

    def joined(rows: np.ndarray, cols: np.ndarray, done: int) -> None:
        found.append(np.stack([np.minimum(rows, cols), np.maximum(rows, cols)], axis=1))

    start = time.perf_counter()
    closepairs.all_pairs(duplicates._reader(index, index.ids()), len(index), THRESHOLD, joined)
    return np.unique(np.concatenate(found), axis=0), time.perf_counter() - start


def _as_set(pairs: np.ndarray) -> set[tuple[int, int]]:
    return set(map(tuple, pairs.tolist()))


def measure(n: int, probes: int, rounds: int) -> None:
    path, first = index_file(n)
    runs = []
    for r in range(rounds):
        figures, found = timed_run(path, n, probes)
        runs.append(figures["seconds"])
        print(
            f"  cells (probes {probes}) run {r + 1}: {figures['seconds']:.1f} s wall, "
            f"{figures['cpu']:.1f} s CPU, "
            f"{len(found):,} pairs, peak RSS {figures['rss_mb']:,.0f} MB  "
            f"[{figures['before']} -> {figures['after']}]",
            flush=True,
        )
    print(f"  median {np.median(runs):.1f} s over {rounds} run(s)")
    got = _as_set(found)
    if n <= EXACT_ALL_MAX:
        cached = path.parent / "exact-all.npy"
        if not cached.is_file():
            truth, every_s = exact_all(path)
            np.save(cached, truth)
            (path.parent / "exact-all.json").write_text(json.dumps({"seconds": every_s}))
        want = _as_set(np.load(cached))
        every_s = json.loads((path.parent / "exact-all.json").read_text())["seconds"]
        ratio = np.median(runs) / every_s
        how = f"all pairs ({every_s:.1f} s, cached; cells/all pairs {ratio:.3f})"
    else:
        rng = np.random.default_rng(9)
        sample = np.union1d(np.arange(first, n), rng.choice(first, RANDOM_SAMPLE, replace=False))
        start = time.perf_counter()
        cached = path.parent / "exact-sample.npy"  # depends on the vectors and the sample only
        made = not cached.is_file()
        if made:
            np.save(cached, exact_pairs(path, sample))
        want = _as_set(np.load(cached))
        took = f"{time.perf_counter() - start:.0f} s" if made else "cached"
        touched = set(sample.tolist())
        got = {p for p in got if p[0] in touched or p[1] in touched}
        how = (
            f"brute force of {len(sample):,} sampled rows (all {n - first:,} planted, "
            f"{RANDOM_SAMPLE:,} random) against all {n:,} ({took})"
        )
    hit = len(got & want)
    print(f"  exact answer by {how}: {len(want):,} true pairs")
    print(
        f"  found {hit:,}/{len(want):,} (recall {hit / max(1, len(want)):.4f}), "
        f"{len(got - want)} not in the exact answer  {_load()}",
        flush=True,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100k,1m")
    parser.add_argument("--probes", type=int, default=closepairs.PROBES)
    parser.add_argument("--rounds", type=int, default=1, help="timed runs per size")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        path, n, probes, out = args.child
        child(Path(path), int(n), int(probes), Path(out))
        return
    print(f"photofind duplicates bench: threshold {THRESHOLD}, {os.cpu_count()} cores, {_load()}")
    for n in (parse_size(s) for s in args.sizes.split(",")):
        print(f"\n== {n:,} vectors ==", flush=True)
        measure(n, args.probes, args.rounds)


if __name__ == "__main__":
    main()

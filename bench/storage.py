"""Benchmark: disk and memory per indexed photo (catalog + vector index) at 100k and 1M photos.

    python bench/storage.py                  # 100k and 1M (1M builds for a long while once)
    python bench/storage.py --sizes 100k

Uses the cached synthetic libraries of bench/query.py (bench/_work/lib-clip-N/: a catalog of N
photos with 512-d vectors, and the vector index built from it). Memory is measured in a fresh
process that opens the library as the app does (catalog + `VectorIndex.open`) and runs a few
queries: RSS after opening minus RSS before, and the peak. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from query import DIM, MODEL, library_dir, open_index, parse_size

PROBE = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path

    def status(field):
        for line in open("/proc/self/status"):
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
        return 0

    import numpy as np
    from photofind.library.catalog import Catalog
    from photofind.library.vectors import VectorIndex
    from photofind.library import vectorsync
    folder, model, dim = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    before = status("VmRSS")
    start = time.perf_counter()
    catalog = Catalog(folder / "catalog.sqlite")
    index = vectorsync.open_index(folder / "vectors" / f"{model}.index", dim, catalog, model)
    opened = time.perf_counter() - start
    rng = np.random.default_rng(0)
    for _ in range(20):
        hits = index.query(rng.standard_normal(dim).astype(np.float32), 50)
        catalog.get_files([i for i, _ in hits])
    print(json.dumps({
        "before": before, "after": status("VmRSS"), "peak": status("VmHWM"),
        "open_seconds": opened, "action": index.open_report.action, "count": len(index),
    }))
    """
)


def _mb(n: float) -> str:
    return f"{n / 1e6:8.1f} MB"


def measure(n: int) -> None:
    catalog, index = open_index("clip", n)
    count = len(index)
    # Fold the WAL into the main file so the figure is the steady-state size.
    catalog._conn().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    catalog.close()
    del index
    folder = library_dir("clip", n)
    sizes = {
        "catalog.sqlite (+wal, shm)": sum(
            p.stat().st_size for p in folder.glob("catalog.sqlite*") if p.is_file()
        ),
        "vector index .index": (folder / "vectors" / f"{MODEL}.index").stat().st_size,
        "sidecar .json": (folder / "vectors" / f"{MODEL}.index.json").stat().st_size,
    }
    print(f"  disk, {count:,} photos:")
    for name, size in sizes.items():
        print(f"    {name:<28} {_mb(size)}  {size / count:8.0f} B/photo")
    total = sum(sizes.values())
    print(f"    {'total':<28} {_mb(total)}  {total / count:8.0f} B/photo")
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(folder), MODEL, str(DIM)],
        capture_output=True,
        text=True,
        check=True,
    )
    probe = json.loads(out.stdout.strip().splitlines()[-1])
    grown = probe["after"] - probe["before"]
    print(f"  memory, fresh process opening the library ({probe['action']}):")
    print(f"    RSS before opening           {_mb(probe['before'])}")
    print(f"    RSS after open + 20 queries  {_mb(probe['after'])}  (+{grown / count:.0f} B/photo)")
    print(f"    peak RSS                     {_mb(probe['peak'])}")
    print(f"    open time                    {probe['open_seconds']:8.1f} s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100k,1m")
    args = parser.parse_args(argv)
    print(f"photofind storage bench: {DIM}-d float32 vectors, one model")
    for n in (parse_size(s) for s in args.sizes.split(",")):
        print(f"\n== {n:,} photos ==", flush=True)
        measure(n)


if __name__ == "__main__":
    main()

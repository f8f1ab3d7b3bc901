"""Benchmark: disk and memory per indexed photo (catalog + vector index) at 100k and 1M photos.

    python bench/storage.py                  # 100k and 1M (1M builds for a long while once)
    python bench/storage.py --sizes 100k

Uses the cached synthetic libraries of bench/query.py (bench/_work/lib-clip-N/: a catalog of N
photos with 512-d vectors, and the vector index built from it). Memory is measured in a fresh
process that opens the library as the app does (catalog + `vectorsync.open_index`) and runs
200 queries (100 text-like, 100 image-like, bench/clipdata.py): RSS after opening and after the
queries minus RSS before (anonymous and mapped-file parts apart), and the peak. Prints
figures; asserts nothing.
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

BENCH = Path(__file__).resolve().parent

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
    sys.path.insert(0, sys.argv[4])
    from clipdata import synthetic, text_queries
    from photofind.library.catalog import Catalog
    from photofind.library import vectorsync
    folder, model, dim = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    queries = np.vstack([text_queries(100, seed=2), synthetic(100, seed=1)])
    before = status("VmRSS")
    start = time.perf_counter()
    catalog = Catalog(folder / "catalog.sqlite")
    index = vectorsync.open_index(folder / "vectors" / f"{model}.index", dim, catalog, model)
    opened = time.perf_counter() - start
    opened_rss = status("VmRSS")
    for q in queries:
        hits = index.query(q, 50)
        catalog.get_files([i for i, _ in hits])
    print(json.dumps({
        "before": before, "opened": opened_rss, "after": status("VmRSS"), "peak": status("VmHWM"),
        "anon": status("RssAnon"), "file": status("RssFile"),
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
        [sys.executable, "-c", PROBE, str(folder), MODEL, str(DIM), str(BENCH)],
        capture_output=True,
        text=True,
        check=True,
    )
    probe = json.loads(out.stdout.strip().splitlines()[-1])
    grown = probe["after"] - probe["before"]
    print(f"  memory, fresh process opening the library ({probe['action']}):")
    print(f"    RSS before opening           {_mb(probe['before'])}")
    opened = probe["opened"] - probe["before"]
    per = opened / count
    print(f"    RSS after open               {_mb(probe['opened'])}  (+{per:.0f} B/photo)")
    print(f"    RSS after 200 queries        {_mb(probe['after'])}  (+{grown / count:.0f} B/photo)")
    print(f"      of which anonymous         {_mb(probe['anon'])}")
    print(f"      of which mapped file pages {_mb(probe['file'])}  (page cache, reclaimable)")
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

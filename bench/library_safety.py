"""Encodes wasted and photos lost in the library's risky moments, through the `photofind` CLI.

    python bench/library_safety.py [--photos 2000] [--code DIR ...] [--runs 2]

- two-indexers: two `photofind index` processes started together on one library;
- replug (root only): a bind-mounted folder indexed, unmounted, indexed, mounted, indexed;
- moves: photos moved between two folders watched by the library's watcher (in-process).

`--code DIR ...` runs these checkouts' `photofind` packages (PYTHONPATH=DIR, from a neutral
folder; default: this one), interleaved (A B A B) on the same photos.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "fixtures" / "tiny-clip"
from photofind.testing.synthetic import make_photo  # noqa: E402


def cli(code: Path, library: Path, *args: str, wait: bool = True):
    command = [sys.executable, "-m", "photofind", "--library", str(library), *args]
    env = {**os.environ, "PYTHONPATH": str(code)}
    proc = subprocess.Popen(
        command, env=env, cwd=tempfile.gettempdir(), stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    return proc.communicate()[0].strip() if wait else proc


def vectors(library: Path) -> tuple[int, int]:
    """(vectors held, vectors ever stored): the difference is photos encoded twice."""
    with contextlib.closing(sqlite3.connect(library / "catalog.sqlite")) as conn:
        n, seq = conn.execute("SELECT count(*), coalesce(max(seq), 0) FROM embeddings").fetchone()
    return n, seq


def two_indexers(code: Path, photos: Path, work: Path) -> str:
    library = work / "lib"
    cli(code, library, "folders", "add", str(photos))
    procs = [cli(code, library, "--model", str(TINY), "index", wait=False) for _ in range(2)]
    outs = [p.communicate()[0].strip() for p in procs]
    n, seq = vectors(library)
    return f"two-indexers: photos {n}, encodes {seq}  [{' | '.join(outs)}]"


def replug(code: Path, photos: Path, work: Path) -> str:
    library, drive = work / "lib", work / "mnt"
    drive.mkdir()
    subprocess.run(["mount", "--bind", str(photos), str(drive)], check=True)
    try:
        cli(code, library, "folders", "add", str(drive))
        cli(code, library, "--model", str(TINY), "index")
        subprocess.run(["umount", str(drive)], check=True)
        cli(code, library, "--model", str(TINY), "index")
        away = vectors(library)[0]
        subprocess.run(["mount", "--bind", str(photos), str(drive)], check=True)
        start = time.perf_counter()
        cli(code, library, "--model", str(TINY), "index")
        seconds = time.perf_counter() - start
        n, seq = vectors(library)
        return f"replug: kept while away {away}, after replug {n}, encodes {seq}, {seconds:.1f} s"
    finally:
        subprocess.run(["umount", str(drive)], capture_output=True)


MOVES = """
import sys, time
from pathlib import Path
from photofind.clip import ClipModel
from photofind.library.home import LibraryPaths
from photofind.library.library import Library
a, b, work, tiny = (Path(p) for p in sys.argv[1:5])
model = ClipModel.load(tiny)
with Library(LibraryPaths.resolve(work / "lib"), model) as lib:
    lib.add_folder(a); lib.add_folder(b); lib.index()
    ids = {p.name: lib.catalog.file_by_path(p).id for p in a.iterdir()}
    lib.watch()
    for p in sorted(a.iterdir()):
        p.rename(b / p.name)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        time.sleep(0.5)
        left = lib.catalog.files_in_folder(lib.catalog.folder_for_path(a).id)
        right = lib.catalog.files_in_folder(lib.catalog.folder_for_path(b).id)
        if not left and len(right) == len(ids):
            break
    time.sleep(2)
    kept = sum(1 for p in b.iterdir() if (r := lib.catalog.file_by_path(p)) and r.id == ids[p.name])
print(kept, len(ids))
"""


def moves(code: Path, photos: Path, work: Path, count: int = 200) -> str:
    a, b = work / "a", work / "b"
    b.mkdir()
    for n in range(count):
        make_photo(a / f"{n:04}.jpg", "red", "circle", seed=n, size=(64, 64))
    env = {**os.environ, "PYTHONPATH": str(code)}
    out = subprocess.run([sys.executable, "-c", MOVES, str(a), str(b), str(work), str(TINY)],
                         env=env, cwd=tempfile.gettempdir(), capture_output=True, text=True,
                         check=True).stdout.split()  # fmt: skip
    n, seq = vectors(work / "lib")
    return f"moves: kept id {out[0]}/{out[1]}, encodes {seq} for {n} photos"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=2000)
    parser.add_argument("--code", type=Path, nargs="+", default=[ROOT])
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="photofind-safety-") as tmp:
        photos = Path(tmp) / "photos"
        colours, shapes = ("red", "green", "blue", "yellow"), ("circle", "square", "triangle")
        for n in range(args.photos):
            make_photo(photos / f"{n // 200}" / f"p{n}.jpg", colours[n % 4], shapes[n % 3],
                       seed=n, size=(640, 480))  # fmt: skip
        benches = [two_indexers, moves] + ([replug] if os.geteuid() == 0 else [])
        for run in range(args.runs):
            for bench in benches:
                for code in args.code:
                    work = Path(tempfile.mkdtemp(dir=tmp))
                    result = bench(code, photos, work)
                    load = os.getloadavg()[0]
                    print(f"run {run + 1} [{code}] {result} (load {load:.1f})", flush=True)


if __name__ == "__main__":
    main()

"""Stress test of the vector index the way the window drives it: Qt pool threads and Python threads
searching while another thread adds, removes and saves, with the machine's cores kept busy.

    python bench/vector_stress.py --minutes 10       # the issue's 10-minute run
    python bench/vector_stress.py --seconds 25       # what tests/core/test_vector_stress.py runs

A library (catalog and saved index) is built once; then rounds run one after the other, each in
a fresh process that opens the saved index from disk, as a window launch does (the window
crashed after loading a saved index, and a binding's first use in a process is a moment of its
own, so a long run is many launches, not one long process). In a round, searches run in
`QRunnable`s on a real `QThreadPool` (threads Python did not create; the pool also opens the
index, and every other round a short expiry makes it end and start threads all the time) and in
plain Python threads; the writer runs in the pool too, like the window's indexing task, and keeps
the catalog in step. A numpy thread and a burner process keep both cores busy. Every answer is
checked (ids known, no repeats, scores sorted, filters obeyed).

Prints one line per failed round and a summary; exit status 0 when every round passed, else 1.
A crashed round shows its signal (returncode -11) and faulthandler's stacks, and so does a hung
one (faulthandler ends it).
"""

from __future__ import annotations

import argparse
import faulthandler
import multiprocessing
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from photofind.library.catalog import Catalog, NewFile  # noqa: E402

if TYPE_CHECKING:
    from PySide6.QtCore import QThreadPool

    from photofind.library.vectors import VectorIndex

MODEL = "stress"
DIM = 512


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _vectors(n: int, seed: int) -> np.ndarray:
    """Clustered unit vectors around a shared direction, like CLIP image embeddings."""
    rng = np.random.default_rng(seed)
    mean = np.random.default_rng(7).standard_normal(DIM)
    centres = np.random.default_rng(8).standard_normal((64, DIM))
    return _unit(2 * mean + centres[rng.integers(0, 64, n)] + rng.standard_normal((n, DIM)))


def _index_path(folder: Path) -> Path:
    return folder / "vectors" / f"{MODEL}.idx"


def _burn(stop_at: float) -> None:
    """Keeps one core busy with float math (another process, like a second app)."""
    a = np.random.default_rng(0).standard_normal((300, 300))
    while time.time() < stop_at:
        a = np.tanh(a @ a.T / 300.0)


class Round:
    """One process's stress: the index, the ids that may appear, counters and errors."""

    def __init__(self, catalog: Catalog, index: VectorIndex, seconds: float, seed: int) -> None:
        self.catalog = catalog
        self.index = index
        self.seed = seed
        self.deadline = time.monotonic() + seconds
        known = catalog.embedding_ids(MODEL)
        self.ever = set(known.tolist())  # every id that was live at some point
        self.top = int(known.max()) + 1 if len(known) else 1
        self.lock = threading.Lock()
        self.counts = {"qt queries": 0, "py queries": 0, "adds": 0, "removes": 0, "saves": 0}
        self.errors: list[str] = []
        self.queries = _vectors(256, seed=10_000 + seed)
        self.folder_id = catalog.add_folder(catalog.path.parent / "photos").id

    def alive(self) -> bool:
        return time.monotonic() < self.deadline and not self.errors

    def count(self, name: str, n: int = 1) -> None:
        with self.lock:
            self.counts[name] += n

    def fail(self, where: str, exc: BaseException) -> None:
        with self.lock:
            self.errors.append(f"{where}: {type(exc).__name__}: {exc}")

    def search_once(self, seed: int) -> None:
        """One round of what the window's search task does (plus find-similar)."""
        rng = np.random.default_rng(seed)
        q = self.queries[rng.integers(0, len(self.queries))]
        hits = self.index.query(q, 50)
        self._check(hits)
        some = [i for i, _ in hits[:5] if i in self.index]
        try:
            vecs = self.index.get_vectors(some)
            assert vecs.shape == (len(some), DIM), vecs.shape
        except KeyError:
            pass  # removed between the membership check and the read
        allowed = set(rng.integers(1, self.top, 300).tolist())
        self._check(self.index.query(q, 20, filter_ids=allowed), allowed)
        wide = set(range(int(rng.integers(1, 3)), self.top, 2))
        self._check(self.index.query(q, 20, filter_ids=wide), wide)

    def _check(self, hits: list[tuple[int, float]], allowed: set[int] | None = None) -> None:
        ids = [i for i, _ in hits]
        scores = [s for _, s in hits]
        if len(set(ids)) != len(ids):
            raise AssertionError(f"repeated ids in {ids}")
        if scores != sorted(scores, reverse=True):
            raise AssertionError(f"scores out of order: {scores}")
        with self.lock:
            unknown = [i for i in ids if i not in self.ever]
        if unknown:
            raise AssertionError(f"ids that were never added: {unknown}")
        if allowed is not None and any(i not in allowed for i in ids):
            raise AssertionError("an id outside the filter")

    def write(self) -> None:
        """Adds batches, re-encodes some, removes some and saves, like indexing plus the watcher;
        the catalog first, then the index and its stamp, as the indexer does."""
        rng = np.random.default_rng(self.seed)
        batch = 0
        try:
            while self.alive():
                n = int(rng.integers(8, 64))
                root = self.catalog.path.parent / "photos"
                rows = [NewFile(self.folder_id, root / f"r{self.seed}-{batch}-{k}.jpg", 1, 1)
                        for k in range(n)]  # fmt: skip
                ids = np.asarray(self.catalog.add_files(rows), dtype=np.int64)
                vecs = _vectors(n, seed=self.seed * 100_000 + batch)
                stored = self.catalog.store_batch(
                    MODEL, [(int(i), v, None) for i, v in zip(ids, vecs, strict=True)], []
                )
                with self.lock:
                    self.ever.update(ids.tolist())
                    self.top = max(self.top, int(ids.max()) + 1)
                self.index.add(ids, vecs)
                self.index.advance(stored.before, stored.after)
                self.count("adds", n)
                live = self.index.ids()
                again = rng.choice(live, 3)
                vecs = _vectors(3, seed=self.seed * 100_000 + batch + 50_000)
                stored = self.catalog.store_batch(
                    MODEL, [(int(i), v, None) for i, v in zip(again, vecs, strict=True)], []
                )
                self.index.add(again, vecs)
                self.index.advance(stored.before, stored.after)
                gone = np.unique(rng.choice(live, int(rng.integers(1, 20))))
                self.catalog.delete_files(gone.tolist())
                self.index.remove(gone)
                self.count("removes", len(gone))
                batch += 1
                if batch % 8 == 0:
                    self.index.save()
                    self.count("saves")
                time.sleep(float(rng.uniform(0, 0.01)))
        except BaseException as exc:
            self.fail("writer", exc)

    def python_searcher(self, seed: int) -> None:
        n = 0
        try:
            while self.alive():
                self.search_once(seed * 100_000 + n)
                self.count("py queries", 3)
                n += 1
        except BaseException as exc:
            self.fail(f"python searcher {seed}", exc)

    def burner(self) -> None:
        """numpy in this process: BLAS threads and the GIL compete with the searches."""
        a = np.random.default_rng(3).standard_normal((400, 400)).astype(np.float32)
        while self.alive():
            a = np.tanh(a @ a.T / 400.0)

    def run_pool(
        self, pool: QThreadPool, qt_threads: int, start_after_first: list[threading.Thread]
    ) -> None:
        """Submit search tasks in bursts to a QThreadPool whose idle threads expire at once.

        The pool makes the process's first calls into the vector library (as in the window,
        where no Python thread touches it first); `start_after_first` start once one answered.
        """
        from PySide6.QtCore import QRunnable

        stress = self

        class Search(QRunnable):
            def __init__(self, seed: int) -> None:
                super().__init__()
                self.seed = seed

            def run(self) -> None:
                try:
                    for k in range(4):
                        stress.search_once(self.seed * 10 + k)
                    stress.count("qt queries", 12)
                except BaseException as exc:
                    stress.fail("qt search task", exc)

        class Write(QRunnable):
            def run(self) -> None:
                stress.write()

        rng = np.random.default_rng(self.seed)
        seed = self.seed * 1_000_000
        # The first searches and the first add race from pool threads, as at a window launch.
        for _ in range(qt_threads):
            pool.start(Search(seed))
            seed += 1
        pool.start(Write())
        while not self.counts["qt queries"] and self.alive():
            time.sleep(0.001)
        for t in start_after_first:
            t.start()
        while self.alive():
            while pool.activeThreadCount() > 1 and self.alive():
                time.sleep(0.001)
            time.sleep(float(rng.uniform(0, 0.02)))
            for _ in range(int(rng.integers(1, qt_threads + 1))):
                pool.start(Search(seed))
                seed += 1
        pool.waitForDone()


def run_round(folder: Path, seconds: float, seed: int, qt_threads: int, py_threads: int,
              burn: bool) -> int:  # fmt: skip
    """One launch: open the saved index, stress it, save; 0 if every answer was right."""
    faulthandler.enable()
    faulthandler.dump_traceback_later(_hang_limit(seconds), exit=True)  # a hang fails too
    from PySide6.QtCore import QCoreApplication, QRunnable, QThreadPool

    app = QCoreApplication.instance() or QCoreApplication([])
    catalog = Catalog(folder / "catalog.sqlite")
    pool = QThreadPool()
    pool.setMaxThreadCount(qt_threads + 1)
    if seed % 2:  # odd rounds: threads end between bursts and new ones start
        pool.setExpiryTimeout(5)
    opened: list[VectorIndex] = []

    class Open(QRunnable):  # the window opens its library in the pool too
        def run(self) -> None:
            # The vector library's first import happens here, in a pool thread, as in the
            # window (photofind.library imports it lazily): a binding that keeps per-thread
            # interpreter state from its import time trips on a reused pool thread later.
            from photofind.library import vectorsync

            opened.append(vectorsync.open_index(_index_path(folder), DIM, catalog, MODEL))

    pool.start(Open())
    while not opened:  # not waitForDone(): that ends the pool's threads, the window's live on
        time.sleep(0.005)
    index = opened[0]
    stress = Round(catalog, index, seconds, seed)
    if index.open_report.action != "loaded":
        stress.errors.append(f"the saved index was {index.open_report.action}, not loaded")
    threads = [
        threading.Thread(target=stress.python_searcher, args=(s,), daemon=True)
        for s in range(py_threads)
    ]
    if burn:
        threads.append(threading.Thread(target=stress.burner, daemon=True))
    stress.run_pool(pool, qt_threads, start_after_first=threads)
    for t in threads:
        t.join(30)
    index.save()
    reopened = type(index).load_file(_index_path(folder), DIM, MODEL)
    if reopened.ids().tolist() != index.ids().tolist():
        stress.errors.append("the saved index holds other ids than the live one")
    if index.ids().tolist() != catalog.embedding_ids(MODEL).tolist():
        stress.errors.append("the index and the catalog hold different ids")
    catalog.close()
    del app
    if stress.errors:
        print(f"wrong: {stress.errors[0]}", flush=True)
        return 1
    print("counts " + ", ".join(f"{v} {k}" for k, v in stress.counts.items()), flush=True)
    return 0


def _hang_limit(seconds: float) -> float:
    """A round still running this long after it started is hung (deadlocked)."""
    return seconds * 3 + 30


def build_library(folder: Path, n: int) -> None:
    """A catalog with n photos and vectors, and its index built and saved (in this process,
    which never stresses: each round's process starts with a clean slate)."""
    from photofind.library import vectorsync

    catalog = Catalog(folder / "catalog.sqlite")
    root = folder / "photos"
    fid = catalog.add_folder(root).id
    data = _vectors(n, seed=0)
    for lo in range(0, n, 5000):
        rows = [NewFile(fid, root / f"{i}.jpg", 1000 + i, i) for i in range(lo, min(n, lo + 5000))]
        ids = catalog.add_files(rows)
        catalog.store_results(MODEL, [(i, data[i - 1], None) for i in ids], [])
    vectorsync.open_index(_index_path(folder), DIM, catalog, MODEL)
    catalog.close()


def resync(folder: Path) -> None:
    """Bring the saved index in line with the catalog after a round died (this process)."""
    from photofind.library import vectorsync

    catalog = Catalog(folder / "catalog.sqlite")
    vectorsync.open_index(_index_path(folder), DIM, catalog, MODEL)
    catalog.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=25.0, help="total stress time")
    parser.add_argument("--minutes", type=float, help="overrides --seconds")
    parser.add_argument("--round", type=float, default=4.0, help="seconds per process")
    parser.add_argument("--size", type=int, default=5000, help="vectors in the saved index")
    parser.add_argument("--qt-threads", type=int, default=3)
    parser.add_argument("--py-threads", type=int, default=2)
    parser.add_argument("--no-burn", action="store_true", help="leave the cores idle")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)  # one round, internal
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return run_round(args.worker, args.round, args.seed, args.qt_threads, args.py_threads,
                         not args.no_burn)  # fmt: skip
    seconds = args.minutes * 60 if args.minutes else args.seconds
    start = time.monotonic()
    results: dict[str, int] = {"passed": 0, "wrong": 0, "crashed": 0, "hung": 0}
    with tempfile.TemporaryDirectory(prefix="photofind-stress-") as tmp:
        folder = Path(tmp)
        build_library(folder, args.size)
        built = time.monotonic() - start
        print(f"library of {args.size:,} vectors built in {built:.1f} s; {seconds:.0f} s of "
              f"{args.round:g} s rounds", flush=True)  # fmt: skip
        burner = None
        if not args.no_burn:
            ctx = multiprocessing.get_context("spawn")
            burner = ctx.Process(target=_burn, args=(time.time() + seconds + 60,), daemon=True)
            burner.start()
        command = [sys.executable, str(Path(__file__).resolve()), "--worker", str(folder),
                   "--round", str(args.round), "--qt-threads", str(args.qt_threads),
                   "--py-threads", str(args.py_threads)]  # fmt: skip
        if args.no_burn:
            command.append("--no-burn")
        seed = 0
        try:
            while time.monotonic() - start - built < seconds:
                seed += 1
                done = subprocess.run(
                    [*command, "--seed", str(seed)], capture_output=True, text=True,
                    timeout=_hang_limit(args.round) + 60,
                )  # fmt: skip
                if done.returncode == 0:
                    results["passed"] += 1
                    continue
                output = (done.stdout + done.stderr).strip()
                if done.returncode < 0:
                    kind = "crashed"
                elif "Timeout (" in output:  # faulthandler's dump_traceback_later
                    kind = "hung"
                else:
                    kind = "wrong"
                results[kind] += 1
                lines = output.splitlines()
                first = next((n for n, line in enumerate(lines) if "Current thread" in line), None)
                tail = lines[first : first + 12] if first is not None else lines[-25:]
                print(f"round {seed}: {kind} (returncode {done.returncode})", flush=True)
                print("    " + "\n    ".join(tail), flush=True)
                if kind != "wrong":  # the catalog may be ahead of the saved index
                    resync(folder)
        finally:
            if burner is not None:
                burner.terminate()
                burner.join(10)
    rounds = sum(results.values())
    print(f"{rounds} rounds in {time.monotonic() - start:.0f} s: "
          + ", ".join(f"{v} {k}" for k, v in results.items())
          + f"; load average {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
    return 0 if rounds and results["passed"] == rounds else 1


if __name__ == "__main__":
    sys.exit(main())

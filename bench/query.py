"""Benchmark: vector lookup latency and recall@50 at 10k / 100k / 1M synthetic 512-d vectors.

    python bench/query.py                          # 10k and 100k, CLIP-like vectors
    python bench/query.py --sizes 1m               # 1M (first run builds for a long while)
    python bench/query.py --data uniform           # iid random vectors: no structure at all
    python bench/query.py --model /work/bench-models/ViT-B-32-256__random-init
    git show main:photofind/library/vectorbackend.py > /tmp/main_vectorbackend.py
    python bench/query.py --sizes 100k,1m --no-filters --against /tmp/main_vectorbackend.py

Each size is a real library under bench/_work/ (catalog.sqlite filled with synthetic files and
vectors, the vector index built by `VectorIndex.open` exactly as the app does, build time
printed), cached so reruns only measure. Prints figures; it asserts nothing.

--against FILE: another version's vectorbackend.py (its own sketch built from the same vectors
in memory), timed query by query interleaved with this one's (A B A B) on the same queries:
the A/B figure that holds on a busy machine. Each size prints the resident bytes per vector of
the sketch (what a search keeps in memory beside the mapped file).

Synthetic data: bench/clipdata.py ("clip": CLIP-shaped image vectors, image and text queries;
"uniform": iid on the sphere). bench/vector_backends.py compares the vector libraries.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(__file__).resolve().parent / "_work"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from clipdata import DIM, exact_top, parse_size, synthetic, text_queries  # noqa: E402

from photofind.library import vectorsync  # noqa: E402
from photofind.library.catalog import Catalog, NewFile  # noqa: E402
from photofind.library.vectorbackend import NAME as BACKEND  # noqa: E402
from photofind.library.vectors import VectorIndex  # noqa: E402

K = 50
MODEL = "bench-512"


def library_dir(kind: str, n: int) -> Path:
    return WORK / f"lib-{kind}-{n}"


def ensure_library(kind: str, n: int, data: np.ndarray | None = None) -> tuple[Catalog, Path]:
    """A catalog with n synthetic photos and their vectors (ids 1..n = rows 0..n-1), cached."""
    folder = library_dir(kind, n)
    folder.mkdir(parents=True, exist_ok=True)
    catalog = Catalog(folder / "catalog.sqlite")
    have = catalog.embedding_count(MODEL)
    if have < n:
        data = synthetic(n, kind) if data is None else data
        print(f"  filling catalog with {n:,} photos ...", flush=True)
        start = time.perf_counter()
        root = Path("/photos")
        fid = catalog.add_folder(root).id
        day = 86400.0
        for lo in range(have, n, 10_000):
            hi = min(n, lo + 10_000)
            rows = [
                NewFile(fid, root / f"{i // 1000:04d}" / f"IMG_{i:07d}.jpg", 3_000_000 + i, i)
                for i in range(lo, hi)
            ]
            ids = catalog.add_files(rows)
            ok = [(fid_, data[fid_ - 1], None) for fid_ in ids]
            catalog.store_results(MODEL, ok, [])
        with catalog._write() as conn:  # dates for filter benchmarks: one photo per 5 minutes
            conn.execute("UPDATE files SET taken_at = 1.5e9 + id * ?", (day / 288,))
        print(f"  catalog filled in {time.perf_counter() - start:.0f} s", flush=True)
    return catalog, folder / "vectors" / f"{MODEL}.index"


def open_index(kind: str, n: int, data: np.ndarray | None = None) -> tuple[Catalog, VectorIndex]:
    catalog, path = ensure_library(kind, n, data)
    last = [time.perf_counter()]

    def progress(done: int, total: int) -> None:
        if time.perf_counter() - last[0] > 30 or done == total:
            last[0] = time.perf_counter()
            print(f"  building index: {done:,}/{total:,}", flush=True)

    index = vectorsync.open_index(path, DIM, catalog, MODEL, progress)
    report = index.open_report
    verb = "built" if report.action == "rebuilt" else report.action
    print(f"  index {verb} in {report.seconds:.1f} s ({len(index):,} vectors)", flush=True)
    return catalog, index


def _ms(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
    return f"median {statistics.median(values) * 1e3:6.2f} ms  p95 {p95 * 1e3:6.2f} ms"


def _exact_scan(data: np.ndarray, q: np.ndarray) -> np.ndarray:
    """What photofind did before the sketch: one float32 BLAS scan of every vector."""
    sims = data @ q
    return np.argpartition(-sims, K - 1)[:K]


def measure_lookup(
    index: VectorIndex,
    data: np.ndarray,
    queries: np.ndarray,
    truth: np.ndarray,
    label: str,
    other: VectorIndex | None = None,
) -> None:
    """The index's lookup and a plain exact float32 scan of the same vectors (and the other
    version's lookup, given one), interleaved query by query (A B A B), so the ratios hold
    on a busy machine."""
    for q in queries[:10]:  # warm caches (and start packing the sketch: the 4th search)
        index.query(q, K)
        _exact_scan(data, q)
        if other is not None:
            other.query(q, K)
    for which in (index, other):  # the window's steady state: its sketch packed
        packed = getattr(getattr(which, "_store", None), "_packed", None)
        if packed is not None:
            packed.wait()
    times, scans, recalls, others, other_recalls = [], [], [], [], []

    def timed(which: VectorIndex, q: np.ndarray, into: list, found: list, exact) -> None:
        start = time.perf_counter()
        hits = which.query(q, K)
        into.append(time.perf_counter() - start)
        found.append(len({i for i, _ in hits} & set(exact.tolist())) / K)

    for n, (q, exact) in enumerate(zip(queries, truth, strict=True)):
        if other is not None and n % 2:  # A B, then B A: neither always follows the scan
            timed(other, q, others, other_recalls, exact)
        timed(index, q, times, recalls, exact)
        start = time.perf_counter()
        _exact_scan(data, q)
        scans.append(time.perf_counter() - start)
        if other is not None and not n % 2:
            timed(other, q, others, other_recalls, exact)
    ratio = statistics.median(times) / statistics.median(scans)
    print(f"    {label:<22} index {_ms(times)}  recall@50 {np.mean(recalls):.4f}"
          f"  ({sketch_bytes(index._store)})")  # fmt: skip
    print(f"    {'':<22} exact {_ms(scans)}  index/exact {ratio:.2f}  {_load()}")
    if other is not None:
        ratio = statistics.median(times) / statistics.median(others)
        print(
            f"    {'':<22} other {_ms(others)}  recall@50 {np.mean(other_recalls):.4f}"
            f"  index/other {ratio:.2f}"
        )


def sketch_bytes(store) -> str:
    """Resident bytes per vector of a store's sketch (whichever arrays it keeps), and of the
    packed copy ONNX Runtime holds once the store has packed (packedscan)."""
    arrays = [getattr(store, a) for a in ("_codes", "_sketch", "_rest") if hasattr(store, a)]
    rows = max(1, len(store._ids))
    own = f"{sum(a.nbytes for a in arrays) / rows:.0f} B/vector"
    packed = getattr(store, "_packed", None)
    if packed is None or not packed._blocks:
        return own
    copy = sum(b.rows * b.dims for b in packed._blocks.values()) / rows
    return f"{own} + {copy:.0f} packed"


def other_index(source: Path, saved: Path, data: np.ndarray) -> VectorIndex:
    """A VectorIndex over another version's VectorStore (the module at `source`): the saved
    index file loaded, mapped like this version's, when that version reads its format, else
    built from the same vectors (ids 1..n, held in memory, its own sketch)."""
    spec = importlib.util.spec_from_file_location("other_vectorbackend", source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    start = time.perf_counter()
    index = VectorIndex(DIM)
    try:
        index._store, how = module.VectorStore.load(saved, DIM), "loaded"
    except module.BackendError:
        index._store, how = module.VectorStore(DIM, np.arange(1, len(data) + 1), data), "built"
    print(f"  other ({module.NAME}) {how} in {time.perf_counter() - start:.1f} s")
    return index


def _load() -> str:
    return "load {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def measure_filters(index: VectorIndex, data: np.ndarray, queries: np.ndarray) -> None:
    """Filters of several widths (a date range: the photos of one stretch of ids)."""
    n = len(index)
    print("    filtered queries:")
    for share in (0.001, 0.003, 0.01, 0.03, 0.1, 0.3):
        width = max(1, int(n * share))
        lo = n // 3
        allowed = set(range(lo + 1, lo + width + 1))  # ids are rows + 1
        truth = exact_top(data[lo : lo + width], queries[:50]) + lo
        times, recalls = [], []
        for q, exact in zip(queries[:50], truth, strict=True):
            start = time.perf_counter()
            hits = index.query(q, K, filter_ids=allowed)
            times.append(time.perf_counter() - start)
            recalls.append(len({i for i, _ in hits} & set(exact.tolist())) / len(exact))
        print(f"      {share:5.1%} ({width:>7,} ids)  {_ms(times)} recall {np.mean(recalls):.3f}")


def measure_text(model_dir: Path, catalog: Catalog, index: VectorIndex, texts: list[str]) -> None:
    try:
        from photofind.clip import ClipModel
    except ImportError as exc:
        print(f"    text query: photofind.clip not available ({exc}); lookup figures only")
        return
    for int8 in (False, True):  # the usual graphs, then the fast setting's (when it has them)
        model = ClipModel.load(model_dir, int8=int8)
        if model.embed_dim != DIM:
            print(f"    text query: model makes {model.embed_dim}-d vectors, bench uses {DIM}")
            return
        if int8 and "textual.int8.onnx" not in model.manifest.files:
            return
        print(f"    {'int8 (--fast)' if int8 else 'fp32'} text graph:")
        _whole_text(model, catalog, index, texts)


def _whole_text(model, catalog: Catalog, index: VectorIndex, texts: list[str]) -> None:
    """Encoder, lookup and records of each text query, one at a time as a person types."""
    for text in texts[:5]:
        model.text.encode_texts([text])
    encode, lookup, records, whole = [], [], [], []
    for text in texts:
        t0 = time.perf_counter()
        vec = model.text.encode_texts([text])[0]
        t1 = time.perf_counter()
        hits = index.query(vec, K)
        t2 = time.perf_counter()
        catalog.get_files([i for i, _ in hits])
        t3 = time.perf_counter()
        encode.append(t1 - t0)
        lookup.append(t2 - t1)
        records.append(t3 - t2)
        whole.append(t3 - t0)
    print(f"    text encoder             {_ms(encode)}")
    print(f"    index lookup (k=50)      {_ms(lookup)}")
    print(f"    catalog records (50)     {_ms(records)}")
    print(f"    whole text query         {_ms(whole)}")


_SUBJECTS = """a dog asleep on a red sofa|the beach at sunset|my grandmother's birthday cake
snow on the mountains|a cat in a cardboard box|children playing football|a bowl of ramen
the eiffel tower at night|a receipt|fireworks over the city"""
TEXTS = [f"a photo of {s}" for s in _SUBJECTS.replace("\n", "|").split("|")] * 10


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10k,100k", help="comma list, e.g. 10k,100k,1m")
    parser.add_argument("--data", choices=["clip", "uniform"], default="clip")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--model", type=Path, help="model folder for whole text queries")
    parser.add_argument("--no-filters", action="store_true")
    parser.add_argument("--against", type=Path, help="another version's vectorbackend.py")
    args = parser.parse_args(argv)
    print(f"photofind query bench: {args.data} vectors, {DIM}-d, k={K}, {os.cpu_count()} cores")
    for n in (parse_size(s) for s in args.sizes.split(",")):
        print(f"\n== {n:,} vectors ==", flush=True)
        data = synthetic(n, args.data)
        catalog, index = open_index(args.data, n, data)
        print(f"  sketch: {BACKEND}, {sketch_bytes(index._store)}")
        saved = library_dir(args.data, n) / "vectors" / f"{MODEL}.index"
        other = other_index(args.against, saved, data) if args.against else None
        if other is not None:
            print(f"  other sketch: {sketch_bytes(other._store)}")
        sets = {"image queries": synthetic(args.queries, args.data, seed=1)}
        if args.data == "clip":
            sets["text queries"] = text_queries(args.queries, seed=2)
        for name, queries in sets.items():
            measure_lookup(index, data, queries, exact_top(data, queries), name, other)
        if not args.no_filters:
            measure_filters(index, data, sets["image queries"])
        if args.model:
            measure_text(args.model, catalog, index, TEXTS)
        del data
        catalog.close()


if __name__ == "__main__":
    main()

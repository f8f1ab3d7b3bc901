"""Benchmark: candidate vector libraries side by side (why photofind's backend is what it is).

    python bench/vector_backends.py                       # 100k vectors, every candidate
    python bench/vector_backends.py --sizes 100k,1m       # 1M takes minutes (HNSW builds)
    python bench/vector_backends.py --only numpy,faiss-flat --rounds 3

The candidates are not photofind's dependencies: `pip install chroma-hnswlib faiss-cpu usearch`
first (a missing one shows as failed). "photofind" is photofind's own store (vectorbackend.py),
"numpy" the same idea in five lines.

Per candidate and size: build time, RSS growth, save and load time, median and p95 latency of
one k=50 query, recall@10 and @50 against exact cosine ranking for image-like and text-like
queries (bench/query.py's CLIP-shaped synthetic vectors: text queries sit across a modality gap,
where graph indexes lose recall), and whether it survives a foreign-thread check: imported in
one QThreadPool task, then used from later tasks on the same reused pool thread (the pattern
that crashes chroma-hnswlib). Each measurement runs in its own process (clean RSS, a binding's
first use), candidates interleaved round by round (A B A B); figures are medians over rounds.
Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

from clipdata import DIM, exact_top, parse_size, synthetic, text_queries  # noqa: E402

K = 50
QUERIES = 200
CANDIDATES = [
    "chroma-hnswlib",
    "faiss-flat",
    "faiss-hnsw",
    "usearch-hnsw",
    "usearch-exact",
    "numpy",
    "photofind",
]


def _rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class Candidate:
    """build / query / save / load for one library, as photofind would use it."""

    def __init__(self, name: str, dim: int) -> None:
        self.name, self.dim, self.index = name, dim, None

    def import_library(self) -> None:
        if self.name == "chroma-hnswlib":
            import hnswlib  # noqa: F401
        elif self.name.startswith("faiss"):
            import faiss  # noqa: F401
        elif self.name.startswith("usearch"):
            import usearch.index  # noqa: F401

    def build(self, data: np.ndarray) -> None:
        ids = np.arange(1, len(data) + 1, dtype=np.int64)
        if self.name == "chroma-hnswlib":
            import hnswlib

            self.index = hnswlib.Index(space="cosine", dim=self.dim)
            self.index.init_index(max_elements=len(data), M=32, ef_construction=200)
            self.index.add_items(data, ids)
            self.index.set_ef(160)
        elif self.name.startswith("faiss"):
            import faiss

            faiss.omp_set_num_threads(os.cpu_count() or 1)  # HNSW builds in parallel
            if self.name == "faiss-flat":
                self.index = faiss.IndexIDMap2(faiss.IndexFlatIP(self.dim))
            else:
                hnsw = faiss.IndexHNSWFlat(self.dim, 32, faiss.METRIC_INNER_PRODUCT)
                hnsw.hnsw.efConstruction = 200
                hnsw.hnsw.efSearch = 160
                self.index = faiss.IndexIDMap2(hnsw)
            self.index.add_with_ids(data, ids)
            faiss.omp_set_num_threads(1)  # one query, one thread: OpenMP teams only cost here
        elif self.name.startswith("usearch"):
            from usearch.index import Index

            self.index = Index(
                ndim=self.dim, metric="ip", connectivity=32, expansion_add=200, expansion_search=160
            )
            self.index.add(ids, data)
        elif self.name == "photofind":
            from photofind.library.vectorbackend import VectorStore

            self.index = VectorStore(self.dim)
            self.index.add(ids, data)
        else:
            self.index = (ids, data.copy())  # photofind's store holds its own copy

    def query(self, q: np.ndarray, k: int) -> np.ndarray:
        if self.name == "chroma-hnswlib":
            return self.index.knn_query(q, k=k, num_threads=1)[0][0]
        if self.name.startswith("faiss"):
            return self.index.search(q.reshape(1, -1), k)[1][0]
        if self.name.startswith("usearch"):
            return self.index.search(q, k, exact=self.name == "usearch-exact", threads=1).keys
        if self.name == "photofind":
            return self.index.search(q, k)[0]
        ids, matrix = self.index
        sims = matrix @ q
        top = np.argpartition(-sims, k)[:k]
        return ids[top[np.argsort(-sims[top])]]

    def save(self, path: Path) -> None:
        if self.name == "chroma-hnswlib":
            self.index.save_index(str(path))
        elif self.name.startswith("faiss"):
            import faiss

            faiss.write_index(self.index, str(path))
        elif self.name.startswith("usearch"):
            self.index.save(str(path))
        elif self.name == "photofind":
            self.index.save(path)
        else:
            np.save(path, self.index[1])

    def load(self, path: Path) -> None:
        if self.name == "chroma-hnswlib":
            import hnswlib

            self.index = hnswlib.Index(space="cosine", dim=self.dim)
            self.index.load_index(str(path))
            self.index.set_ef(160)
        elif self.name.startswith("faiss"):
            import faiss

            self.index = faiss.read_index(str(path))
            faiss.omp_set_num_threads(1)
        elif self.name.startswith("usearch"):
            from usearch.index import Index

            self.index = Index.restore(str(path))
        elif self.name == "photofind":
            from photofind.library.vectorbackend import VectorStore

            self.index = VectorStore.load(path, self.dim)
        else:
            matrix = np.load(str(path) + ".npy")
            self.index = (np.arange(1, len(matrix) + 1, dtype=np.int64), matrix)


def measure(name: str, n: int, work: Path) -> dict:
    """One process: build (or load the saved copy of an earlier round), then query."""
    data = synthetic(n)
    queries = {"image": synthetic(QUERIES, seed=1), "text": text_queries(QUERIES, seed=2)}
    cand = Candidate(name, DIM)
    path = work / f"{name}-{n}.bin"
    out: dict = {"name": name, "n": n}
    before = _rss()
    if path.exists() or Path(f"{path}.npy").exists():
        t = time.perf_counter()
        cand.load(path)
        out["load_s"] = time.perf_counter() - t
    else:
        t = time.perf_counter()
        cand.build(data)
        out["build_s"] = time.perf_counter() - t
        t = time.perf_counter()
        cand.save(path)
        out["save_s"] = time.perf_counter() - t
    out["rss_mb"] = (_rss() - before) / 2**20
    times = []
    for kind, qs in queries.items():
        truth = exact_top(data, qs, K)  # 1-based ids
        for q in qs[:10]:
            cand.query(q, K)
        r10, r50 = [], []
        for q, exact in zip(qs, truth, strict=True):
            t = time.perf_counter()
            got = cand.query(q, K)
            times.append(time.perf_counter() - t)
            r10.append(len(set(got[:10].tolist()) & set(exact[:10].tolist())) / 10)
            r50.append(len(set(got.tolist()) & set(exact.tolist())) / K)
        out[f"{kind}_r10"], out[f"{kind}_r50"] = float(np.mean(r10)), float(np.mean(r50))
    times.sort()
    out["median_ms"] = statistics.median(times) * 1e3
    out["p95_ms"] = times[int(0.95 * (len(times) - 1))] * 1e3
    return out


def foreign_threads(name: str) -> str:
    """Import and build in one pool task, use from later tasks on reused pool threads."""
    script = f"""
import faulthandler, sys, time, threading
sys.path.insert(0, {str(BENCH)!r})
faulthandler.enable()
faulthandler.dump_traceback_later(60, exit=True)
import numpy as np
from PySide6.QtCore import QCoreApplication, QRunnable, QThreadPool
app = QCoreApplication([])
state = {{}}
lock = threading.Lock()
class Import(QRunnable):  # as the window opens its library: the first import, in the pool
    def run(self):
        from vector_backends import Candidate
        c = Candidate({name!r}, 64)
        c.import_library()
        state["c"] = c
class Use(QRunnable):  # later tasks, some on the importing thread: first add, then queries
    def run(self):
        c = state["c"]
        with lock:
            if c.index is None:
                c.build(np.random.default_rng(0).random((2000, 64), dtype=np.float32))
        c.query(np.random.default_rng().random(64, dtype=np.float32), 10)
pool = QThreadPool(); pool.setMaxThreadCount(2)
pool.start(Import())
while "c" not in state: time.sleep(0.01)
for _ in range(200):
    pool.start(Use()); time.sleep(0.001)
pool.waitForDone()
"""
    fails = 0
    for _ in range(5):
        done = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
            timeout=120,
        )
        fails += done.returncode != 0
    return f"{5 - fails}/5 ok"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100k")
    parser.add_argument("--only", default=",".join(CANDIDATES))
    parser.add_argument("--rounds", type=int, default=2, help="round 1 builds, later ones load")
    parser.add_argument(
        "--kernels", action="store_true", help="kernels for a compact copy, then stop"
    )
    parser.add_argument("--one", nargs=2, metavar=("NAME", "N"), help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.kernels:
        kernels(parse_size(args.sizes.split(",")[0]))
        return
    if args.one:
        print(json.dumps(measure(args.one[0], int(args.one[1]), args.work)))
        return
    names = args.only.split(",")
    print(
        f"vector backends: {DIM}-d CLIP-shaped vectors, k={K}, {QUERIES} image + {QUERIES} text"
        f" queries, {args.rounds} rounds, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}"
    )
    threads = {name: foreign_threads(name) for name in names}
    with tempfile.TemporaryDirectory(prefix="photofind-backends-") as tmp:
        for n in (parse_size(s) for s in args.sizes.split(",")):
            rows: dict[str, list[dict]] = {name: [] for name in names}
            for _ in range(args.rounds):
                for name in names:
                    done = subprocess.run(
                        [sys.executable, __file__, "--one", name, str(n), "--work", tmp],
                        capture_output=True,
                        text=True,
                    )
                    if done.returncode != 0:
                        print(
                            f"  {name} at {n:,}: failed ({done.returncode})\n{done.stderr[-800:]}"
                        )
                        continue
                    rows[name].append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(f"\n{n:,} vectors (load average {os.getloadavg()[0]:.1f})")
            print(
                f"  {'backend':<15} {'build s':>8} {'save s':>7} {'load s':>7} {'RSS MB':>7} "
                f"{'median ms':>9} {'p95 ms':>7} {'img r@10':>8} {'img r@50':>8} "
                f"{'txt r@10':>8} {'txt r@50':>8}  foreign threads"
            )
            for name in names:
                got = rows[name]
                if not got:
                    continue

                def med(key: str, got: list[dict] = got) -> float:
                    vals = [r[key] for r in got if key in r]
                    return statistics.median(vals) if vals else float("nan")

                print(
                    f"  {name:<15} {med('build_s'):8.1f} {med('save_s'):7.2f} "
                    f"{med('load_s'):7.2f} {med('rss_mb'):7.0f} {med('median_ms'):9.2f} "
                    f"{med('p95_ms'):7.2f} {med('image_r10'):8.3f} {med('image_r50'):8.3f} "
                    f"{med('text_r10'):8.3f} {med('text_r50'):8.3f}  {threads[name]}"
                )


def kernels(n: int) -> None:
    """Time per stored row of the kernels a compact copy could use, interleaved round by
    round: float32 BLAS on the full vectors, int8 and float16 products (numpy has no SIMD
    kernel for either), int8 converted to float32 in cache-sized chunks, a 128-d float32
    projection (the sketch before PFVECS3) and its 7-bit codes through ONNX Runtime's
    MatMulInteger (int8scan: what vectorsketch uses now), on int8scan.THREADS threads, and the
    same codes as the prepacked 8-bit weights of ORT's MatMulNBits (a candidate: see
    `_packed_scan`)."""
    from photofind.library import int8scan

    full = synthetic(n)
    q = text_queries(1, seed=2)[0]
    codes = np.clip(np.round(full * 127 / np.abs(full).max()), -127, 127).astype(np.int8)
    half = full.astype(np.float16)
    sketch = np.ascontiguousarray(full[:, :128])
    qi, qh, qs = (q * 127).astype(np.int8), q.astype(np.float16), q[:128].copy()
    q7 = np.rint(q[:128] * 127 / np.abs(q[:128]).max()).astype(np.int8)  # as query_code makes it
    codes7 = np.ascontiguousarray(np.abs(codes[:, :128]) & 127).view(np.uint8)
    buf = np.empty((256, DIM), np.float32)

    def chunked() -> None:
        for s in range(0, n, 256):
            m = min(256, n - s)
            np.copyto(buf[:m], codes[s : s + m])
            buf[:m] @ q

    cases = {
        "float32 BLAS, 512-d": lambda: full @ q,
        "int8 @ int8 (numpy)": lambda: codes @ qi,
        "int8 -> int32 matmul": lambda: np.matmul(codes, qi.astype(np.int32)),
        "float16 @ float16": lambda: half @ qh,
        "int8 -> float32 chunks": chunked,
        "float32 BLAS, 128-d": lambda: sketch @ qs,
        "7-bit codes, ORT, 128-d": lambda: int8scan.scan(codes7, q7),
    }
    packed = _packed_scan(codes7, q7)
    if packed is not None:
        cases["7-bit codes, MatMulNBits"] = packed
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(5):
        for name, fn in cases.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    base = statistics.median(times["float32 BLAS, 512-d"])
    print(f"kernels over {n:,} rows, medians of 5 interleaved rounds, load {os.getloadavg()}")
    for name, got in times.items():
        med = statistics.median(got)
        print(f"  {name:<24} {med * 1e3:8.1f} ms  {med / base:5.2f}x float32 BLAS")
    _scan_bound(codes7, qi[:128])


def _packed_scan(codes: np.ndarray, q: np.ndarray):
    """The codes as MatMulNBits' 8-bit weights (one block a row, scale 1, zero point 128),
    prepacked when the session is made; the query as float32 activations, which accuracy
    level 4 quantises to int8 with scale max|q| / 127: exact when max|q| is 127, as
    vectorsketch.query_code makes it. Prints the build time and whether the sums equal
    int8scan's; None when this ONNX Runtime has no such kernel."""
    from onnx import TensorProto, helper

    from photofind.clip.providers import ort
    from photofind.library import int8scan

    n, k = codes.shape
    ones = np.ones(n, np.float32).tobytes()
    weights = [
        helper.make_tensor("codes", TensorProto.UINT8, [n, 1, k], codes.tobytes(), raw=True),
        helper.make_tensor("scales", TensorProto.FLOAT, [n], ones, raw=True),
    ]
    node = helper.make_node(
        "MatMulNBits", ["q", "codes", "scales"], ["y"], domain="com.microsoft",
        K=k, N=n, bits=8, block_size=k, accuracy_level=4,
    )  # fmt: skip
    q_in = helper.make_tensor_value_info("q", TensorProto.FLOAT, [1, k])
    y_out = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, n])
    graph = helper.make_graph([node], "packed", [q_in], [y_out], weights)
    opsets = [helper.make_opsetid("", 18), helper.make_opsetid("com.microsoft", 1)]
    model = helper.make_model(graph, opset_imports=opsets)
    model.ir_version = 9
    options = ort.SessionOptions()
    options.intra_op_num_threads = int8scan.THREADS
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    start = time.perf_counter()
    try:
        session = ort.InferenceSession(model.SerializeToString(), options,
                                       providers=["CPUExecutionProvider"])  # fmt: skip
    except Exception as exc:  # an older ONNX Runtime
        print(f"  MatMulNBits: not available here ({exc})")
        return None
    built = time.perf_counter() - start
    feed = {"q": q.astype(np.float32)[None]}
    sums = session.run(None, feed)[0][0] + 128.0 * float(q.astype(np.int64).sum())
    exact = bool(np.array_equal(sums, int8scan.scan(codes, q)))
    print(f"  MatMulNBits: {n:,} rows prepacked in {built:.2f} s; sums equal int8scan's: {exact}")
    return lambda: session.run(None, feed)


def _scan_bound(codes: np.ndarray, q: np.ndarray) -> None:
    """The codes' scan per row over a block that stays in the core's cache (1 MB, scanned
    again and again) and over every row (streamed from memory once a scan): how much the
    memory costs it."""
    from photofind.library import int8scan

    block = np.ascontiguousarray(codes[:8192])
    rounds = max(1, len(codes) // len(block))
    cached, streamed = [], []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(rounds):
            int8scan.scan(block, q)
        cached.append((time.perf_counter() - start) / (rounds * len(block)))
        start = time.perf_counter()
        int8scan.scan(codes, q)
        streamed.append((time.perf_counter() - start) / len(codes))
    inside, whole = statistics.median(cached) * 1e9, statistics.median(streamed) * 1e9
    print(
        f"  7-bit scan per row: {inside:.1f} ns in cache, {whole:.1f} ns from memory "
        f"({codes.shape[1] / whole:.1f} GB/s, {whole / inside:.1f}x; bench/floors.py says "
        "what memory allows)"
    )


if __name__ == "__main__":
    main()

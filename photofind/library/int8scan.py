"""The int8 kernel the vector search scans its sketch with: uint8 codes [n, dims] times an int8
query [dims], exact int32 sums returned as float32, by ONNX Runtime's MatMulInteger.

Why ONNX Runtime: numpy has no SIMD kernel for 8-bit integers (bench/vector_backends.py
--kernels: numpy's int8 product is slower per row than float32 BLAS), while MLAS's u8 x s8 GEMM
(VNNI or AVX2) reads a quarter of the bytes of a float32 sketch, and onnxruntime is already a
dependency that runs safely on Qt's pool threads (the encoders do). Measured at 1M rows on a
busy 2-core machine: 51-75 ms against 61-94 ms for the float32 128-d BLAS scan, 1.2-1.7x.
At a million rows a row streamed from memory takes 3.5x as long as a row in the core's cache
(one thread, 35 against 10 ns; bench/vector_backends.py --kernels prints both), yet still
well below what the memory allows (bench/floors.py: 0.3 of it): MLAS packs each block of
codes as it goes and pads the one query column to a 16-column panel (no integer GEMV). A
long-lived process therefore scans whole blocks of rows that stay put through MatMulNBits'
prepacked one-row kernel instead (packedscan: twice as fast over the same bytes); this
kernel scans the rest, and every row in a process's first searches.

The graph is two nodes built here as protobuf bytes (smallgraphs; the `onnx` package is only a
development dependency): MatMulInteger(codes, query) -> Cast to float32. The codes are a graph
input, not an initializer: ORT reads the caller's array in place (no copy at load or after an
add) and packs each block as it goes (as fast as a prepacked initializer when measured while
choosing: 33.8 against 33.3 ms at 1M rows on one thread; codes^T as the second operand, packed
per call, 73). One session per process, made on first use; `Run` is thread-safe in ORT, so
parallel searches share it. Two intra-op threads (MLAS splits the rows; at 1M vectors under
load a lookup took 0.6x the time of one thread's), without spinning: a spinning pool would
burn a core between searches.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from photofind.library import smallgraphs

THREADS = smallgraphs.THREADS
_session: Any = None
_lock = threading.Lock()


def scan(codes: np.ndarray, query: np.ndarray) -> np.ndarray:
    """float32 [n]: codes (uint8 [n, dims], C-contiguous) times query (int8 [dims]), exact."""
    if len(codes) == 0:
        return np.zeros(0, np.float32)
    feed = {"codes": codes, "query": np.ascontiguousarray(query, np.int8).reshape(-1, 1)}
    (out,) = _get_session().run(None, feed)
    return out.reshape(-1)


def _get_session() -> Any:
    global _session
    with _lock:
        if _session is None:
            _session = smallgraphs.cpu_session(model_bytes(), THREADS)
        return _session


def model_bytes() -> bytes:
    """ModelProto (IR 8, opset 13): y[n, 1] = float(MatMulInteger(codes[n, d], query[d, 1]))."""
    g = smallgraphs
    matmul = (
        g.field_bytes(1, "codes") + g.field_bytes(1, "query") + g.field_bytes(2, "sums")
        + g.field_bytes(4, "MatMulInteger")
    )  # fmt: skip
    cast = (
        g.field_bytes(1, "sums") + g.field_bytes(2, "scores") + g.field_bytes(4, "Cast")
        + g.int_attribute("to", g.FLOAT)
    )  # fmt: skip
    graph = (
        g.field_bytes(1, matmul)
        + g.field_bytes(1, cast)
        + g.field_bytes(2, "int8scan")
        + g.field_bytes(11, g.value_info("codes", g.UINT8, ("n", "d")))
        + g.field_bytes(11, g.value_info("query", g.INT8, ("d", 1)))
        + g.field_bytes(12, g.value_info("scores", g.FLOAT, ("n", 1)))
    )
    opset = g.field_bytes(1, "") + g.field_int(2, 13)
    return g.field_int(1, 8) + g.field_bytes(8, opset) + g.field_bytes(7, graph)

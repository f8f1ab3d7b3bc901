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

The graph is two nodes built here as protobuf bytes (the `onnx` package is only a development
dependency): MatMulInteger(codes, query) -> Cast to float32. The codes are a graph input, not an
initializer: ORT reads the caller's array in place (no copy at load or after an add) and packs
each block as it goes (as fast as a prepacked initializer when measured while choosing: 33.8
against 33.3 ms at 1M rows on one thread; codes^T as the second operand, packed per call, 73).
One session per process, made on first use; `Run` is thread-safe in ORT, so parallel searches
share it. Two intra-op threads (MLAS splits the rows; at 1M vectors under load a lookup took
0.6x the time of one thread's), without spinning: a spinning pool would burn a core between
searches.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import numpy as np

THREADS = min(2, os.cpu_count() or 1)
_UINT8, _INT8, _INT32, _FLOAT = 2, 3, 6, 1  # onnx TensorProto.DataType
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
            # ONNX Runtime through the one module that imports it, after telemetry is off
            from photofind.clip.providers import ort

            options = ort.SessionOptions()
            options.intra_op_num_threads = THREADS
            options.inter_op_num_threads = 1
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            options.log_severity_level = 3
            _session = ort.InferenceSession(
                model_bytes(), options, providers=["CPUExecutionProvider"]
            )
        return _session


# -- the model, as protobuf -----------------------------------------------------------------


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        out.append(low | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _int(field: int, value: int) -> bytes:
    return _varint(field << 3) + _varint(value)


def _msg(field: int, payload: bytes | str) -> bytes:
    data = payload.encode() if isinstance(payload, str) else payload
    return _varint(field << 3 | 2) + _varint(len(data)) + data


def _tensor(name: str, elem: int, dims: tuple[int | str, ...]) -> bytes:
    """A ValueInfoProto: name, tensor type, shape (ints are fixed, strings symbolic)."""
    shape = b"".join(_msg(1, _int(1, d) if isinstance(d, int) else _msg(2, d)) for d in dims)
    return _msg(1, name) + _msg(2, _msg(1, _int(1, elem) + _msg(2, shape)))


def model_bytes() -> bytes:
    """ModelProto (IR 8, opset 13): y[n, 1] = float(MatMulInteger(codes[n, d], query[d, 1]))."""
    matmul = _msg(1, "codes") + _msg(1, "query") + _msg(2, "sums") + _msg(4, "MatMulInteger")
    cast = (
        _msg(1, "sums")
        + _msg(2, "scores")
        + _msg(4, "Cast")
        + _msg(
            5,
            _msg(1, "to") + _int(3, _FLOAT) + _int(20, 2),  # AttributeProto: i, type INT
        )
    )
    graph = (
        _msg(1, matmul)
        + _msg(1, cast)
        + _msg(2, "int8scan")
        + _msg(11, _tensor("codes", _UINT8, ("n", "d")))
        + _msg(11, _tensor("query", _INT8, ("d", 1)))
        + _msg(12, _tensor("scores", _FLOAT, ("n", 1)))
    )
    opset = _msg(1, "") + _int(2, 13)
    return _int(1, 8) + _msg(8, opset) + _msg(7, graph)

"""The ONNX graphs the library writes itself (the sketch scans: int8scan, packedscan), as
protobuf bytes, and the CPU sessions that run them. Written by hand because the `onnx`
package is only a development dependency; tests/core/test_vectors_sketch.py checks a graph
with onnx's own checker.

Field numbers are onnx.proto's: ModelProto ir_version 1, graph 7, opset_import 8;
GraphProto node 1, name 2, initializer 5, input 11, output 12; NodeProto input 1, output 2,
op_type 4, attribute 5, domain 7; AttributeProto name 1, i 3, type 20; TensorProto dims 1,
data_type 2, name 8, raw_data 9.
"""

from __future__ import annotations

import os
from typing import Any

UINT8, INT8, INT32, FLOAT = 2, 3, 6, 1  # onnx TensorProto.DataType
_INT_ATTRIBUTE = 2  # onnx AttributeProto.AttributeType INT
THREADS = min(2, os.cpu_count() or 1)


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        out.append(low | (0x80 if value else 0))
        if not value:
            return bytes(out)


def field_int(field: int, value: int) -> bytes:
    return varint(field << 3) + varint(value)


def field_bytes(field: int, payload: bytes | str) -> bytes:
    data = payload.encode() if isinstance(payload, str) else payload
    return varint(field << 3 | 2) + varint(len(data)) + data


def int_attribute(name: str, value: int) -> bytes:
    """An AttributeProto of type INT, as NodeProto field 5."""
    return field_bytes(
        5, field_bytes(1, name) + field_int(3, value) + field_int(20, _INT_ATTRIBUTE)
    )


def value_info(name: str, elem: int, dims: tuple[int | str, ...]) -> bytes:
    """A ValueInfoProto: name, tensor type, shape (ints are fixed, strings symbolic)."""
    shape = b"".join(
        field_bytes(1, field_int(1, d) if isinstance(d, int) else field_bytes(2, d)) for d in dims
    )
    return field_bytes(1, name) + field_bytes(
        2, field_bytes(1, field_int(1, elem) + field_bytes(2, shape))
    )


def cpu_session(model: bytes, threads: int = THREADS) -> Any:
    """An ONNX Runtime session on the CPU for a graph written here: `threads` intra-op
    threads that do not spin (a spinning pool would burn a core between searches)."""
    from photofind.clip.providers import ort  # the one module that imports it: telemetry off

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])

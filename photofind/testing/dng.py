"""Tiny but real DNG files for tests: a Bayer raw image, optionally with a JPEG preview.

DNG is TIFF with a few extra tags, so a hundred lines of `struct` write one that LibRaw reads
like a camera's: IFD0 holds the preview (NewSubFileType 1, JPEG-compressed, or a 16x16
uncompressed bitmap) and the DNG tags; its SubIFD holds the raw sensor data (16-bit CFA,
RGGB). No network, no sample file with a licence to track.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

_TYPES = {"B": 1, "A": 2, "H": 3, "I": 4, "SR": 10}
_SIZES = {"B": "B", "H": "H", "I": "I"}


def _ifd(entries: Sequence[tuple[int, str, Any]], start: int) -> bytes:
    """One IFD written at offset `start`, its out-of-line values right after it."""
    entries = sorted(entries, key=lambda e: e[0])
    data_start = start + 2 + 12 * len(entries) + 4
    head, extra = struct.pack("<H", len(entries)), b""
    for tag, kind, values in entries:
        if kind == "A":
            raw = str(values).encode() + b"\0"
            count = len(raw)
        elif kind == "SR":
            pairs = list(values)
            raw = struct.pack("<" + "i" * 2 * len(pairs), *[x for p in pairs for x in p])
            count = len(pairs)
        else:
            items = list(values)
            raw = struct.pack("<" + _SIZES[kind] * len(items), *items)
            count = len(items)
        if len(raw) <= 4:
            field = raw.ljust(4, b"\0")
        else:
            field = struct.pack("<I", data_start + len(extra))
            extra += raw + (b"\0" if len(raw) % 2 else b"")
        head += struct.pack("<HHI", tag, _TYPES[kind], count) + field
    return head + struct.pack("<I", 0) + extra


def make_dng(
    path: Path,
    preview: Image.Image | None = None,
    *,
    raw_size: tuple[int, int] = (96, 64),
    level: int = 1000,
    orientation: int = 1,
) -> Path:
    """Write a DNG of `raw_size` (width, height) whose sensor reads `level` everywhere (of
    4095); `preview` becomes its embedded JPEG, else a 16x16 grey bitmap stands in."""
    width, height = raw_size
    out = bytearray(b"II*\0\0\0\0\0")

    def put(blob: bytes) -> int:
        offset = len(out)
        out.extend(blob + (b"\0" if len(blob) % 2 else b""))
        return offset

    cfa = np.full((height, width), level, "<u2").tobytes()
    cfa_at = put(cfa)
    raw_ifd = [(254, "I", (0,)), (256, "I", (width,)), (257, "I", (height,)),
               (258, "H", (16,)), (259, "H", (1,)), (262, "H", (32803,)), (273, "I", (cfa_at,)),
               (277, "H", (1,)), (278, "I", (height,)), (279, "I", (len(cfa),)),
               (284, "H", (1,)), (33421, "H", (2, 2)), (33422, "B", (0, 1, 1, 2)),
               (50714, "H", (0,)), (50717, "I", (4095,))]  # fmt: skip
    raw_at = len(out)
    out.extend(_ifd(raw_ifd, raw_at))
    if preview is not None:
        buffer = io.BytesIO()
        preview.convert("RGB").save(buffer, "JPEG", quality=90)
        strip, (pw, ph), compression, photometric = buffer.getvalue(), preview.size, 7, 6
    else:
        strip = np.full((16, 16, 3), 128, np.uint8).tobytes()
        (pw, ph), compression, photometric = (16, 16), 1, 2
    strip_at = put(strip)
    identity = [(1, 1), (0, 1), (0, 1), (0, 1), (1, 1), (0, 1), (0, 1), (0, 1), (1, 1)]
    ifd0 = [(254, "I", (1,)), (256, "I", (pw,)), (257, "I", (ph,)), (258, "H", (8, 8, 8)),
            (259, "H", (compression,)), (262, "H", (photometric,)), (273, "I", (strip_at,)),
            (277, "H", (3,)), (278, "I", (ph,)), (279, "I", (len(strip),)), (284, "H", (1,)),
            (271, "A", "Testmake"), (272, "A", "Testmake T1"), (274, "H", (orientation,)),
            (330, "I", (raw_at,)), (50706, "B", (1, 4, 0, 0)), (50707, "B", (1, 1, 0, 0)),
            (50708, "A", "Testmake T1"), (50721, "SR", identity),
            (50778, "H", (21,))]  # fmt: skip
    if len(out) % 2:
        out.extend(b"\0")
    ifd0_at = len(out)
    out.extend(_ifd(ifd0, ifd0_at))
    out[4:8] = struct.pack("<I", ifd0_at)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(out))
    return path

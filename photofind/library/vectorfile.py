"""The vector index on disk: the JSON sidecar that vouches for an .hnsw file, and atomic writes.

The sidecar holds two entries, "current" and "previous", each describing one index file
(model, dim, size and CRC of its head and tail, checksums of its id sets, which ids are
deleted, and the catalog change stamp it reflects). Renaming the sidecar first and the index
second means any kill leaves an index file that one of the two entries describes.
"""

from __future__ import annotations

import json
import logging
import os
import zlib
from contextlib import suppress
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

SIDECAR_FORMAT = 1
_HEAD = 1 << 20


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def temp_paths(path: Path, tag: str) -> tuple[Path, Path]:
    """Temp names for the index and its sidecar, in the same folder (same file system)."""
    return path.with_name(f"{path.name}.tmp-{tag}"), path.with_name(f"{path.name}.tmp-{tag}.json")


def remove_temp_files(path: Path) -> None:
    """Delete leftovers of a save that was killed; the previous pair is still in place."""
    if path.parent.is_dir():
        for stale in path.parent.glob(f"{path.name}.tmp-*"):
            with suppress(OSError):
                stale.unlink()


def id_checksum(ids: np.ndarray) -> str:
    """Order-free 64-bit checksum of an id set: sum of splitmix64(id) mod 2**64, as hex."""
    x = np.asarray(ids, dtype=np.uint64)
    with np.errstate(over="ignore"):
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
        total = int(x.sum(dtype=np.uint64)) if x.size else 0
    return f"{total:016x}"


def file_print(path: Path) -> tuple[int, int]:
    """(size, crc32 of the first and last MiB): catches truncation and a wrong or torn file."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        crc = zlib.crc32(fh.read(_HEAD))
        if size > _HEAD:
            fh.seek(max(_HEAD, size - _HEAD))
            crc = zlib.crc32(fh.read(_HEAD), crc)
    return size, crc


def matching_entry(path: Path, model: str, dim: int) -> dict[str, Any] | None:
    """The sidecar entry that describes the index file at `path` as it is now, if any."""
    try:
        side = json.loads(sidecar_path(path).read_text(encoding="utf-8"))
        entries = [e for e in (side.get("current"), side.get("previous")) if e]
        size, crc = file_print(path)
    except (OSError, ValueError, AttributeError) as exc:
        log.warning("vector index %s has no usable sidecar (%s)", path, exc)
        return None
    for entry in entries:
        if (
            isinstance(entry, dict)
            and entry.get("format") == SIDECAR_FORMAT
            and entry.get("model") == model
            and entry.get("dim") == dim
            and entry.get("file_size") == size
            and entry.get("file_crc") == crc
        ):
            return entry
    log.warning("vector index %s does not match its sidecar", path)
    return None


def fsync_file(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def fsync_dir(folder: Path) -> None:
    """Make renames inside `folder` durable (POSIX; Windows has no directory handles)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_sidecar(path: Path, current: dict[str, Any], previous: dict[str, Any] | None) -> None:
    """Write (and fsync) a sidecar document to `path`, normally a temp file."""
    with open(path, "w", encoding="utf-8") as fh:
        json.dump({"current": current, "previous": previous}, fh)
        fh.flush()
        os.fsync(fh.fileno())


def commit(index_tmp: Path, sidecar_tmp: Path, path: Path) -> None:
    """Rename the fsynced temp files into place: sidecar first, then the index, then fsync dir."""
    os.replace(sidecar_tmp, sidecar_path(path))
    os.replace(index_tmp, path)
    fsync_dir(path.parent)

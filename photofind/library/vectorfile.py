"""The vector index on disk: the JSON sidecar that vouches for an index file, and its atomic save.

The sidecar holds two entries, "current" and "previous", each describing one index file
(model, dim, size and CRC of every byte, a checksum of its ids, and the catalog change stamp it
reflects). Renaming the sidecar first and the index second means any kill leaves an index file
that one of the two entries describes. The CRC covers the whole file: damage anywhere, the
middle included, means a rebuild from the catalog, never a crash or wrong answers.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import zlib
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

import numpy as np

from photofind.atomicfile import fsync_dir, fsync_file

log = logging.getLogger(__name__)

SIDECAR_FORMAT = 2  # 1: hnswlib files, CRC of the first and last MiB only
_BLOCK = 1 << 22
LEGACY_SUFFIXES = (".hnsw",)  # index files of earlier versions, rebuilt under the new name


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def temp_paths(path: Path, tag: str) -> tuple[Path, Path]:
    """Temp names for the index and its sidecar, in the same folder (same file system)."""
    return path.with_name(f"{path.name}.tmp-{tag}"), path.with_name(f"{path.name}.tmp-{tag}.json")


def remove_temp_files(path: Path) -> None:
    """Delete leftovers of a save that was killed (the previous pair is still in place), and
    an earlier version's index file of the same model with its sidecar."""
    if path.parent.is_dir():
        stale = list(path.parent.glob(f"{path.name}.tmp-*"))
        for suffix in LEGACY_SUFFIXES:
            legacy = path.with_suffix(suffix)
            if legacy != path:
                stale += [legacy, sidecar_path(legacy)]
        for leftover in stale:
            with suppress(OSError):
                leftover.unlink()


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
    """(size, crc32 of every byte): catches truncation, damage anywhere, a wrong or torn file.

    About 0.1 s per 100k 512-d vectors (200 MB) when the file is in the page cache.
    """
    size = path.stat().st_size
    crc = 0
    with open(path, "rb") as fh:
        while block := fh.read(_BLOCK):
            crc = zlib.crc32(block, crc)
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


def save(
    path: Path,
    write: Callable[[Path], None],
    describe: dict[str, Any],
    previous: dict[str, Any] | None,
) -> dict[str, Any]:
    """Save an index file atomically: `write(temp)` writes it, then fsync, the sidecar entry
    (`describe` plus format, size, CRC and time) beside it, both renamed into place, fsync of
    the folder. Returns the new entry; OSError (temp files removed) when the disk refuses."""
    tmp, side_tmp = temp_paths(path, f"{os.getpid()}-{threading.get_ident()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(tmp)
        fsync_file(tmp)
        size, crc = file_print(tmp)
        entry = {"format": SIDECAR_FORMAT, **describe, "file_size": size, "file_crc": crc,
                 "saved_at": time.time()}  # fmt: skip
        write_sidecar(side_tmp, entry, previous)
        commit(tmp, side_tmp, path)
    except OSError:
        for leftover in (tmp, side_tmp):
            with suppress(OSError):
                leftover.unlink()
        raise
    return entry

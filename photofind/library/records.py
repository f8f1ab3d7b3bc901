"""The catalog's records (folders, files) and how paths and vectors are stored in SQLite."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import NamedTuple

import numpy as np

from photofind.errors import CatalogError
from photofind.library.mounts import MountIdentity


@dataclass(frozen=True)
class Folder:
    """A photo folder; `mount` is the mount it was last scanned on, `offline_reason` says why
    an offline folder is offline."""

    id: int
    path: Path
    exclude: tuple[str, ...]
    online: bool
    last_scan: float | None
    mount: MountIdentity | None = None
    offline_reason: str | None = None


@dataclass(frozen=True)
class FileRecord:
    id: int
    folder_id: int
    path: Path
    size: int
    mtime_ns: int
    quick_hash: str | None
    width: int | None
    height: int | None
    taken_at: float | None
    camera: str | None
    kind: str
    status: str
    error: str | None


class ScanProblem(NamedTuple):
    """A place a scan could not open and why: a subfolder it may not list, a file it may not
    look at, a link or mount point whose drive is away. What the library knew of it is kept;
    the catalog keeps each folder's latest list (`Catalog.scan_problems`) until a scan of that
    folder reads it again, so a person sees it in `photofind status` the next day."""

    path: Path
    reason: str


@dataclass(frozen=True)
class NewFile:
    """A file the scanner found; `kind` defaults to the lower-case extension without the dot."""

    folder_id: int
    path: Path
    size: int
    mtime_ns: int
    quick_hash: str | None = None
    kind: str | None = None


def path_key(path: Path | str) -> str | bytes:
    """How a path is stored: UTF-8 text, or the raw OS bytes when the name is not valid UTF-8
    (os.fsdecode surrogate escapes), so every name round-trips exactly."""
    text = os.fsdecode(os.fspath(path))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(text)
    return text


def path_from_key(value: str | bytes) -> Path:
    """The inverse of `path_key`."""
    return Path(os.fsdecode(value) if isinstance(value, bytes) else value)


def kind_of(path: Path | str) -> str:
    """ "photo.JPG" -> "jpg"."""
    return PurePath(os.fsdecode(os.fspath(path))).suffix.lower().lstrip(".")


def file_from_row(row: Sequence) -> FileRecord:
    return FileRecord(row[0], row[1], path_from_key(row[2]), *row[3:])


def folder_from_row(row: Sequence) -> Folder:
    try:
        exclude = tuple(str(p) for p in json.loads(row[2] or "[]"))
    except (ValueError, TypeError):
        exclude = ()
    mount = MountIdentity.from_json(row[5]) if len(row) > 5 else None
    reason = row[6] if len(row) > 6 else None
    return Folder(row[0], path_from_key(row[1]), exclude, bool(row[3]), row[4], mount, reason)


def vector_blob(vector: np.ndarray) -> bytes:
    """float32 little-endian bytes of a 1-D vector."""
    return np.ascontiguousarray(vector, dtype="<f4").reshape(-1).tobytes()


def vectors_from_blobs(blobs: Sequence[bytes], model: str) -> np.ndarray:
    """Stack stored vectors into a writable float32 [n, D] array (one copy)."""
    if not blobs:
        return np.zeros((0, 0), dtype=np.float32)
    size = len(blobs[0])
    if size == 0 or size % 4 or any(len(b) != size for b in blobs):
        raise CatalogError(f"the stored vectors of model {model} have mixed sizes; re-index it")
    flat = np.frombuffer(bytearray().join(blobs), dtype="<f4")
    return flat.astype(np.float32, copy=False).reshape(len(blobs), size // 4)

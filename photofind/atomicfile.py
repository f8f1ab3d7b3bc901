"""Durable file writes every layer shares: fsync a file, fsync a folder (so a rename in it
survives a power cut), and the write-to-temp-then-rename step built from them.

A leaf module beside `tasks` (standard library only): the vector index, the catalog's creation
and the model store all replace files this one way.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

STALE_TEMP = 3600.0  # seconds: a temporary file this old was left by a killed writer


def fsync_file(path: Path) -> None:
    """Flush a written file's bytes to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(folder: Path) -> None:
    """Make renames inside `folder` durable (POSIX; Windows has no directory handles and
    makes a rename durable by itself)."""
    if os.name != "posix":
        return
    fsync_file(folder)


def replace(temp: Path, target: Path) -> None:
    """Move a fully written, fsynced `temp` over `target` (same folder) and make it stick."""
    os.replace(temp, target)
    fsync_dir(Path(target).parent)


def write_text(path: Path, text: str) -> None:
    """Replace the small text file `path` whole: written beside it, fsynced, renamed over it
    (a kill leaves the old text or the new, never a part)."""
    write_bytes(path, text.encode("utf-8"))


def write_bytes(path: Path, data: bytes) -> None:
    """Replace the file `path` whole with `data`, as `write_text` does."""
    path = Path(path)
    temp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    try:
        with open(temp, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def drop_stale_temps(folder: Path, pattern: str, age: float = STALE_TEMP) -> None:
    """Delete the files in `folder` matching `pattern` (a writer's temporaries) that are older
    than `age` seconds: what a writer killed mid-write left. A live writer's are younger."""
    now = time.time()
    for temp in Path(folder).glob(pattern):
        try:
            if now - temp.stat().st_mtime > age:
                temp.unlink()
        except OSError:
            pass  # gone meanwhile, or not ours to delete: either way nothing to do

"""The thumbnail cache on disk: where thumbnails go, how much room they take, pruning it.

Thumbnails are a rebuildable cache (docs/design.md, the window): any file here may vanish and
is made again from its photo, so the cache is kept under a size limit by deleting the files
used longest ago. Qt-free; the GUI's thumbnail loader writes the files, the Preferences
dialog shows `usage_bytes()` and clears it, and the window prunes it at start. Any thread may
call any method; two processes pruning at once only both delete old files.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

DEFAULT_LIMIT_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class _Entry:
    path: Path
    size: int
    used: float  # the later of access and modification time


class ThumbnailCache:
    """The files under one cache folder (created on first write, not here)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def _entries(self) -> list[_Entry]:
        entries: list[_Entry] = []
        if not self.folder.is_dir():
            return entries
        for root, _dirs, files in os.walk(self.folder):
            for name in files:
                path = Path(root, name)
                try:
                    st = path.stat()
                except OSError:  # deleted meanwhile by another process
                    continue
                entries.append(_Entry(path, st.st_size, max(st.st_atime, st.st_mtime)))
        return entries

    def usage_bytes(self) -> int:
        """Bytes the cache's files take now."""
        return sum(e.size for e in self._entries())

    def prune(self, limit_bytes: int) -> int:
        """Delete the files used longest ago until the cache fits `limit_bytes`; returns the
        bytes freed. A limit of 0 empties the cache."""
        entries = self._entries()
        total = sum(e.size for e in entries)
        freed = 0
        for entry in sorted(entries, key=lambda e: e.used):
            if total - freed <= limit_bytes:
                break
            try:
                entry.path.unlink()
            except FileNotFoundError:
                pass
            except OSError as exc:
                log.warning("could not delete thumbnail %s: %s", entry.path, exc)
                continue
            freed += entry.size
        self._drop_empty_folders()
        return freed

    def clear(self) -> int:
        """Delete every cached thumbnail; returns the bytes freed."""
        freed = self.usage_bytes()
        if self.folder.is_dir():
            shutil.rmtree(self.folder, ignore_errors=True)
        return freed

    def _drop_empty_folders(self) -> None:
        if not self.folder.is_dir():
            return
        for child in self.folder.iterdir():
            if child.is_dir():
                with contextlib.suppress(OSError):  # not empty
                    child.rmdir()

"""Thumbnails made in worker threads and cached on disk, keyed by path, size and mtime."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtGui import QImage

from photofind.clip.images import open_image
from photofind.errors import ImageLoadError

log = logging.getLogger(__name__)

# Thumbnails are bounded by height (the grid's rows are), so a panorama stays sharp: up to
# SIZE pixels high (a row at 2x scale) and WIDE times that wide.
SIZE = 360
WIDE = 4


def cache_path(cache_dir: Path, path: Path, size: int, mtime_ns: int) -> Path:
    key = f"{os.fsencode(path)!r}|{size}|{mtime_ns}|h{SIZE}x{WIDE}"
    digest = hashlib.sha1(key.encode()).hexdigest()
    return cache_dir / digest[:2] / f"{digest}.jpg"


def make_thumbnail(path: Path, target: Path) -> Path:
    """Decode at reduced size (JPEG draft mode: a 12 MP photo decodes at 1/4 or 1/8 scale),
    turn upright (EXIF orientation), shrink and save as JPEG; returns `target`."""
    img = open_image(path, min_size=SIZE)
    img.thumbnail((SIZE * WIDE, SIZE), Image.Resampling.BILINEAR)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    img.save(tmp, "JPEG", quality=85)
    os.replace(tmp, target)
    return target


class _Signals(QObject):
    ready = Signal(int, QImage)  # file id, thumbnail
    failed = Signal(int)


class _Job(QRunnable):
    def __init__(
        self, loader: ThumbnailLoader, file_id: int, path: Path, target: Path, cache_only: bool
    ) -> None:
        super().__init__()
        self.loader, self.file_id, self.path, self.target = loader, file_id, path, target
        self.cache_only = cache_only

    def run(self) -> None:
        if self.loader.closed:
            return  # its window has closed: no Qt object of it may be touched any more
        try:
            if not self.target.exists():
                if self.cache_only:
                    return  # an offline folder's photo: its tile says so
                make_thumbnail(self.path, self.target)
            else:
                # Mark it used: the cache is pruned oldest-used first (library/thumbcache.py).
                with contextlib.suppress(OSError):
                    os.utime(self.target)
            image = QImage(str(self.target))
            if image.isNull():
                raise ImageLoadError(f"{self.target} is not a readable thumbnail")
        except (ImageLoadError, OSError) as exc:
            log.debug("no thumbnail for %s: %s", self.path, exc)
            self.loader.signals.failed.emit(self.file_id)
            return
        self.loader.signals.ready.emit(self.file_id, image)


class ThumbnailLoader:
    """Hands out thumbnail requests to its own thread pool, each file once."""

    def __init__(self, cache_dir: Path | None = None, threads: int = 2) -> None:
        self.cache_dir = cache_dir
        self.pool = QThreadPool()
        self.pool.setMaxThreadCount(threads)
        self.signals = _Signals()
        self._asked: set[int] = set()
        self.closed = False  # after `shutdown`: no new job starts, a queued one returns

    def request(
        self, file_id: int, path: Path, size: int, mtime_ns: int, cache_only: bool = False
    ) -> None:
        """Make (or read from the cache) the thumbnail of a file; `ready` or `failed` follows.
        `cache_only`: the file is out of reach (offline folder), only a cached one is shown."""
        if file_id in self._asked or self.cache_dir is None or self.closed:
            return
        self._asked.add(file_id)
        target = cache_path(self.cache_dir, path, size, mtime_ns)
        self.pool.start(_Job(self, file_id, path, target, cache_only))

    def forget(self) -> None:
        """New results: let pending requests of old ones go."""
        self.pool.clear()
        self._asked.clear()

    def shutdown(self) -> None:
        self.closed = True
        self.pool.clear()
        self.pool.waitForDone(5000)

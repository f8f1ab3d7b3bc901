"""Thumbnails made in worker threads and cached on disk, keyed by path, size and mtime."""

from __future__ import annotations

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

SIZE = 256


def cache_path(cache_dir: Path, path: Path, size: int, mtime_ns: int) -> Path:
    key = hashlib.sha1(f"{os.fsencode(path)!r}|{size}|{mtime_ns}|{SIZE}".encode()).hexdigest()
    return cache_dir / key[:2] / f"{key}.jpg"


def make_thumbnail(path: Path, target: Path) -> Path:
    """Decode (draft mode), shrink and save as JPEG; returns `target`."""
    img = open_image(path, min_size=SIZE)
    img.thumbnail((SIZE, SIZE), Image.Resampling.BILINEAR)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    img.save(tmp, "JPEG", quality=85)
    os.replace(tmp, target)
    return target


class _Signals(QObject):
    ready = Signal(int, QImage)  # file id, thumbnail
    failed = Signal(int)


class _Job(QRunnable):
    def __init__(self, loader: ThumbnailLoader, file_id: int, path: Path, target: Path) -> None:
        super().__init__()
        self.loader, self.file_id, self.path, self.target = loader, file_id, path, target

    def run(self) -> None:
        try:
            if not self.target.exists():
                make_thumbnail(self.path, self.target)
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

    def request(self, file_id: int, path: Path, size: int, mtime_ns: int) -> None:
        if file_id in self._asked or self.cache_dir is None:
            return
        self._asked.add(file_id)
        target = cache_path(self.cache_dir, path, size, mtime_ns)
        self.pool.start(_Job(self, file_id, path, target))

    def forget(self) -> None:
        """New results: let pending requests of old ones go."""
        self.pool.clear()
        self._asked.clear()

    def shutdown(self) -> None:
        self.pool.clear()
        self.pool.waitForDone(5000)

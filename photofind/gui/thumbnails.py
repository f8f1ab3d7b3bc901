"""Thumbnails made in worker threads and cached on disk, keyed by path, size and mtime."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
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
    # A temporary of this writer's own: the grid's and the sidebar's loaders (two pools)
    # often make the same thumbnail at once, and a shared name let one rename the other's
    # half-written file or find it gone (tests/gui/test_thumbnail_loaders.py).
    tmp = target.with_name(f"{target.stem}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        img.save(tmp, "JPEG", quality=85)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


class _Signals(QObject):
    ready = Signal(int, QImage)  # file id, thumbnail
    failed = Signal(int)


class _Job(QRunnable):
    """One thumbnail. It holds plain data and the loader's signals, never the loader: the
    Python side of a closed window must not live on in a pool thread (see ThumbnailLoader).
    The signals object is a child of the pool, which waits for its jobs before it goes."""

    def __init__(
        self, signals: _Signals, closed: threading.Event, file_id: int, path: Path,
        target: Path, cache_only: bool,
    ) -> None:  # fmt: skip
        super().__init__()
        self.signals, self.closed = signals, closed
        self.file_id, self.path, self.target, self.cache_only = file_id, path, target, cache_only

    def run(self) -> None:
        if self.closed.is_set():
            return  # its window has closed: nothing more is made or sent
        try:
            if not self.target.exists():
                if self.cache_only:
                    return  # an offline folder's photo: its tile says so
                make_thumbnail(self.path, self.target)
            else:
                # Mark it used: the cache is pruned oldest-used first (library/thumbcache.py).
                with contextlib.suppress(OSError):
                    os.utime(self.target)
            image = QImage(str(self.target))  # QImage, unlike QPixmap, is made in any thread
            if image.isNull():
                raise ImageLoadError(f"{self.target} is not a readable thumbnail")
        except (ImageLoadError, OSError) as exc:
            log.debug("no thumbnail for %s: %s", self.path, exc)
            self.signals.failed.emit(self.file_id)
            return
        self.signals.ready.emit(self.file_id, image)


class ThumbnailLoader:
    """Hands out thumbnail requests to its own thread pool, each file once.

    Owned by a widget (`parent`): the pool is its Qt child and the signals the pool's, so
    both are destroyed with the widget, on the GUI thread, the pool first waiting for its
    jobs. Left to Python, they would be destroyed by the cycle collector in whatever thread
    it runs, off the GUI thread (tests/gui/test_window_teardown.py). `shutdown` (the window
    closing) stops it for good: no job starts after it, a queued one returns untouched."""

    def __init__(
        self, cache_dir: Path | None = None, threads: int = 2, parent: QObject | None = None
    ) -> None:
        self.cache_dir = cache_dir
        self.pool = QThreadPool(parent)
        self.pool.setMaxThreadCount(threads)
        self.signals = _Signals(self.pool)
        self._asked: set[int] = set()
        self._closed = threading.Event()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def request(
        self, file_id: int, path: Path, size: int, mtime_ns: int, cache_only: bool = False
    ) -> None:
        """Make (or read from the cache) the thumbnail of a file; `ready` or `failed` follows.
        `cache_only`: the file is out of reach (offline folder), only a cached one is shown."""
        if file_id in self._asked or self.cache_dir is None or self.closed:
            return
        self._asked.add(file_id)
        target = cache_path(self.cache_dir, path, size, mtime_ns)
        self.pool.start(_Job(self.signals, self._closed, file_id, path, target, cache_only))

    def forget(self) -> None:
        """New results: let pending requests of old ones go."""
        self.pool.clear()
        self._asked.clear()

    def shutdown(self) -> None:
        self._closed.set()
        self.pool.clear()
        self.pool.waitForDone(5000)

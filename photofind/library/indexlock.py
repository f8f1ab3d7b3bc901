"""One indexer per library across processes: an OS lock on `<library>/index.lock`.

Two `photofind index` runs on one library used to encode almost every photo twice (both read
the same pending list). Whoever scans and encodes (the CLI, the window's worker, the watcher)
holds this lock; searching needs no lock, so a second process may search at any time.

The lock is `filelock.FileLock`: fcntl.flock on POSIX and msvcrt.locking on Windows, taken on
an open file, so the OS drops it when the holder dies (kill -9, power loss) and no stale lock
file ever blocks a library. filelock is used by pip, virtualenv, tox and huggingface_hub and
handles the Windows and unsupported-file-system corners hand-written code tends to miss.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from photofind.errors import LibraryError
from photofind.library.events import TaskControl

if TYPE_CHECKING:
    import filelock

log = logging.getLogger(__name__)

POLL = 0.25  # seconds between tries while another process indexes
WAITING = "another photofind is indexing this library; waiting for it to finish"


class IndexLock:
    """The library's indexing lock; any thread may use it, one holder per process at a time
    (the Library's own thread lock orders the threads of one process)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        # Made on first use: a search opens the library without ever indexing.
        self._lock = LazyFileLock(self.path)

    @contextmanager
    def held(
        self,
        control: TaskControl | None = None,
        on_wait: Callable[[str], None] | None = None,
    ) -> Iterator[None]:
        """Hold the lock for the block; while another process holds it, call `on_wait` once
        and wait (a cancelled `control` stops the wait with Cancelled)."""
        try:
            acquire_waiting(self._lock, WAITING, on_wait, control.checkpoint if control else None)
        except OSError as exc:
            raise LibraryError(
                f"cannot lock {self.path} for indexing: {exc.strerror or exc} "
                "(is the library folder writable?)"
            ) from exc
        try:
            yield
        finally:
            self._lock.release()

    def busy(self) -> bool:
        """Whether some process (this one included) indexes the library now: what a folder
        with photos waiting is doing, "indexing" or nothing since a run died or stopped.

        Tried on a lock of its own (its own open file, which flock sets against the holder's
        even in this process) and let go at once; a library that cannot hold a lock (read-only)
        has no indexer."""
        import filelock

        probe = filelock.FileLock(str(self.path), thread_local=False, is_singleton=False)
        try:
            probe.acquire(timeout=0)
        except filelock.Timeout:
            return True
        except OSError:
            return False
        probe.release()
        return False


class LazyFileLock:
    """A process lock on `path` (filelock.FileLock, shared by the threads of this process)
    made at its first use, so what never locks never imports filelock; any thread may use it."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock: filelock.FileLock | None = None
        self._making = threading.Lock()

    def get(self) -> filelock.FileLock:
        with self._making:
            if self._lock is None:
                import filelock

                self._lock = filelock.FileLock(str(self.path), thread_local=False)
            return self._lock

    def acquire(self, timeout: float) -> None:
        self.get().acquire(timeout=timeout)

    def release(self) -> None:
        self.get().release()


def acquire_waiting(
    lock: LazyFileLock,
    waiting: str,
    on_wait: Callable[[str], None] | None = None,
    checkpoint: Callable[[], None] | None = None,
) -> None:
    """Take a process lock, waiting while another process holds it: `on_wait(waiting)` is
    called once, `checkpoint()` between tries (it may raise Cancelled: an OS lock wait cannot
    be interrupted, so the wait polls). OSError (a folder that cannot hold a lock) propagates.
    The one wait loop of the index lock and the label-vector cache."""
    from filelock import Timeout

    waited = False
    while True:
        try:
            lock.acquire(timeout=0 if not waited else POLL)
            return
        except Timeout:
            if not waited:
                waited = True
                log.info("%s (%s)", waiting, lock.path)
                if on_wait is not None:
                    on_wait(waiting)
            if checkpoint is not None:
                checkpoint()

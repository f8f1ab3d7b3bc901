"""Keeping the index true while the app runs: file-system events, coalesced, then indexed.

watchdog reports every create, modify, move and delete; a copy of 5,000 photos is 10,000+
events. They only mark the folder as dirty; once every dirty folder has had `debounce`
seconds of quiet, and the files just written have stopped growing, one scan-and-index pass
catches up with all of them. Dirty folders are scanned together so that photos moved from
one watched folder to another are recognised as moves and keep their vectors.

A slower poll runs the scanner's offline check (`check_folder`: gone, on another mount,
emptied), so a drive unmounted under its mount point goes offline instead of being read as
empty; an event on a watched root itself (deleted, moved, unmounted) runs that check at once.
The deletes a departing drive may cause are only ever applied by the scanner, which runs the
same check first.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import ObservedWatch

from photofind.clip.formats import IMAGE_SUFFIXES
from photofind.errors import Cancelled, PhotofindError
from photofind.library.events import TaskControl
from photofind.library.mounts import MountTable

if TYPE_CHECKING:
    from photofind.library.library import LibraryReport
    from photofind.library.records import Folder
    from photofind.library.scanner import FolderCheck

log = logging.getLogger(__name__)

STABLE_FOR = 0.5  # seconds a new file's size must hold still before it is read
MAX_WAIT = 30.0  # a folder that never stops changing is indexed after this many seconds


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: FolderWatcher, folder_id: int) -> None:
        self.watcher = watcher
        self.folder_id = folder_id

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        if event.is_directory and event.event_type in ("deleted", "moved"):
            self.watcher.check_soon()  # the watched root itself may have gone
        paths = [event.src_path, getattr(event, "dest_path", "") or ""]
        paths = [p for p in paths if p and not self.watcher.is_own(str(p))]
        if not paths:
            return  # the library's own writes (a library kept inside a photo folder)
        relevant = event.is_directory or any(
            Path(str(p)).suffix.lower() in IMAGE_SUFFIXES for p in paths if p
        )
        if relevant:
            self.watcher.touch(self.folder_id, [Path(str(p)) for p in paths if p])


class FolderWatcher:
    """Watches folders; runs `index` over those that changed.

    It knows the library only through three callables, so it can be tested and reused
    without one: `folders()` lists the catalogued folders, `check(folder, mounts)` says
    whether one is online now (`scanner.check_folder`), and `index(control, folders)` runs
    one scan-and-index pass (`Library.index`). They are called from the watcher's thread.
    """

    def __init__(
        self,
        folders: Callable[[], list[Folder]],
        check: Callable[[Folder, MountTable], FolderCheck],
        index: Callable[[TaskControl, list[Folder]], LibraryReport],
        *,
        on_indexed: Callable[[LibraryReport], None] | None = None,
        on_state: Callable[[str], None] | None = None,
        debounce: float = 1.0,
        poll: float = 5.0,
        own: Path | None = None,
    ) -> None:
        """`own` is the library's folder: what changes under it (the catalog, caches and
        thumbnails each pass writes) is no change to a photo folder that holds it."""
        self._folders, self._check_folder, self._run_index = folders, check, index
        self._own = str(own.absolute()) if own is not None else None
        self.on_indexed = on_indexed
        self.on_state = on_state
        self.debounce = debounce
        self.poll = poll
        self.control = TaskControl()
        self._observer = Observer()
        self._watches: dict[int, ObservedWatch] = {}
        self._dirty: dict[int, float] = {}  # folder id -> time of the last event
        self._dirty_since: dict[int, float] = {}  # folder id -> time of its first event
        self._check = threading.Event()  # run the offline check before the next poll
        self._recent: set[Path] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="photofind-watcher", daemon=True)
        self.state = "stopped"

    def is_own(self, path: str) -> bool:
        """Whether `path` is the library's folder or inside it."""
        own = self._own
        return own is not None and (path == own or path.startswith(own + os.sep))

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        self._observer.start()
        self.refresh()
        self._thread.start()
        self._set_state("watching")

    def stop(self) -> None:
        """Stop watching; an index pass in progress is cancelled (its batches stay saved)."""
        self._stop.set()
        self.control.cancel()
        self._wake.set()
        try:
            self._observer.stop()
            self._observer.join(timeout=5)
        except RuntimeError:
            pass
        if self._thread.is_alive():
            self._thread.join(timeout=30)
        self._set_state("stopped")

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            if self.on_state is not None:
                self.on_state(state)

    # -- which folders are watched --------------------------------------------------------

    def refresh(self) -> None:
        """Match the observer's watches to the catalog's online, reachable folders.

        Each folder is checked once, against one reading of the mount table, before the lock
        is taken: the checks touch the disk, and watchdog's thread waits on the lock."""
        mounts = MountTable.read()
        usable = {f.id: f for f in self._folders()
                  if f.online and self._check_folder(f, mounts).online}  # fmt: skip
        with self._lock:
            for folder_id in list(self._watches):
                if folder_id not in usable:
                    self._unschedule(folder_id)
            for folder in usable.values():
                if folder.id not in self._watches:
                    self._schedule(folder)

    def _schedule(self, folder: Folder) -> None:
        """Watch `folder`, which refresh() has just found online."""
        try:
            watch = self._observer.schedule(_Handler(self, folder.id), str(folder.path),
                                            recursive=True)  # fmt: skip
        except OSError as exc:  # inotify watch limit, permissions, a vanishing folder
            log.warning("cannot watch %s: %s; changes will be seen on the next scan",
                        folder.path, exc)  # fmt: skip
            return
        self._watches[folder.id] = watch

    def _unschedule(self, folder_id: int) -> None:
        watch = self._watches.pop(folder_id, None)
        if watch is not None:
            with contextlib.suppress(KeyError, OSError, RuntimeError):
                self._observer.unschedule(watch)

    # -- events ---------------------------------------------------------------------------

    def touch(self, folder_id: int, paths: list[Path]) -> None:
        """Called from watchdog's thread for every relevant event."""
        with self._lock:
            now = time.monotonic()
            self._dirty[folder_id] = now
            self._dirty_since.setdefault(folder_id, now)
            if len(self._recent) < 10000:
                self._recent.update(paths)
        self._wake.set()

    def check_soon(self) -> None:
        """Run the offline check of every folder now (called from watchdog's thread)."""
        self._check.set()
        self._wake.set()

    def _settled(self) -> list[int]:
        """The dirty folders, once all of them have been quiet for `debounce` seconds (or one
        has waited MAX_WAIT) and their new files have stopped growing.

        All at once: a move between two folders is a delete in one and a create in the other,
        and only a scan that sees both keeps the photo's vector.
        """
        now = time.monotonic()
        with self._lock:
            if not self._dirty:
                return []
            all_quiet = all(now - t >= self.debounce for t in self._dirty.values())
            overdue = any(now - t >= MAX_WAIT for t in self._dirty_since.values())
            if not (all_quiet or overdue):
                return []
            quiet = list(self._dirty)
            recent = list(self._recent)
        if not _sizes_stable(recent, STABLE_FOR, self._stop):
            with self._lock:
                for folder_id in quiet:
                    self._dirty[folder_id] = time.monotonic()
            return []
        with self._lock:
            for folder_id in quiet:
                self._dirty.pop(folder_id, None)
                self._dirty_since.pop(folder_id, None)
            if not self._dirty:
                self._recent.clear()
        return quiet

    def _run(self) -> None:
        last_poll = time.monotonic()
        while not self._stop.is_set():
            self._wake.wait(timeout=min(self.debounce / 2, self.poll))
            self._wake.clear()
            if self._stop.is_set():
                return
            # The thread must outlive one failed pass (a locked catalog, a bug): the next poll
            # or event tries again, and the state says "watching" only while it is true.
            try:
                if self._check.is_set() or time.monotonic() - last_poll >= self.poll:
                    self._check.clear()
                    last_poll = time.monotonic()
                    self._poll_reachability()
                ready = self._settled()
                if ready:
                    self._index(ready)
            except PhotofindError as exc:
                log.warning("watching: %s; trying again on the next poll", exc)
            except Exception:
                log.exception("watching: unexpected error; trying again on the next poll")

    def _poll_reachability(self) -> None:
        """Folders that went away (unplugged, unmounted, emptied) go offline; folders that
        came back are rescanned. The scan repeats the check before it changes anything."""
        mounts = MountTable.read()
        changed = []
        for folder in self._folders():
            if self._check_folder(folder, mounts).online != folder.online:
                changed.append(folder.id)
        if changed:
            self._index(changed)
            self.refresh()

    def _index(self, folder_ids: list[int]) -> None:
        """One scan-and-index pass over `folder_ids`; when it fails they are dirty again, so
        the photos that brought them here are not forgotten until the next event."""
        try:
            wanted = set(folder_ids)
            folders = [f for f in self._folders() if f.id in wanted]
            if not folders:
                return
            self._set_state("indexing")
            report = self._run_index(self.control, folders)
        except Cancelled:
            return
        except PhotofindError as exc:
            log.warning("background indexing failed: %s", exc)
            self._retry(folder_ids)
            self._set_state("watching")
            return
        except Exception:  # the watcher thread must outlive a bug in one pass
            log.exception("background indexing failed")
            self._retry(folder_ids)
            self._set_state("watching")
            return
        if report.scan is not None and (report.scan.offline or report.scan.back_online):
            self.refresh()
        self._set_state("watching")
        if self.on_indexed is not None:
            self.on_indexed(report)

    def _retry(self, folder_ids: list[int]) -> None:
        """Mark `folder_ids` dirty again, to be indexed once `poll` seconds have passed."""
        with self._lock:
            later = time.monotonic() + max(self.poll - self.debounce, 0.0)
            for folder_id in folder_ids:
                self._dirty[folder_id] = max(self._dirty.get(folder_id, 0.0), later)
                self._dirty_since.setdefault(folder_id, later)


def _sizes_stable(paths: list[Path], wait: float, stop: threading.Event) -> bool:
    """True when no existing file among `paths` changes size over `wait` seconds."""
    files = [p for p in paths if p.suffix.lower() in IMAGE_SUFFIXES]
    if not files:
        return True

    def sizes() -> dict[Path, int]:
        out = {}
        for p in files[:2000]:
            with contextlib.suppress(OSError):
                out[p] = p.stat().st_size
        return out

    before = sizes()
    if stop.wait(wait):
        return True
    return sizes() == before

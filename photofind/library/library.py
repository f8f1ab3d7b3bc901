"""The library facade the front ends use: folders, scanning, indexing, watching, status.

One `Library` owns the catalog and the vector index of the model in use. Any thread may
search while another indexes; indexing runs one at a time (a lock), whoever starts it (the
CLI, the GUI's worker, the watcher).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from photofind.errors import LibraryError
from photofind.library import scanner
from photofind.library.catalog import Catalog
from photofind.library.events import ProgressCallback, TaskControl
from photofind.library.home import LibraryPaths
from photofind.library.indexer import Indexer, IndexReport
from photofind.library.records import Folder
from photofind.library.scanner import ScanReport
from photofind.library.vectors import VectorIndex

if TYPE_CHECKING:
    from photofind.clip import ClipModel
    from photofind.library.watcher import FolderWatcher

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FolderStatus:
    """A folder as the user sees it: "offline", "not scanned yet", "indexing" (photos
    waiting), "errors" (some unreadable) or "up to date"."""

    folder: Folder
    state: str
    ok: int
    pending: int
    error: int

    @property
    def total(self) -> int:
        return self.ok + self.pending + self.error


class IndexListener(Protocol):
    """What `Library.add_index_listener` calls (see there)."""

    def stored(self, ids: np.ndarray, vectors: np.ndarray) -> None: ...

    def finished(self) -> None: ...


@dataclass
class LibraryReport(IndexReport):
    """An index run together with the scan that preceded it."""

    scan: ScanReport | None = None


class Library:
    """Folders of photos turned into a searchable index."""

    def __init__(
        self,
        paths: LibraryPaths,
        model: ClipModel | None,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        paths.ensure()
        self.paths = paths
        self.catalog = Catalog(paths.catalog)
        self._active: tuple[ClipModel | None, VectorIndex | None] = (model, None)
        self._index_lock = threading.Lock()
        self._watcher: FolderWatcher | None = None
        self._listeners: list[IndexListener] = []
        if model is not None:
            vectors = VectorIndex.open(
                paths.vector_file(model.name), model.embed_dim, self.catalog, model.name,
                progress,
            )  # fmt: skip
            self._active = (model, vectors)

    @property
    def model(self) -> ClipModel | None:
        return self._active[0]

    @property
    def vectors(self) -> VectorIndex | None:
        return self._active[1]

    def active(self) -> tuple[ClipModel | None, VectorIndex | None]:
        """The model and its index as one consistent pair (a switch replaces both at once)."""
        return self._active

    # -- folders ------------------------------------------------------------------------

    def add_folder(self, path: Path | str, exclude: tuple[str, ...] | list[str] = ()) -> Folder:
        """Add a photo folder; LibraryError if it is not a readable folder or overlaps one."""
        folder = Path(path).expanduser().absolute()
        if not folder.is_dir():
            raise LibraryError(f"{folder} is not a folder")
        for existing in self.catalog.folders():
            if existing.path == folder:
                return self.catalog.add_folder(folder, tuple(exclude) or existing.exclude)
            if existing.path in folder.parents:
                raise LibraryError(f"{folder} is already part of the library (in {existing.path})")
            if folder in existing.path.parents:
                raise LibraryError(
                    f"{folder} contains {existing.path}, which is already in the library; "
                    "remove that first"
                )
        added = self.catalog.add_folder(folder, tuple(exclude))
        if self._watcher is not None:
            self._watcher.refresh()
        return added

    def _folder(self, folder: int | Path | str) -> Folder:
        if isinstance(folder, int):
            found = self.catalog.get_folder(folder)
        else:
            target = Path(folder).expanduser().absolute()
            found = next((f for f in self.catalog.folders() if f.path == target), None)
        if found is None:
            raise LibraryError(f"no such folder in the library: {folder}")
        return found

    def remove_folder(self, folder: int | Path | str) -> Folder:
        """Forget a folder, its photos and their vectors (the photos themselves stay)."""
        found = self._folder(folder)
        ids = self.catalog.remove_folder(found.id)
        if self.vectors is not None and ids:
            self.vectors.remove(ids)
            self.vectors.save()
        if self._watcher is not None:
            self._watcher.refresh()
        return found

    def folders(self) -> list[FolderStatus]:
        counts = self.catalog.folder_counts()
        rows = []
        for folder in self.catalog.folders():
            c = counts.get(folder.id, {})
            ok, pending, error = c.get("ok", 0), c.get("pending", 0), c.get("error", 0)
            if not folder.online:
                state = "offline"
            elif folder.last_scan is None:
                state = "not scanned yet"
            elif pending:
                state = "indexing"
            elif error:
                state = "errors"
            else:
                state = "up to date"
            rows.append(FolderStatus(folder, state, ok, pending, error))
        return rows

    # -- work ---------------------------------------------------------------------------

    def scan(
        self,
        control: TaskControl | None = None,
        progress: ProgressCallback | None = None,
        folders: list[Folder] | None = None,
    ) -> ScanReport:
        """Catch up with the disk; deleted photos leave the vector index at once."""
        report = scanner.scan(self.catalog, folders, control=control, progress=progress)
        if report.deleted and self.vectors is not None:
            self.vectors.remove(report.deleted)
        for path, message in report.errors[:20]:
            log.warning("cannot read %s: %s", path, message)
        return report

    def index(
        self,
        control: TaskControl | None = None,
        progress: ProgressCallback | None = None,
        *,
        batch_size: int = 16,
        folders: list[Folder] | None = None,
        rescan: bool = True,
    ) -> LibraryReport:
        """Scan (unless `rescan` is False) and encode every pending photo.

        Runs one at a time; a second caller waits for the first. Cancelled propagates
        after the work done so far is committed and saved.
        """
        with self._index_lock:
            scan = self.scan(control, progress, folders) if rescan else None
            report = LibraryReport(scan=scan)
            if self.model is None or self.vectors is None:
                return report
            indexer = Indexer(self.catalog, self.model, self.vectors, batch_size=batch_size,
                              on_stored=self._stored)  # fmt: skip
            done = indexer.run(control, progress)
            self._finished()  # not after a cancel: the next run catches up
            report.indexed, report.failed = done.indexed, done.failed
            report.elapsed, report.cancelled = done.elapsed, done.cancelled
            return report

    def add_index_listener(self, listener: IndexListener) -> None:
        """Tell `listener` about new vectors of the model in use: `stored(ids, vectors)` after
        each committed batch, `finished()` after each index run, both from the indexing
        thread (the zero-shot tagger labels new photos this way). A listener's failure is
        logged and never stops indexing."""
        self._listeners.append(listener)

    def _stored(self, ids, vectors) -> None:
        for listener in self._listeners:
            try:
                listener.stored(ids, vectors)
            except Exception:
                log.exception("index listener %r failed on a batch", listener)

    def _finished(self) -> None:
        for listener in self._listeners:
            try:
                listener.finished()
            except Exception:
                log.exception("index listener %r failed after a run", listener)

    def watch(
        self,
        on_indexed: Callable[[LibraryReport], None] | None = None,
        on_state: Callable[[str], None] | None = None,
        *,
        debounce: float = 1.0,
        poll: float = 5.0,
    ) -> FolderWatcher:
        """Start watching every folder; changes are scanned and indexed in the background."""
        from photofind.library.watcher import FolderWatcher

        if self._watcher is None:
            self._watcher = FolderWatcher(
                self, on_indexed=on_indexed, on_state=on_state, debounce=debounce, poll=poll
            )
            self._watcher.start()
        return self._watcher

    # -- switching models -----------------------------------------------------------------

    def switch_model(
        self,
        model: ClipModel,
        control: TaskControl | None = None,
        progress: ProgressCallback | None = None,
    ) -> IndexReport:
        """Index every photo with `model`, then make it the one that answers queries.

        Until the new vectors are complete the current model keeps answering searches (this
        runs in the caller's thread; run it in a worker). Cancelled leaves the current model
        in place and the new vectors done so far stored, so a later switch resumes.
        """
        vectors = VectorIndex.open(
            self.paths.vector_file(model.name), model.embed_dim, self.catalog, model.name
        )
        with self._index_lock:
            report = Indexer(self.catalog, model, vectors).run(control, progress)
            if self.catalog.pending_count(model.name):
                return report  # files came or went meanwhile; the next switch finishes
            old = self.vectors
            self._active = (model, vectors)  # one assignment: searches see old or new pair
            if old is not None:
                old.save()
        return report

    def drop_vectors(self, model_name: str) -> None:
        """Delete a model's stored vectors and index file (not the model in use)."""
        if self.model is not None and model_name == self.model.name:
            raise LibraryError(f"{model_name} is the model in use; switch to another first")
        self.catalog.drop_model(model_name)
        path = self.paths.vector_file(model_name)
        for stale in path.parent.glob(f"{path.name}*"):  # the index, its sidecar, temp files
            stale.unlink(missing_ok=True)

    @property
    def watcher(self) -> FolderWatcher | None:
        return self._watcher

    def status(self) -> dict[str, int]:
        """Photo counts: files, ok, pending, error."""
        return self.catalog.counts()

    def close(self) -> None:
        """Stop watching and save the vector index; safe to call twice."""
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher = None
        with self._index_lock:
            if self.vectors is not None:
                try:
                    self.vectors.save()
                except LibraryError as exc:
                    log.warning("%s", exc)
            self.catalog.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

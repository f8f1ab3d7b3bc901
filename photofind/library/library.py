"""The library facade the front ends use: folders, scanning, indexing, watching, status.

One `Library` owns the catalog and the vector index of the model in use. Any thread may
search while another indexes; indexing runs one at a time, whoever starts it (the CLI, the
GUI's worker, the watcher): a thread lock orders this process, the library's `IndexLock`
orders processes, so a second process waits (or only searches) instead of encoding the same
photos again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from photofind.errors import Cancelled, LibraryError
from photofind.library import presence, scanner, vectorsync
from photofind.library.catalog import Catalog
from photofind.library.events import Progress, ProgressCallback, TaskControl
from photofind.library.home import LibraryPaths
from photofind.library.indexer import Indexer, IndexReport
from photofind.library.indexlock import IndexLock
from photofind.library.records import Folder, ScanProblem
from photofind.library.scanner import ScanReport, check_folder
from photofind.library.vectors import VectorIndex

if TYPE_CHECKING:
    from photofind.clip import ClipModel
    from photofind.library.watcher import FolderWatcher

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FolderStatus:
    """A folder as the user sees it: "offline", "not scanned yet", "indexing" (photos
    waiting while an index run goes on), "waiting" (photos waiting, no index run: it died or
    was stopped), "errors" (some unreadable) or "up to date"; `unreadable` counts what its
    latest scan could not open (a subfolder, a link to a drive that is away), `problems` lists
    the first of them by path."""

    folder: Folder
    state: str
    ok: int
    pending: int
    error: int
    unreadable: int = 0
    problems: tuple[ScanProblem, ...] = ()

    @property
    def total(self) -> int:
        return self.ok + self.pending + self.error


class IndexListener(Protocol):
    """What `Library.add_index_listener` calls (see there)."""

    def stored(self, ids: np.ndarray, vectors: np.ndarray) -> None: ...

    def finished(
        self, control: TaskControl | None = None, progress: ProgressCallback | None = None
    ) -> None: ...


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
        self._process_lock = IndexLock(paths.index_lock)
        self._removed: set[int] = set()  # ids a running index pass must drop before saving
        self._removed_lock = threading.Lock()
        self._watcher: FolderWatcher | None = None
        self._listeners: list[IndexListener] = []
        if model is not None:
            vectors = vectorsync.open_index(
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
        self._drop_vectors(self.catalog.remove_folder(found.id))
        if self._watcher is not None:
            self._watcher.refresh()
        return found

    def forget_files(self, ids: list[int]) -> None:
        """Forget photos the user deleted or moved to the trash: their records and vectors
        go now, so searches and the timeline stop showing them at once."""
        self.catalog.delete_files(ids)
        self._drop_vectors(ids)

    def _drop_vectors(self, ids: list[int]) -> None:
        vectors = self.vectors
        if vectors is not None and ids:
            vectors.remove(ids)  # searches stop finding them now
            # VectorIndex.save must not run while another thread adds: save now if no index
            # pass runs, else leave it to that pass, which also drops the ids again in case
            # it added some of them (committed just before the folder went) meanwhile.
            if self._index_lock.acquire(blocking=False):
                try:
                    vectors.save()
                finally:
                    self._index_lock.release()
            else:
                with self._removed_lock:
                    self._removed.update(ids)

    def folders(self, model: str | None = None) -> list[FolderStatus]:
        """Each folder's state and counts for `model` (default: the loaded one; photos it has
        not encoded wait for it)."""
        counts = self.catalog.folder_counts(model or self._model_name())
        problems = self.catalog.scan_problems()
        rows = []
        busy: bool | None = None  # asked once, and only when some folder has photos waiting
        for folder in presence.folders_now(self.catalog):  # a drive unplugged since its scan
            c = counts.get(folder.id, {})
            ok, pending, error = c.get("ok", 0), c.get("pending", 0), c.get("error", 0)
            unreadable, shown = problems.get(folder.id, (0, []))
            if not folder.online:
                state = "offline"
            elif folder.last_scan is None:
                state = "not scanned yet"
            elif pending:
                if busy is None:
                    busy = self._process_lock.busy()
                state = "indexing" if busy else "waiting"
            elif error or unreadable:
                state = "errors"
            else:
                state = "up to date"
            rows.append(FolderStatus(folder, state, ok, pending, error, unreadable, tuple(shown)))
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

        Runs one at a time, across processes too: a second caller waits for the first (a
        "wait" progress report says so). Cancelled propagates after the work done so far is
        committed and saved.
        """
        with self._indexing(control, progress):
            scan = self.scan(control, progress, folders) if rescan else None
            report = LibraryReport(scan=scan)
            if self.model is None or self.vectors is None:
                return report
            indexer = Indexer(self.catalog, self.model, self.vectors, batch_size=batch_size,
                              on_stored=self._stored)  # fmt: skip
            try:
                done = indexer.run(control, progress)
            finally:
                self._drop_removed()
            report.indexed, report.failed = done.indexed, done.failed
            report.elapsed, report.cancelled = done.elapsed, done.cancelled
        # Not after a cancel (the next run catches up), and outside the locks: the listeners'
        # follow-up work (reading the label cut-offs) reads the catalog only, reports its own
        # progress and may be cancelled, and must not hold up another pass or process.
        self._finished(control, progress)
        return report

    def add_index_listener(self, listener: IndexListener) -> None:
        """Tell `listener` about new vectors of the model in use: `stored(ids, vectors)` after
        each committed batch, `finished(control, progress)` after each index run once the
        index locks are let go (its progress goes to the pass's callback; Cancelled from it
        ends `index`), both from the indexing thread (the zero-shot tagger labels new photos
        this way). Any other failure of a listener is logged and never stops indexing."""
        self._listeners.append(listener)

    def _stored(self, ids, vectors) -> None:
        for listener in self._listeners:
            try:
                listener.stored(ids, vectors)
            except Exception:
                log.exception("index listener %r failed on a batch", listener)

    def _finished(self, control: TaskControl | None, progress: ProgressCallback | None) -> None:
        for listener in self._listeners:
            try:
                listener.finished(control, progress)
            except Cancelled:
                raise
            except Exception:
                log.exception("index listener %r failed after a run", listener)

    @contextmanager
    def _indexing(
        self, control: TaskControl | None, progress: ProgressCallback | None
    ) -> Iterator[None]:
        """Hold the thread lock, then the library's process lock."""
        if self.catalog.read_only:
            raise LibraryError(
                f"the library {self.paths.home} is read-only (read-only media or no write "
                "permission): searching works, but indexing needs a writable library folder"
            )

        def waiting(message: str) -> None:
            if progress is not None:
                progress(Progress("wait", 0, 0, current=message))

        with self._index_lock, self._process_lock.held(control, waiting):
            self._catch_up()
            try:
                yield
            finally:
                self.catalog.fold_wal()  # what the pass wrote leaves no large WAL behind
                self._drop_removed()  # a folder removed while the WAL was folded

    def _catch_up(self) -> None:
        """Under the locks: add what another process indexed since this one loaded or saved
        its vectors, so they are searchable here and a later save does not drop them."""
        model, vectors = self._active
        if model is None or vectors is None:
            return
        done = vectorsync.catch_up(vectors, self.catalog)
        if done is not None and done[0] != "loaded":
            log.info("caught up with another process: %s (+%d, -%d)", *done)

    def refresh(self) -> None:
        """Bring the vector index in line with what other processes stored or removed since
        it was loaded (cheap when nothing changed); a search calls it first. An index pass of
        this process keeps the index in line itself, so this skips while one runs."""
        if self._index_lock.acquire(blocking=False):
            try:
                self._catch_up()
            finally:
                self._index_lock.release()

    def _drop_removed(self, *others: VectorIndex) -> None:
        """Under the index lock: drop the vectors of folders removed during the pass from the
        active index (and `others`), and save them."""
        with self._removed_lock:
            ids, self._removed = self._removed, set()
        if not ids:
            return
        indexes = {id(v): v for v in (self.vectors, *others) if v is not None}
        for index in indexes.values():
            index.remove(sorted(ids))
            index.save()

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
            catalog = self.catalog
            self._watcher = FolderWatcher(
                catalog.folders,
                lambda folder, mounts: check_folder(catalog, folder, mounts),
                lambda control, folders: self.index(control, folders=folders),
                on_indexed=on_indexed, on_state=on_state, debounce=debounce, poll=poll,
                own=self.paths.home,
            )  # fmt: skip
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
        with self._indexing(control, progress):
            # Opened under the locks: no other process stores vectors between this sync and
            # the Indexer, so the index holds every vector the switch makes it answer with.
            vectors = vectorsync.open_index(
                self.paths.vector_file(model.name), model.embed_dim, self.catalog, model.name
            )
            try:
                report = Indexer(self.catalog, model, vectors).run(control, progress)
            finally:
                self._drop_removed(vectors)
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
        """Photo counts for the loaded model: files, ok, pending, error."""
        return self.catalog.counts(self._model_name())

    def _model_name(self) -> str | None:
        model = self.model
        return model.name if model is not None else None

    def close(self) -> None:
        """Stop watching and save the vector index; safe to call twice."""
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher = None
        with self._index_lock:
            if self.vectors is not None and not self.catalog.read_only:
                try:
                    self.vectors.save()
                except LibraryError as exc:
                    log.warning("%s", exc)
            self.catalog.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

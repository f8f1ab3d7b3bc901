"""The window's decisions without its widgets: the session, indexing, searches, model switches.

napari's and qutebrowser's split: widgets show state and send requests; this object owns the
open `Session` and decides what runs when. It opens and closes the session, starts index
passes (one at a time; a request during a pass queues exactly one more), pauses and cancels
them, numbers searches so an answer that arrives after a newer search started is dropped,
switches models through `Session.switch_model`, and shuts everything down in order.

Work runs through `run` (default: `run_task` on the controller's own QThreadPool), so a test
can pass a synchronous runner and check every decision without a window or an event loop.
GUI thread only; the worker functions never touch it.

Signals (all on the GUI thread):
  session_opened(Session)      a session is open (or reopened)
  open_failed(exc)             opening the library or model failed
  folders_changed()            a folder was added, removed or its counts changed
  indexing_started()
  indexing_progress(Progress)
  indexing_finished(report)    an index pass ended (IndexReport: .indexed, .failed)
  watcher_indexed(report)      the folder watcher indexed changes (.indexed)
  indexing_stopped(str)        cancelled ("") or failed (the message)
  model_switching(str)         a switch to that model name began
  model_switched(object)       the new model answers queries
  searched(list)               hits of the newest search
  search_failed(exc)           the newest search failed
  watcher_state(str)           "watching" | "indexing" | "stopped"
  library_changed()            another process changed the catalog (see poll_changes)
  download_started() / download_progress(Progress) / download_finished()
  download_failed(exc)         a model download failed or was cancelled (Cancelled)
  repair_done(str)             a model check or repair has something to say
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, Signal

from photofind.errors import Cancelled, ModelError, PhotofindError
from photofind.gui.workers import run_task
from photofind.session import LibraryPaths, Session, model_store
from photofind.session import open_session as open_session_at
from photofind.tasks import TaskControl

log = logging.getLogger(__name__)

Runner = Callable[..., Any]
"""`run(fn, *args, done=, failed=, progress=)`: runs fn somewhere, reports on the GUI thread."""


class WindowController(QObject):
    session_opened = Signal(object)
    open_failed = Signal(object)
    folders_changed = Signal()
    indexing_started = Signal()
    indexing_progress = Signal(object)
    indexing_finished = Signal(object)
    indexing_stopped = Signal(str)
    model_switching = Signal(str)
    model_switched = Signal(object)
    searched = Signal(object)
    search_failed = Signal(object)
    watcher_state = Signal(str)
    watcher_indexed = Signal(object)  # emitted from the watcher's thread: queued connections
    _watcher_changed = Signal(str)
    library_changed = Signal()
    download_started = Signal()
    download_progress = Signal(object)
    download_finished = Signal()
    download_failed = Signal(object)
    repair_done = Signal(str)

    def __init__(
        self,
        open_session: Callable[[], Session],
        run: Runner | None = None,
        parent: QObject | None = None,
        *,
        open_library: Callable[[], Session] | None = None,
    ) -> None:
        """`open_session` opens the library with its model; `open_library` the same library
        without one, for when the model is missing or damaged (default: PHOTOFIND_HOME's)."""
        super().__init__(parent)
        self._open_session = open_session
        self._open_library = open_library or functools.partial(open_session_at, load_model=False)
        self.pool = QThreadPool(self)  # a Qt child: never left to Python's collector
        self.pool.setMaxThreadCount(3)  # open/index, search, spare
        self.run: Runner = run or functools.partial(run_task, self.pool)
        self.session: Session | None = None
        self.control = TaskControl()  # index passes and model switches
        self.indexing = False
        self.index_again = False
        self.search_serial = 0
        self.paused = False
        self.index_at_launch = True  # Preferences: "start indexing at launch"
        self.model_problem: str | None = None  # why the model did not load (library is open)
        self.download_control: TaskControl | None = None
        self._change_stamp: int | None = None
        self._watcher_changed.connect(self.watcher_state)

    # -- the session ----------------------------------------------------------------------

    @property
    def has_model(self) -> bool:
        return self.session is not None and self.session.model is not None

    def open(self) -> None:
        """(Re)open the library and model in a worker; the old session closes once the new
        one is open. A model that will not load leaves the library open without one, and
        `model_problem` says why (the window offers a repair, the folders stay in view)."""
        self.run(self._open_either, done=self._opened, failed=self.open_failed.emit)

    def _open_either(self) -> tuple[Session, str | None]:
        try:
            return self._open_session(), None
        except ModelError as exc:
            log.warning("the model did not load: %s", exc)
            return self._open_library(), str(exc)

    def _opened(self, opened: tuple[Session, str | None]) -> None:
        session, self.model_problem = opened
        if self.session is not None:
            self.close_session()
        self.session = session
        self._change_stamp = self._stamp()
        self.session_opened.emit(session)
        if session.model is not None:
            session.library.watch(on_indexed=self.watcher_indexed.emit,
                                  on_state=self._watcher_changed.emit)  # fmt: skip
            self.watcher_state.emit("watching")
            if self.index_at_launch:
                self.start_indexing()

    def close_session(self) -> None:
        """Close the open session (its watcher stops, the vectors are saved)."""
        if self.session is not None:
            self.session.close()
            self.session = None

    # -- changes made elsewhere -----------------------------------------------------------

    def _stamp(self) -> int | None:
        """SQLite's data_version for this thread's connection: it changes whenever another
        connection (the CLI, another window, this process's workers) commits. Cheap: no
        table is read."""
        if self.session is None:
            return None
        try:
            return int(self.session.library.catalog.select("PRAGMA data_version")[0][0])
        except PhotofindError as exc:
            log.debug("no change stamp: %s", exc)
            return None

    def poll_changes(self) -> bool:
        """Called every second or two by the window's timer. When the catalog changed and
        no pass of ours is running, say so (`library_changed`) and index what another
        process left: the pass first takes in the vectors it stored. True if it changed."""
        stamp = self._stamp()
        if stamp is None or stamp == self._change_stamp:
            return False
        self._change_stamp = stamp
        if self.indexing:
            return False  # our own pass: its end refreshes the window
        self.library_changed.emit()
        session = self.session
        if session is not None and session.model is not None and self._behind(session):
            self.start_indexing()
        return True

    def _behind(self, session: Session) -> bool:
        model, vectors = session.library.active()
        if model is None or vectors is None:
            return False
        catalog = session.library.catalog
        return catalog.embedding_stamp(model.name) != vectors.stamp or bool(
            catalog.pending_count(model.name)
        )

    def store(self):
        """The open library's model store (PHOTOFIND_HOME's before it has opened)."""
        return self.session.store if self.session is not None else model_store()

    def cache_dir(self) -> Path:
        """The open library's cache folder (PHOTOFIND_HOME's before it has opened)."""
        paths = self.session.paths if self.session is not None else LibraryPaths.resolve()
        return paths.cache_dir

    # -- folders --------------------------------------------------------------------------

    def add_folder(self, path: Path, exclude: tuple[str, ...] = ()) -> None:
        """Add and index a folder; raises PhotofindError (bad path, already added)."""
        if self.session is None:
            return
        self.session.library.add_folder(path, exclude)
        self.folders_changed.emit()
        self.start_indexing()

    def remove_folder(self, folder_id: int, failed: Callable[[BaseException], None]) -> None:
        """Forget a folder in a worker; an index pass over it skips the removed photos."""
        if self.session is None:
            return
        self.run(self.session.library.remove_folder, folder_id,
                 done=lambda _folder: self.folders_changed.emit(), failed=failed)  # fmt: skip

    # -- indexing -------------------------------------------------------------------------

    def start_indexing(self) -> bool:
        """Start an index pass; during one, ask for exactly one more after it. True if a
        pass started now."""
        session = self.session
        if session is None or session.model is None:
            return False
        if self.indexing:
            self.index_again = True  # a folder was added meanwhile: one more pass after
            return False
        self.index_again = False
        self.indexing = True
        self.indexing_started.emit()
        self.run(session.library.index, self.control, done=self._indexed,
                 failed=self._index_failed, progress=self.indexing_progress.emit)  # fmt: skip
        return True

    def _indexed(self, report: Any) -> None:
        self.indexing = False
        self._change_stamp = self._stamp()  # our own writes: the window refreshes below
        self.indexing_finished.emit(report)
        if self.index_again:
            self.start_indexing()

    def _index_failed(self, exc: BaseException) -> None:
        self.indexing = False
        self.indexing_stopped.emit("" if isinstance(exc, Cancelled) else str(exc))

    def set_paused(self, paused: bool) -> None:
        """Pause or resume the index pass and the folder watcher together."""
        self.paused = paused
        for control in self._controls():
            control.pause() if paused else control.resume()

    def _controls(self) -> list[TaskControl]:
        controls = [self.control]
        watcher = self.session.library.watcher if self.session else None
        if watcher is not None:
            controls.append(watcher.control)
        return controls

    # -- searching ------------------------------------------------------------------------

    def search(self, call: tuple[Callable[..., Any], Any] | None) -> int:
        """Run `fn(arg)` for hits; only the newest search's answer is reported. None (no
        query) reports no hits at once. Returns the search's serial."""
        self.search_serial += 1
        serial = self.search_serial
        if call is None or not self.has_model:
            self.searched.emit([])
            return serial
        fn, arg = call
        self.run(fn, arg, done=lambda hits: self._answered(serial, hits),
                 failed=lambda exc: self._search_failed(serial, exc))  # fmt: skip
        return serial

    def is_current(self, serial: int) -> bool:
        return serial == self.search_serial

    def _answered(self, serial: int, hits: list) -> None:
        if self.is_current(serial):  # else a newer search is on its way
            self.searched.emit(hits)

    def _search_failed(self, serial: int, exc: BaseException) -> None:
        if self.is_current(serial):
            self.search_failed.emit(exc)

    # -- models ---------------------------------------------------------------------------

    def import_model(self, folder: Path, failed: Callable[[BaseException], None]) -> None:
        """Copy a model folder into the store, make it the active model, reopen."""
        store = self.store()  # the open library's, not whatever PHOTOFIND_HOME says

        def work() -> None:
            installed = store.import_folder(folder)
            store.use(installed.name)

        self.run(work, done=lambda _: self.open(), failed=failed)

    def use_model(self, name: str) -> bool:
        """Switch to an installed model; the current one answers until the new one is done.
        Without a model yet, reopen (the store's active model loads). True if a switch (or
        reopen) started."""
        session = self.session
        if session is None or session.model is None:
            self.open()
            return True
        if session.model.name == name:
            return False
        self.model_switching.emit(name)
        self.run(session.switch_model, name, self.control, done=self._switched,
                 failed=self._index_failed, progress=self.indexing_progress.emit)  # fmt: skip
        return True

    def _switched(self, _report: Any) -> None:
        if self.session is not None and self.session.model is not None:
            self.model_switched.emit(self.session.model)

    def install_model(self, name: str) -> None:
        """Download and install a catalog model, then reopen with it; cancel_install stops
        it (a later install resumes the finished files)."""
        store = self.store()
        self.download_control = control = TaskControl()
        self.download_started.emit()
        install = functools.partial(store.install, control=control)

        def installed(_model: Any) -> None:
            self.download_control = None
            self.download_finished.emit()
            store.use(name)
            self.open()

        def failed(exc: BaseException) -> None:
            self.download_control = None
            self.download_failed.emit(exc)

        self.run(install, name, done=installed, failed=failed,
                 progress=self.download_progress.emit)  # fmt: skip

    def cancel_install(self) -> None:
        if self.download_control is not None:
            self.download_control.cancel()

    def broken_model_name(self) -> str | None:
        """The installed model that should answer (the store's active one), if any."""
        return self.store().active_name()

    def verify_model(self) -> None:
        """Check the active model's files against its manifest; report in words."""
        name = self.broken_model_name()
        if name is None:
            self.repair_done.emit("No model is installed.")
            return
        store = self.store()

        def verify() -> str:
            store.verify(name)
            return f"{name}: every file is as installed."

        self.run(verify, done=self.repair_done.emit,
                 failed=lambda exc: self.repair_done.emit(f"{name} is damaged: {exc}"))  # fmt: skip

    # -- shutting down --------------------------------------------------------------------

    def shutdown(self, also: Callable[[], None] | None = None) -> None:
        """Stop indexing at the next batch (committed work is kept), let the workers finish,
        then close the library. `also` runs after the cancel, before the wait (thumbnails)."""
        self.control.cancel()
        self.control.resume()
        if self.session is not None and self.session.library.watcher is not None:
            self.session.library.watcher.control.resume()
        if also is not None:
            also()
        if self.download_control is not None:
            self.download_control.cancel()
        self.pool.waitForDone()
        self.close_session()

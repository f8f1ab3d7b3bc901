"""The main window: folders on the left, the search bar, the results grid, a status bar.

A thin assembly: `WindowController` (controller.py) owns the session and decides what runs
when; the widgets (welcome_page, folder_panel, search_bar, status_bar, the results view) show
its state and send it requests. Everything slow runs in the controller's worker threads; an
answer to a search that a newer one overtook is dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

from PySide6.QtCore import (
    QEvent,
    QItemSelectionModel,
    QObject,
    QSettings,
    Qt,
    QThreadPool,
    QTimer,
    Signal,
)
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from photofind.appinfo import APP_DISPLAY_NAME
from photofind.clip.formats import IMAGE_SUFFIXES
from photofind.errors import PhotofindError
from photofind.gui import desktop
from photofind.gui.about import AboutDialog
from photofind.gui.clip_features import ClipFeatures
from photofind.gui.controller import WindowController
from photofind.gui.errors_panel import ErrorsPanel
from photofind.gui.folder_panel import FolderPanel
from photofind.gui.grid.view import PhotoGrid
from photofind.gui.menus import MenuSlots, build_menus
from photofind.gui.offer import download_problem
from photofind.gui.preferences import PreferenceHooks, Preferences, PreferencesDialog
from photofind.gui.preview import PreviewDialog
from photofind.gui.repair_bar import RepairBar
from photofind.gui.results import HitRole, ResultsModel
from photofind.gui.results_actions import ResultActions
from photofind.gui.results_timeline import TimelineFeed, date_headers
from photofind.gui.search_bar import SearchBar
from photofind.gui.status_bar import StatusBar
from photofind.gui.thumbnails import ThumbnailLoader, cache_path
from photofind.gui.welcome_page import WelcomePage
from photofind.library.thumbcache import ThumbnailCache
from photofind.search import Hit, Query, SearchResult
from photofind.session import Session
from photofind.wording import counted

log = logging.getLogger(__name__)

RESULTS = 500
POLL_MS = 1500  # how often the catalog is checked for changes made by another process


class MainWindow(QMainWindow):
    search_finished = Signal()  # for tests and benchmarks: results are on screen
    things_refreshed = Signal()  # the sidebar's Things and Albums are up to date
    album_exported = Signal()

    def __init__(
        self,
        open_session: Callable[[], Session],
        open_library: Callable[[], Session] | None = None,
    ) -> None:
        """`open_session` opens the library and its model; `open_library` the library alone,
        for when the model will not load (default: PHOTOFIND_HOME's library)."""
        super().__init__()
        self.setWindowTitle(APP_DISPLAY_NAME)
        self.setAcceptDrops(True)
        self.controller = WindowController(open_session, parent=self, open_library=open_library)
        self.prefs = Preferences.load()
        self.controller.index_at_launch = self.prefs.index_at_launch
        self._open_image: Path | None = None
        self._asked = False  # the newest search asked for something (else: no hint)
        self._by_date = False  # the newest search sorts by date: date headers in the grid
        self._timeline_asked = False  # the timeline's next first page answers a search
        self._index_phase = ""  # of the last progress of an index pass
        self._build()
        self._connect()
        self._restore()
        self.poll = QTimer(self)
        self.poll.setInterval(POLL_MS)
        self.poll.timeout.connect(self.controller.poll_changes)
        self.poll.start()
        self.reopen()

    # The controller's state, read by tests, scripts and ClipFeatures.
    @property
    def session(self) -> Session | None:
        return self.controller.session

    @property
    def pool(self):
        return self.controller.pool

    @property
    def indexing(self) -> bool:
        return self.controller.indexing

    # -- layout ---------------------------------------------------------------------------

    def _build(self) -> None:
        self.stack = QStackedWidget()
        self.setCentralWidget(self.stack)
        self.welcome = WelcomePage()
        self.stack.addWidget(self.welcome)

        self.folders = FolderPanel()
        self.folder_list = self.folders.folder_list
        self.features = ClipFeatures(self)  # Things, albums, chips, marks
        sidebar = QWidget()
        side = QVBoxLayout(sidebar)
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(self.folders, 1)
        side.addWidget(self.features.panel, 2)

        self.search_bar = SearchBar()
        self.search_bar.add_beside_field(self.features.chips)
        self.search_field = self.search_bar.field
        self.image_chip = self.search_bar.image_chip
        self.debounce = self.search_bar.debounce
        self.thumbnails = ThumbnailLoader(parent=self)  # its cache folder comes with the session
        # The preview's decodes: two threads, so a closed preview's 48 MP PNG still decoding
        # (its result dropped) does not hold up the next one's.
        self.preview_pool = QThreadPool(self)
        self.preview_pool.setMaxThreadCount(2)
        self.results = ResultsModel(self.thumbnails, self)
        self.view = PhotoGrid()
        self.view.setModel(self.results)
        self.timeline = TimelineFeed(self.pool, self.results, self)  # the grid with no query
        self.photo_actions = ResultActions(self.view, self.pool, self._library, self)
        self.features.attach_view(self.view)
        self.hint = QLabel()
        self.weaker_button = QPushButton()
        self.weaker_button.setFlat(True)
        self.weaker_button.setToolTip("Photos below where the matches end, best first")
        self.weaker_button.clicked.connect(self.show_weaker)
        self.weaker_button.hide()
        self._weaker: list[Hit] = []  # the newest search's photos below its cut
        self.repair = RepairBar()
        right = QWidget()
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.repair)
        column.addWidget(self.search_bar)
        column.addWidget(self.view, 1)
        hint_row = QHBoxLayout()
        hint_row.addWidget(self.hint, 1)
        hint_row.addWidget(self.weaker_button)
        column.addLayout(hint_row)
        column.addWidget(self.features.marks)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(sidebar)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(1, 1)
        main = QWidget()
        QVBoxLayout(main).addWidget(self.splitter)
        self.stack.addWidget(main)
        # The library page shows while the library opens, with the keyboard in the search
        # field: a person types the moment the window appears, and those keys are a query
        # (on the welcome page Space would press its first button). The welcome page takes
        # over once the library turns out to have no folders or no model.
        self.stack.setCurrentWidget(main)
        self.search_bar.focus()

        self.status = StatusBar()
        self.setStatusBar(self.status)
        self.model_label = self.status.model_label
        self.about_button = self.status.about_button

        self.menu_actions = build_menus(self, MenuSlots(
            add_folder=self.choose_folder, close=self.close, quit=self.quit,
            find=self.search_bar.focus_and_select, clear_filters=self.search_bar.filters.clear,
            preferences=self.show_preferences, models=self.show_models,
            errors=self.show_errors, about=self.about, show_log=self.show_log,
        ))  # fmt: skip
        self._add_duplicates_menu()
        # Space and Esc belong to the widget with focus, so typing a space still types one.
        self.search_field.installEventFilter(self)
        self.view.installEventFilter(self)

    def _connect(self) -> None:
        c = self.controller
        c.session_opened.connect(self._opened)
        c.open_failed.connect(self._open_failed)
        c.folders_changed.connect(self._folders_changed)
        c.indexing_started.connect(self.status.indexing_started)
        c.indexing_progress.connect(self.status.show_progress)
        c.indexing_progress.connect(self._index_progress)
        c.indexing_finished.connect(self._indexed)
        c.indexing_stopped.connect(self._index_stopped)
        c.watcher_indexed.connect(self._watcher_indexed)
        c.model_switching.connect(self._switching)
        c.model_switched.connect(self._switched)
        c.searched.connect(self._show)
        c.search_failed.connect(self._search_failed)
        c.watcher_state.connect(self.status.show_watcher)
        c.library_changed.connect(self._library_changed)
        c.download_started.connect(self.welcome.download_started)
        c.download_progress.connect(self.welcome.download_progress)
        c.download_progress.connect(self.status.show_progress)
        c.download_failed.connect(self._download_failed)
        c.download_finished.connect(lambda: self.welcome.download_ended(None))
        c.repair_done.connect(self.repair.show_note)
        self.welcome.add_folder_requested.connect(self.choose_folder)
        self.welcome.import_model_requested.connect(self.choose_model_folder)
        self.welcome.download_requested.connect(self.download_recommended)
        self.welcome.cancel_requested.connect(c.cancel_install)
        self.welcome.models_requested.connect(self.show_models)
        self.repair.verify_requested.connect(c.verify_model)
        self.repair.download_requested.connect(self._download_again)
        self.repair.import_requested.connect(self.choose_model_folder)
        self.repair.models_requested.connect(self.show_models)
        self.folders.add_requested.connect(self.choose_folder)
        self.folders.remove_requested.connect(self.ask_remove_folder)
        self.folders.folder_chosen.connect(self._folder_chosen)
        self.search_bar.filters.folder_cleared.connect(self.folders.choose_all)
        self.search_bar.search_requested.connect(self.search_now)
        self.status.pause_toggled.connect(c.set_paused)
        self.status.models_requested.connect(self.show_models)
        self.status.about_requested.connect(self.about)
        self.status.errors_requested.connect(self.show_errors)
        # Return opens (ResultActions), a double-click previews, as in photo apps.
        self.view.doubleClicked.connect(lambda _index: self.preview_current())
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.timeline.page_loaded.connect(self._timeline_shown)
        self.photo_actions.trashed.connect(self._trashed)
        self.photo_actions.message.connect(self.status.show_message)
        self.search_field.textEdited.connect(self._typing)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and watched in (self.search_field, self.view):
            key = cast(QKeyEvent, event).key()
            if key == Qt.Key.Key_Escape:
                self.clear_search()
                return True
            if key == Qt.Key.Key_Space and watched is self.view:
                self.preview_current()
                return True
            if watched is self.view and self.features.key(self._current_hit(), key):
                return True
        return super().eventFilter(watched, event)

    # -- settings -------------------------------------------------------------------------

    def _restore(self) -> None:
        settings = QSettings()
        geometry = settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1100, 720)
        splitter = settings.value("window/splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)
        else:
            self.splitter.setSizes([260, 840])

    def _save_settings(self) -> None:
        settings = QSettings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/splitter", self.splitter.saveState())

    # -- session --------------------------------------------------------------------------

    def reopen(self) -> None:
        """(Re)open the library and model in a worker; the window stays responsive."""
        self.status.show_model("Loading model…")
        self.controller.open()

    def search_on_open(self, image: Path) -> None:
        """Find photos like `image` as soon as the library is open ("Open with photofind")."""
        self._open_image = image
        if self.session is not None:
            self.search_by_image(image, image.name)
            self._open_image = None

    def _opened(self, session: Session) -> None:
        self.thumbnails.cache_dir = session.paths.thumbnails_dir
        limit = self.prefs.thumbnail_limit_mb * 1024 * 1024
        self.controller.run(ThumbnailCache(session.paths.thumbnails_dir).prune, limit)
        model = session.model
        self.status.show_model(f"Model: {model.name}" if model else "No model")
        self.refresh_folders()
        self.features.refresh()
        self._load_library_dates()
        if self._open_image is not None:
            self.search_on_open(self._open_image)
        else:
            self.search_now()  # typed while the library was opening, else the timeline

    def _open_failed(self, exc: BaseException) -> None:
        self.status.show_model("No model")
        self.welcome.show_state(False, False, str(exc))
        self.stack.setCurrentWidget(self.welcome)

    # -- folders --------------------------------------------------------------------------

    def refresh_folders(self) -> None:
        session = self.session
        if session is None:
            return
        rows = session.library.folders()
        self.folders.show_folders(rows)
        self.status.show_errors(sum(row.error for row in rows))
        problem = self.controller.model_problem
        if rows:  # the library page, with a repair bar when the model is missing or damaged
            if session.model is None:
                name = self.controller.broken_model_name() if problem else None
                self.repair.show_problem(problem or "", name, self._downloadable(name))
            else:
                self.repair.hide()
            if self.stack.currentIndex() != 1:
                self.stack.setCurrentIndex(1)
                # The first keys a person types are a query: they must not land on a
                # button (Space would press "Add…") when the welcome page gives way.
                self.search_bar.focus()
        else:
            self.welcome.show_state(session.model is not None, False, problem)
            self.stack.setCurrentWidget(self.welcome)

    def _library_changed(self) -> None:
        """Another process changed the catalog (the CLI added a folder or indexed photos)."""
        self._show_library_as_it_is()

    def _show_library_as_it_is(self) -> None:
        """After the catalog changed: folders, things, dates and the grid read it again (new
        photos join the timeline where they belong; a query runs again)."""
        self.refresh_folders()
        self.features.refresh()
        self._load_library_dates()
        if self.search_bar.has_query():
            self.search_now()
        else:
            self.timeline.refresh()

    def _folder_chosen(self) -> None:
        self.search_bar.filters.set_folder(self.folders.chosen_folder(), self.folders.chosen_name())
        self.search_now()

    def _load_library_dates(self) -> None:
        session = self.session
        if session is not None:
            failed = lambda exc: log.warning("library dates: %s", exc)  # noqa: E731
            self.controller.run(library_dates, session, done=self._library_dates, failed=failed)

    def _library_dates(self, dates: tuple) -> None:
        self.search_bar.filters.set_library_dates(*dates)

    def show_errors(self) -> None:
        """The files that could not be read, read in a worker, in a panel."""
        session = self.session
        panel = ErrorsPanel(self)
        self.errors_panel = panel
        if session is not None:
            self.controller.run(session.library.catalog.errors, done=panel.show_files,
                                failed=self._warn)  # fmt: skip
        panel.show()

    def folder_state(self, path: Path) -> str | None:
        """The state shown for a folder (tests and accessibility)."""
        return self.folders.folder_state(path)

    def choose_folder(self) -> None:
        settings = QSettings()
        start = str(settings.value("last_folder", str(Path.home())))
        chosen = QFileDialog.getExistingDirectory(self, "Add a photo folder", start)
        if chosen:
            settings.setValue("last_folder", chosen)
            self.add_folder(Path(chosen))

    def add_folder(self, path: Path, exclude: tuple[str, ...] = ()) -> None:
        try:
            self.controller.add_folder(path, exclude)
        except PhotofindError as exc:
            QMessageBox.warning(self, APP_DISPLAY_NAME, str(exc))

    def remove_folder(self, folder_id: int) -> None:
        self.controller.remove_folder(folder_id, failed=self._warn)

    def ask_remove_folder(self, folder_id: int) -> bool:
        """Remove a folder once the person says yes (the Remove buttons): its photos leave
        the library with their vectors and labels, and adding it back encodes them again.
        True if it is being removed."""
        session = self.session
        if session is None:
            return False
        row = next((r for r in session.library.folders() if r.folder.id == folder_id), None)
        if row is None:
            return False
        question = (
            f"Remove {row.folder.path} from {APP_DISPLAY_NAME}? Its "
            f"{counted(row.total, 'photo')} leave the search; the files stay where they are. "
            "Adding the folder again reads every photo again."
        )
        buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
        answer = QMessageBox.question(
            self, APP_DISPLAY_NAME, question, buttons, QMessageBox.StandardButton.No
        )  # Enter keeps it
        if answer != QMessageBox.StandardButton.Yes:
            return False
        self.remove_folder(folder_id)
        return True

    def _folders_changed(self) -> None:
        self.refresh_folders()
        self.search_now()

    def _warn(self, exc: BaseException) -> None:
        QMessageBox.warning(self, APP_DISPLAY_NAME, str(exc))

    # -- models ---------------------------------------------------------------------------

    def choose_model_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Choose a CLIP model folder")
        if chosen:
            self.import_model(Path(chosen))

    def import_model(self, folder: Path) -> None:
        self.status.show_model("Installing model…")
        self.controller.import_model(folder, failed=self._open_failed)

    def _store(self):
        return self.controller.store()

    def download_recommended(self) -> None:
        """The first run's one button: the recommended model, with progress and cancel."""
        self.controller.install_model(self.welcome.offer.name)

    def _download_again(self) -> None:
        name = self.controller.broken_model_name() or self.welcome.offer.name
        self.repair.show_note(f"Downloading {name} again…")
        self.controller.install_model(name)

    def _download_failed(self, exc: BaseException) -> None:
        problem = download_problem(exc)
        self.welcome.download_ended(problem)
        self.status.indexing_ended(problem or "Download cancelled")
        if self.repair.isVisible():
            self.repair.show_note(problem or "Download cancelled")

    def _downloadable(self, name: str | None) -> bool:
        from photofind.modelstore import registry

        try:
            return registry.downloadable(registry.find_entry(name or self.welcome.offer.name))
        except PhotofindError:
            return False

    def show_models(self) -> None:
        from photofind.gui.model_dialog import ModelDialog

        dialog = ModelDialog(self._store(), self.use_model, self, pool=self.pool,
                             cache_dir=self.controller.cache_dir())  # fmt: skip
        dialog.exec()
        dialog.deleteLater()  # else every closed dialog stays on as the window's child

    def use_model(self, name: str) -> None:
        """Switch to an installed model; the current one answers until the new one is done."""
        self.controller.use_model(name)

    def _switching(self, name: str) -> None:
        current = self.session.model if self.session else None
        self.status.show_model(f"Model: {current.name if current else '-'} "
                               f"(switching to {name}…)")  # fmt: skip

    def _switched(self, model: Any) -> None:
        self.status.show_model(f"Model: {model.name}")
        self.status.show_message(f"Now using {model.name}")
        self.features.refresh()  # labels for the new model are read in the background
        self.search_now()

    # -- indexing -------------------------------------------------------------------------

    def start_indexing(self) -> None:
        self.controller.start_indexing()

    def _index_progress(self, p: Any) -> None:
        """The folder list and the timeline follow the scan once encoding begins (the
        timeline shows photos still pending, so a long first index is not an empty grid);
        a pass's photos are searchable once its labels phase begins (a new model's label
        texts may take a minute): show them then; the Things list follows at the end."""
        entered, self._index_phase = p.phase != self._index_phase, p.phase
        if entered and p.phase == "index":  # scanned: the folders' photos are known
            self.refresh_folders()
            if not self.search_bar.has_query():
                self._load_library_dates()
                self.timeline.refresh()
        if entered and p.phase == "labels":
            self.refresh_folders()
            self._load_library_dates()
            if self.search_bar.has_query():
                self.search_now()
            else:
                self.timeline.refresh()

    @staticmethod
    def _up_to_date(report: Any) -> str:
        failed = f", {report.failed:,} unreadable" if report.failed else ""
        return f"Up to date ({report.indexed:,} new{failed})"

    def _indexed(self, report: Any) -> None:
        if not self.controller.indexing:  # else one more pass began
            self.status.indexing_ended(self._up_to_date(report))
        self._show_library_as_it_is()

    def _watcher_indexed(self, report: Any) -> None:
        if (report.indexed or report.failed) and not self.controller.indexing:
            self.status.show_message(self._up_to_date(report))  # not the launch pass's count
        self.refresh_folders()
        self.features.refresh()
        self._load_library_dates()
        if report.indexed and self.search_bar.has_query():
            self.search_now()
        elif report.indexed:
            self.timeline.refresh()

    def _index_stopped(self, message: str) -> None:
        self.status.indexing_ended(f"Indexing stopped: {message}" if message else None)
        self.refresh_folders()

    # -- searching ------------------------------------------------------------------------

    def clear_search(self) -> None:
        self.search_bar.clear()

    def clear_image_query(self) -> None:
        self.search_bar.clear_image()

    def search_by_image(self, image: Path | int, label: str) -> None:
        self.search_bar.set_image(image, label, image if isinstance(image, Path) else None)

    def current_query(self) -> Query | None:
        text = self.search_bar.text()
        base = None
        if self.search_bar.has_query():
            base = self.features.parse_text(text, k=RESULTS)
        query = self.features.shape_query(base)
        if query is None:
            return None
        query = replace(query, **self.search_bar.query_changes())
        return self.search_bar.filters.filters.apply(query)  # folders and dates: all in view

    def search_now(self) -> None:
        self.debounce.stop()
        query = self.current_query()
        call = self.features.search_call(query)
        self._asked = call is not None
        self._by_date = query is not None and query.sort == "date"
        self.controller.search(call)

    def _show(self, answer: SearchResult | list[Hit]) -> None:
        """Hits on screen: the matches of a search (with its weaker ones behind a button), an
        album's photos, or (no query) the timeline of the whole library."""
        if not self._asked and self.session is not None:
            # No query: the timeline; its first page is the answer.
            self._weaker = []
            self.weaker_button.hide()
            self._timeline_asked = True
            self.timeline.start(
                self.session.library.catalog, filters=self.search_bar.filters.filters
            )
            return
        self.timeline.stop()
        found = answer if isinstance(answer, SearchResult) else None
        hits = found.hits if found is not None else list(answer)  # type: ignore[arg-type]
        self._weaker = found.weaker if found is not None else []
        self.results.set_hits(hits, date_headers(hits) if self._by_date else None)
        self.features.results_shown(hits)
        if not self._asked:
            self.hint.setText("")
        elif found is not None and hits:
            more = f" (the best {len(hits):,} shown)" if found.truncated else ""
            self.hint.setText(counted(found.matches, "matching photo") + more)
        else:
            self.hint.setText(counted(len(hits), "photo") if hits else "No photos match")
        self.weaker_button.setText(
            f"Show {counted(len(self._weaker), 'weaker match', 'weaker matches')}"
        )
        self.weaker_button.setVisible(bool(self._weaker))
        if hits:  # Space previews the best match; nothing is selected until clicked
            self.view.selectionModel().setCurrentIndex(
                self.results.index(0), QItemSelectionModel.SelectionFlag.NoUpdate
            )
        self.search_finished.emit()

    def show_weaker(self) -> None:
        """The photos below the cut, after the matches ("show weaker matches")."""
        if not self._weaker:
            return
        hits = [*self.results.hits, *self._weaker]
        self.hint.setText(f"{self.hint.text()}, then {len(self._weaker):,} weaker")
        self._weaker = []
        self.weaker_button.hide()
        self.results.set_hits(hits, date_headers(hits) if self._by_date else None)
        self.features.results_shown(hits)

    def _typing(self, text: str) -> None:
        if text.strip():  # a query is coming: a timeline page still on its way is not it
            self.timeline.stop()
            self._timeline_asked = False

    def _trashed(self, ids: list[int]) -> None:
        """Photos moved to the trash leave the grid at once, and the timeline's count is read
        again from the catalog, which has forgotten them: the watcher may have reloaded the
        timeline without them already, so lowering the count here would count them twice."""
        self.results.remove_ids(set(ids))
        if self.timeline.active:
            self.timeline.refresh()
        else:
            count = self.results.rowCount()
            self.hint.setText(counted(count, "photo") if count else "No photos match")

    def _timeline_shown(self) -> None:
        total = self.timeline.total
        if total:
            self.hint.setText(f"{counted(total, 'photo')}, newest first")
        elif self.search_bar.filters.filters.active:
            self.hint.setText("No photos match the filters")
        else:
            self.hint.setText("No photos yet")
        if self._timeline_asked:
            self._timeline_asked = False
            self.search_finished.emit()

    def _library(self):
        return self.session.library if self.session is not None else None

    def _search_failed(self, exc: BaseException) -> None:
        self._weaker = []
        self.weaker_button.hide()
        self.results.set_hits([])
        self.hint.setText(str(exc))
        self.search_finished.emit()

    # -- acting on results ----------------------------------------------------------------

    def hit_at(self, row: int) -> Hit:
        return self.results.hits[row]

    def _current_hit(self) -> Hit | None:
        index = self.view.currentIndex()
        return index.data(HitRole) if index.isValid() else None

    def find_similar(self, hit: Hit) -> None:
        """Photos like `hit`, combined with the typed text (a chip shows the photo)."""
        self.search_bar.set_image(hit.file.id, hit.file.path.name, self._tile_picture(hit))

    def _tile_picture(self, hit: Hit) -> Path:
        """The photo's cached thumbnail (as its tile shows it: upright, any format), else the
        file: Qt reads no HEIC or AVIF, ignores EXIF orientation, and takes 0.6 s for a 48 MP
        original on the GUI thread."""
        file, cache = hit.file, self.thumbnails.cache_dir
        if cache is not None:
            made = cache_path(cache, file.path, file.size, file.mtime_ns)
            if made.exists():
                return made
        return file.path

    def preview_current(self) -> None:
        hit = self._current_hit()
        if hit is not None:
            self.preview(hit)

    def preview(self, hit: Hit) -> None:
        """The photo large; Left/Right walk through the grid's photos."""
        hits = self.results.hits
        row = next((r for r, h in enumerate(hits) if h.file.id == hit.file.id), None)
        if row is None:
            dialog = PreviewDialog(hit, self, **self.features.preview_options(hit),
                                   pool=self.preview_pool)  # fmt: skip
        else:
            dialog = PreviewDialog(hit, self, hits=hits, index=row, pool=self.preview_pool,
                                   options=self.features.preview_options)  # fmt: skip
        dialog.exec()
        dialog.deleteLater()  # else every closed preview stays on as the window's child

    def show_duplicates(self) -> None:
        """Groups of near-identical photos; trashing from there updates the grid."""
        from photofind.gui.duplicates_view import DuplicatesDialog

        if self.session is None or self.session.model is None:
            return
        dialog = DuplicatesDialog(self.session, self.pool, self, on_trashed=self._trashed)
        dialog.exec()
        dialog.deleteLater()  # else every closed view stays on as the window's child

    def _add_duplicates_menu(self) -> None:
        for action in self.menuBar().actions():
            menu = action.menu()
            if action.text() == "&View" and isinstance(menu, QMenu):
                item = menu.addAction("Near-&duplicates…")
                item.triggered.connect(lambda _checked=False: self.show_duplicates())
                self.menu_actions["duplicates"] = item

    def _context_menu(self, pos) -> None:
        index = self.view.indexAt(pos)
        hit = index.data(HitRole) if index.isValid() else None
        if hit is None:
            return
        path = hit.file.path
        if not self.view.selectionModel().isSelected(index):
            self.view.setCurrentIndex(index)  # a right-click outside the selection takes it
        menu = QMenu(self)
        menu.addAction("Preview", lambda: self.preview(hit))
        menu.addAction("Find similar", lambda: self.find_similar(hit))
        self.features.add_menu_actions(menu, hit)
        menu.addSeparator()
        self.photo_actions.add_to_menu(menu)  # on every selected photo
        menu.addAction("Copy image", lambda: desktop.copy_image(path))
        menu.exec(self.view.viewport().mapToGlobal(pos))

    # -- drops ----------------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        for url in event.mimeData().urls():
            path = Path(url.toLocalFile())
            if path.is_dir():
                self.add_folder(path)
            elif path.suffix.lower() in IMAGE_SUFFIXES:
                self.search_by_image(path, path.name)
        event.acceptProposedAction()

    # -- about and closing ----------------------------------------------------------------

    def about(self) -> None:
        model = self.session.model if self.session else None
        model_text = (
            f"{model.name} ({model.manifest.arch}, {model.manifest.license or 'licence unknown'})"
            if model else "none"
        )  # fmt: skip
        AboutDialog(self, model_text).exec()

    def show_log(self) -> Path:
        """The log file the window and the CLI write, in the system's text viewer."""
        from photofind import logs

        path = logs.log_file()
        if path.exists():
            desktop.open_file(path)
        else:
            self.status.show_message("Nothing has been logged yet")
        return path

    def show_preferences(self) -> PreferencesDialog | None:
        session = self.session
        if session is None:
            return None  # still opening: nothing to set yet
        cache = ThumbnailCache(session.paths.thumbnails_dir)
        hooks = PreferenceHooks(
            folders=session.library.folders,
            add_folder=self.add_folder,
            remove_folder=self.ask_remove_folder,
            models=lambda: [m.name for m in self._store().installed()],
            current_model=lambda: self._model_name(),
            use_model=self.use_model,
        )
        dialog = PreferencesDialog(self.prefs, cache, hooks, self)
        dialog.accepted.connect(lambda: self._preferences_saved(dialog.prefs))
        dialog.open()
        return dialog

    def _model_name(self) -> str | None:
        model = self.session.model if self.session is not None else None
        return model.name if model is not None else None

    def _preferences_saved(self, prefs: Preferences) -> None:
        self.prefs = prefs
        self.controller.index_at_launch = prefs.index_at_launch

    def quit(self) -> None:
        from PySide6.QtWidgets import QApplication

        self.close()
        QApplication.quit()

    def closeEvent(self, event) -> None:
        """Stop indexing at the next batch (committed work is kept), then close the library."""
        self._save_settings()
        self.hide()  # at once: the waits below (a 12 MP thumbnail, a batch) are not shown frozen
        self.poll.stop()
        for dialog in self.findChildren(QDialog):  # open when every window closes (a logout)
            if dialog.isVisible():
                dialog.reject()  # a Models download stops, instead of being waited for below

        def stop_views() -> None:
            self.thumbnails.shutdown()
            self.results.release()
            self.features.shutdown()
            self.preview_pool.waitForDone()  # a closed preview's last decode

        self.controller.shutdown(also=stop_views)
        super().closeEvent(event)


def library_dates(session: Session) -> tuple:
    """(the library's first-to-last date range, its years), read in a worker."""
    from photofind.search.dates import library_span, library_years

    catalog = session.library.catalog
    return library_span(catalog), library_years(catalog)

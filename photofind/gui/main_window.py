"""The main window: folders on the left, a search field, the results grid, a status bar.

Everything slow (opening the library and model, indexing, searching, thumbnails) runs in
worker threads; the window only sends requests and shows answers. A search answer that
arrives after a newer search was started is dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, cast

from PySide6.QtCore import QDate, QEvent, QObject, QSettings, Qt, QThreadPool, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QImage,
    QKeyEvent,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDateEdit,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from photofind.appinfo import APP_DISPLAY_NAME
from photofind.clip.formats import IMAGE_SUFFIXES
from photofind.errors import Cancelled, PhotofindError
from photofind.gui.about import AboutDialog
from photofind.gui.clip_features import ClipFeatures
from photofind.gui.grid.view import PhotoGrid
from photofind.gui.preview import PreviewDialog
from photofind.gui.results import HitRole, ResultsModel
from photofind.gui.results_actions import ResultActions
from photofind.gui.results_timeline import TimelineFeed, date_headers
from photofind.gui.thumbnails import ThumbnailLoader
from photofind.gui.workers import run_task
from photofind.library.events import Progress, TaskControl
from photofind.search import Hit, Query
from photofind.session import Session

log = logging.getLogger(__name__)

DEBOUNCE_MS = 250
RESULTS = 500


class _Bridge(QObject):
    """Carries the watcher's callbacks (from its thread) to the GUI thread."""

    indexed = Signal(object)
    state = Signal(str)


def _format_progress(p: Progress) -> str:
    if p.phase == "wait":  # another photofind process is indexing this library
        return "Waiting for another photofind to finish indexing…"
    if p.phase == "scan":
        return f"Looking for photos… {p.done:,} found"
    if p.phase == "labels":  # after a pass: the tags' cut-offs are read off the library
        return f"Tagging photos… {100 * (p.fraction or 0):.0f}%"
    text = f"Indexing {p.done:,} / {p.total:,}"
    if p.rate:
        text += f" · {p.rate:.1f}/s"
    if p.eta is not None and p.done < p.total:
        minutes, seconds = divmod(int(p.eta), 60)
        text += f" · {minutes}:{seconds:02d} left"
    return text


class WelcomePage(QWidget):
    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        title = QLabel(f"<h1>Welcome to {APP_DISPLAY_NAME}</h1>")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.add_button = QPushButton("Add a photo folder…")
        self.model_button = QPushButton("Choose a model folder…")
        self.download_button = QPushButton("Download a model…")
        self.add_button.clicked.connect(window.choose_folder)
        self.model_button.clicked.connect(window.choose_model_folder)
        self.download_button.clicked.connect(window.show_models)
        for widget in (title, self.message, self.add_button, self.model_button,
                       self.download_button):  # fmt: skip
            layout.addWidget(widget, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)

    def show_state(self, has_model: bool, has_folders: bool, problem: str | None) -> None:
        lines = []
        if problem:
            lines.append(problem)
        if not has_model:
            lines.append(
                "photofind needs a CLIP model to understand your photos. Choose a model folder "
                "(made by models/export_onnx.py or copied from another computer); downloads "
                "need `photofind model install NAME` and a network connection."
            )
        if not has_folders:
            lines.append("Add a folder of photos (or drop one on this window) to start.")
        self.message.setText("\n\n".join(lines))
        self.model_button.setVisible(not has_model)
        self.download_button.setVisible(not has_model)


class MainWindow(QMainWindow):
    search_finished = Signal()  # for tests and benchmarks: results are on screen
    things_refreshed = Signal()  # the sidebar's Things and Albums are up to date
    album_exported = Signal()

    def __init__(self, open_session: Callable[[], Session]) -> None:
        super().__init__()
        self.setWindowTitle(APP_DISPLAY_NAME)
        self.setAcceptDrops(True)
        self._open_session = open_session
        self.session: Session | None = None
        self.pool = QThreadPool()
        self.pool.setMaxThreadCount(3)  # open/index, search, spare
        self.control = TaskControl()
        self.indexing = False
        self._index_again = False
        self._search_serial = 0
        self._timeline_asked = False
        self._image_query: Path | int | None = None
        self._open_image: Path | None = None
        self._bridge = _Bridge()
        self._bridge.indexed.connect(self._watcher_indexed)
        self._bridge.state.connect(self._watcher_state)
        self._build()
        self._restore()
        self.reopen()

    # -- layout ---------------------------------------------------------------------------

    def _build(self) -> None:
        self.stack = QStackedWidget()
        self.setCentralWidget(self.stack)
        self.welcome = WelcomePage(self)
        self.stack.addWidget(self.welcome)

        main = QWidget()
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        sidebar = QWidget()
        side = QVBoxLayout(sidebar)
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(QLabel("<b>Folders</b>"))
        self.folder_list = QListWidget()
        self.folder_list.setAccessibleName("Photo folders")
        side.addWidget(self.folder_list)
        buttons = QHBoxLayout()
        self.add_button = QPushButton("Add…")
        self.remove_button = QPushButton("Remove")
        self.add_button.clicked.connect(self.choose_folder)
        self.remove_button.clicked.connect(self.remove_selected_folder)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        side.addLayout(buttons)
        self.features = ClipFeatures(self)  # Things, albums, chips, marks
        side.addWidget(self.features.panel, 2)

        right = QWidget()
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        self.search_field = QLineEdit()
        self.search_field.setPlaceholderText("Describe a photo: kids on a beach at sunset -people")
        self.search_field.setClearButtonEnabled(True)
        self.search_field.setMinimumWidth(260)
        self.search_field.setAcceptDrops(False)  # drops go to the window
        self.search_field.textEdited.connect(self._text_edited)
        self.search_field.returnPressed.connect(self.search_now)
        bar.addWidget(self.search_field, 1)
        bar.addWidget(self.features.chips)
        self.image_chip = QPushButton()
        self.image_chip.setToolTip("Searching by this image; click to drop it")
        self.image_chip.clicked.connect(self.clear_image_query)
        self.image_chip.hide()
        bar.addWidget(self.image_chip)
        self.sort_box = QComboBox()
        self.sort_box.addItems(["Best match", "Newest first"])
        self.sort_box.currentIndexChanged.connect(self.search_now)
        bar.addWidget(self.sort_box)
        self.cutoff = QDoubleSpinBox()
        self.cutoff.setRange(-1.0, 1.0)
        self.cutoff.setSingleStep(0.01)
        self.cutoff.setValue(-1.0)
        self.cutoff.setSpecialValueText("any score")
        self.cutoff.setToolTip("Hide results scoring below this")
        self.cutoff.valueChanged.connect(self._schedule)
        bar.addWidget(self.cutoff)
        self.date_from = self._date_edit("from any date")
        self.date_to = self._date_edit("to any date")
        bar.addWidget(self.date_from)
        bar.addWidget(self.date_to)
        column.addLayout(bar)
        self.thumbnails = ThumbnailLoader()  # its cache folder comes with the session
        self.results = ResultsModel(self.thumbnails)
        self.view = PhotoGrid()
        self.view.setModel(self.results)
        self.timeline = TimelineFeed(self.pool, self.results)  # the grid with no query
        self.timeline.page_loaded.connect(self._timeline_shown)
        self.actions = ResultActions(self.view, self.pool, self._library, self)
        self.actions.trashed.connect(lambda ids: self.results.remove_ids(set(ids)))
        self.features.attach_view(self.view)
        self.view.doubleClicked.connect(lambda _index: self.preview_current())
        self.view.customContextMenuRequested.connect(self._context_menu)
        column.addWidget(self.view, 1)
        self.hint = QLabel()
        self.actions.message.connect(self.hint.setText)
        column.addWidget(self.hint)
        column.addWidget(self.features.marks)

        self.splitter.addWidget(sidebar)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(main)
        layout.addWidget(self.splitter)
        self.stack.addWidget(main)
        # The library page shows while the library opens, with the keyboard in the search
        # field: a person types the moment the window appears, and those keys are a query
        # (on the welcome page Space would press its first button). The welcome page takes
        # over once the library turns out to have no folders or no model.
        self.stack.setCurrentWidget(main)
        self.search_field.setFocus(Qt.FocusReason.OtherFocusReason)

        self.debounce = QTimer(self)
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(DEBOUNCE_MS)
        self.debounce.timeout.connect(self.search_now)

        status = self.statusBar()
        self.progress_label = QLabel()
        self.progress_bar = QProgressBar()
        self.progress_bar.setMaximumWidth(180)
        self.progress_bar.hide()
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.pause_button.toggled.connect(self._toggle_pause)
        self.pause_button.hide()
        self.watch_label = QLabel()
        self.model_label = QLabel("Loading…")
        status.addWidget(self.progress_label, 1)
        status.addWidget(self.progress_bar)
        status.addWidget(self.pause_button)
        status.addPermanentWidget(self.watch_label)
        status.addPermanentWidget(self.model_label)
        self.models_button = QPushButton("Models…")
        self.models_button.clicked.connect(self.show_models)
        status.addPermanentWidget(self.models_button)
        self.about_button = QPushButton("About…")  # version, model, About > Licences
        self.about_button.clicked.connect(self.about)
        status.addPermanentWidget(self.about_button)

        self._action(self, "Find", QKeySequence.StandardKey.Find, self._focus_search)
        self._action(self, "Add folder", QKeySequence("Ctrl+O"), self.choose_folder)
        self._action(self, "About", QKeySequence.StandardKey.HelpContents, self.about)
        self._action(self, "Close window", QKeySequence.StandardKey.Close, self.close)
        self._action(self, "Quit", QKeySequence.StandardKey.Quit, self.close)
        # Space and Esc belong to the widget with focus, so typing a space still types one.
        self.search_field.installEventFilter(self)
        self.view.installEventFilter(self)

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

    def _date_edit(self, special: str) -> QDateEdit:
        edit = QDateEdit()
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        edit.setMinimumDate(QDate(1900, 1, 1))
        edit.setSpecialValueText(special)
        edit.setDate(edit.minimumDate())
        edit.dateChanged.connect(self._schedule)
        return edit

    def _action(self, owner: QWidget, text: str, key: Any, slot: Callable[[], object]) -> QAction:
        action = QAction(text, owner)
        action.setShortcut(key)
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        owner.addAction(action)
        return action

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
        self.model_label.setText("Loading model…")
        run_task(self.pool, self._open_session, done=self._opened, failed=self._open_failed)

    def search_on_open(self, image: Path) -> None:
        """Find photos like `image` as soon as the library is open ("Open with photofind")."""
        self._open_image = image
        if self.session is not None:
            self.search_by_image(image, image.name)
            self._open_image = None

    def _opened(self, session: Session) -> None:
        if self.session is not None:
            self.session.close()
        self.session = session
        self.thumbnails.cache_dir = session.paths.thumbnails_dir
        model = session.model
        self.model_label.setText(f"Model: {model.name}" if model else "No model")
        self.refresh_folders()
        self.features.refresh()
        if model is not None:
            session.library.watch(on_indexed=self._bridge.indexed.emit,
                                  on_state=self._bridge.state.emit)  # fmt: skip
            self._watcher_state("watching")
            self.start_indexing()
        if self._open_image is not None:
            self.search_on_open(self._open_image)
        else:
            self.search_now()  # typed while the library was opening, else the timeline

    def _open_failed(self, exc: BaseException) -> None:
        self.model_label.setText("No model")
        self.welcome.show_state(False, False, str(exc))
        self.stack.setCurrentWidget(self.welcome)

    # -- folders --------------------------------------------------------------------------

    def refresh_folders(self) -> None:
        session = self.session
        if session is None:
            return
        rows = session.library.folders()
        self.folder_list.clear()
        for row in rows:
            name = row.folder.path.name or str(row.folder.path)
            item = QListWidgetItem(f"{name}\n{row.total:,} photos · {row.state}")
            reason = row.folder.offline_reason if row.state == "offline" else None
            item.setToolTip(f"{row.folder.path}\n{reason}" if reason else str(row.folder.path))
            item.setData(Qt.ItemDataRole.UserRole, row.folder.id)
            item.setData(Qt.ItemDataRole.UserRole + 1, row.state)
            if row.state == "offline":
                item.setForeground(Qt.GlobalColor.gray)
            self.folder_list.addItem(item)
        has_model = session.model is not None
        if rows and has_model:
            if self.stack.currentIndex() != 1:
                self.stack.setCurrentIndex(1)
                # The first keys a person types are a query: they must not land on a
                # button (Space would press "Add…") when the welcome page gives way.
                self.search_field.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self.welcome.show_state(has_model, bool(rows), None)
            self.stack.setCurrentWidget(self.welcome)

    def folder_state(self, path: Path) -> str | None:
        """The state shown for a folder (tests and accessibility)."""
        for i in range(self.folder_list.count()):
            item = self.folder_list.item(i)
            if item.toolTip().split("\n")[0] == str(path):  # the path, then why it is offline
                return item.data(Qt.ItemDataRole.UserRole + 1)
        return None

    def choose_folder(self) -> None:
        settings = QSettings()
        start = str(settings.value("last_folder", str(Path.home())))
        chosen = QFileDialog.getExistingDirectory(self, "Add a photo folder", start)
        if chosen:
            settings.setValue("last_folder", chosen)
            self.add_folder(Path(chosen))

    def add_folder(self, path: Path) -> None:
        if self.session is None:
            return
        try:
            self.session.library.add_folder(path)
        except PhotofindError as exc:
            QMessageBox.warning(self, APP_DISPLAY_NAME, str(exc))
            return
        self.refresh_folders()
        self.start_indexing()

    def remove_selected_folder(self) -> None:
        item = self.folder_list.currentItem()
        if item is not None and self.session is not None:
            self.remove_folder(int(item.data(Qt.ItemDataRole.UserRole)))

    def remove_folder(self, folder_id: int) -> None:
        """Forget a folder in a worker; an index pass over it skips the removed photos."""
        assert self.session is not None

        def removed(_folder: object) -> None:
            self.refresh_folders()
            self.search_now()

        def failed(exc: BaseException) -> None:
            QMessageBox.warning(self, APP_DISPLAY_NAME, str(exc))

        run_task(self.pool, self.session.library.remove_folder, folder_id, done=removed,
                 failed=failed)  # fmt: skip

    def choose_model_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Choose a CLIP model folder")
        if chosen:
            self.import_model(Path(chosen))

    def import_model(self, folder: Path) -> None:
        store = self._store()  # the open library's, not whatever PHOTOFIND_HOME says

        def work() -> None:
            installed = store.import_folder(folder)
            store.use(installed.name)

        self.model_label.setText("Installing model…")
        run_task(self.pool, work, done=lambda _: self.reopen(), failed=self._open_failed)

    def _store(self):
        from photofind.modelstore import ModelStore

        paths = self.session.paths if self.session is not None else None
        if paths is None:
            from photofind.library.home import LibraryPaths

            paths = LibraryPaths.resolve()
        return ModelStore(paths.models_dir)

    def show_models(self) -> None:
        from photofind.gui.model_dialog import ModelDialog

        ModelDialog(self._store(), self.use_model, self).exec()

    def use_model(self, name: str) -> None:
        """Switch to an installed model; the current one answers until the new one is done."""
        session = self.session
        if session is None or session.model is None:
            self.reopen()
            return
        if session.model.name == name:
            return
        from photofind.clip import ClipModel

        folder = self._store().get(name)
        library = session.library

        def work(progress):
            library.switch_model(ClipModel.load(folder), self.control, progress)
            return library.model

        self.model_label.setText(f"Model: {session.model.name} (switching to {name}…)")
        run_task(self.pool, work, done=self._switched, failed=self._index_failed,
                 progress=self._progress)  # fmt: skip

    def _switched(self, model) -> None:
        if self.session is not None:
            self.session.model = model
        self.model_label.setText(f"Model: {model.name}")
        self.progress_label.setText(f"Now using {model.name}")
        self.features.refresh()  # labels for the new model are read in the background
        self.search_now()

    # -- indexing -------------------------------------------------------------------------

    def start_indexing(self) -> None:
        session = self.session
        if session is None or session.model is None:
            return
        if self.indexing:
            self._index_again = True  # a folder was added meanwhile: one more pass after
            return
        self._index_again = False
        self.indexing = True
        self.pause_button.show()
        self.progress_bar.show()
        run_task(self.pool, session.library.index, self.control, done=self._indexed,
                 failed=self._index_failed, progress=self._progress)  # fmt: skip

    def _progress(self, p: Progress) -> None:
        self.progress_label.setText(_format_progress(p))
        if p.total and p.phase == "index":
            self.progress_bar.setRange(0, p.total)
            self.progress_bar.setValue(p.done)
        else:
            self.progress_bar.setRange(0, 0)

    def _indexed(self, report: Any) -> None:
        self.indexing = False
        self.pause_button.hide()
        self.progress_bar.hide()
        failed = f", {report.failed:,} unreadable" if report.failed else ""
        self.progress_label.setText(f"Up to date ({report.indexed:,} new{failed})")
        self.refresh_folders()
        self.features.refresh()
        if self.search_field.text() or self._image_query is not None:
            self.search_now()
        else:
            self.timeline.refresh()
        if self._index_again:
            self.start_indexing()

    def _index_failed(self, exc: BaseException) -> None:
        self.indexing = False
        self.pause_button.hide()
        self.progress_bar.hide()
        if not isinstance(exc, Cancelled):
            self.progress_label.setText(f"Indexing stopped: {exc}")
        self.refresh_folders()

    def _toggle_pause(self, paused: bool) -> None:
        controls = [self.control]
        watcher = self.session.library.watcher if self.session else None
        if watcher is not None:
            controls.append(watcher.control)
        for control in controls:
            if paused:
                control.pause()
            else:
                control.resume()
        self.pause_button.setText("Resume" if paused else "Pause")

    def _watcher_indexed(self, report: Any) -> None:
        self.refresh_folders()
        self.features.refresh()
        if report.indexed and (self.search_field.text() or self._image_query is not None):
            self.search_now()
        elif report.indexed:
            self.timeline.refresh()

    def _watcher_state(self, state: str) -> None:
        self.watch_label.setText({"watching": "Watching folders", "indexing": "Updating…"}.get(
            state, "Not watching"))  # fmt: skip

    # -- searching ------------------------------------------------------------------------

    def _text_edited(self, text: str) -> None:
        if text.strip():  # a query is coming: a timeline page still on its way is not it
            self.timeline.stop()
            self._timeline_asked = False
        self._schedule()

    def _schedule(self, *_: object) -> None:
        self.debounce.start()

    def _focus_search(self) -> None:
        self.search_field.setFocus()
        self.search_field.selectAll()

    def clear_search(self) -> None:
        self.search_field.clear()
        self.clear_image_query()

    def clear_image_query(self) -> None:
        self._image_query = None
        self.image_chip.hide()
        self.search_now()

    def search_by_image(self, image: Path | int, label: str) -> None:
        self._image_query = image
        self.image_chip.setText(f"🖼 {label} ✕")
        self.image_chip.show()
        self.search_now()

    def _date(self, edit: QDateEdit, end: bool) -> float | None:
        if edit.date() == edit.minimumDate():
            return None
        from datetime import datetime
        from datetime import time as dtime

        day = cast(date, edit.date().toPython())
        return datetime.combine(day, dtime.max if end else dtime.min).timestamp()

    def current_query(self) -> Query | None:
        text = self.search_field.text().strip()
        base = None
        if text or self._image_query is not None:
            base = self.features.parse_text(text, k=RESULTS)
        query = self.features.shape_query(base)
        if query is None:
            return None
        changes: dict[str, Any] = {
            "image": self._image_query,
            "sort": "date" if self.sort_box.currentIndex() == 1 else "relevance",
            "date_from": self._date(self.date_from, False),
            "date_to": self._date(self.date_to, True),
        }
        if self.cutoff.value() > self.cutoff.minimum():
            changes["min_score"] = self.cutoff.value()
        item = self.folder_list.currentItem()
        if item is not None and item.isSelected():
            changes["folders"] = (int(item.data(Qt.ItemDataRole.UserRole)),)
        from dataclasses import replace

        return replace(query, **changes)

    def search_now(self) -> None:
        self.debounce.stop()
        self._search_serial += 1
        serial = self._search_serial
        call = self.features.search_call(self.current_query())
        session = self.session
        if call is None and session is not None:
            self._timeline_asked = True  # its first page is this search's answer
            self.timeline.start(session.library.catalog)  # no query: the whole library
            return
        if call is None or session is None or session.model is None:
            self.results.set_hits([])
            self.hint.setText("")
            self.search_finished.emit()
            return
        self.timeline.stop()
        run_task(self.pool, *call,
                 done=lambda hits: self._show(serial, hits),
                 failed=lambda exc: self._search_failed(serial, exc))  # fmt: skip

    def _show(self, serial: int, hits: list[Hit]) -> None:
        if serial != self._search_serial:
            return  # a newer search is on its way
        by_date = self.sort_box.currentIndex() == 1
        self.results.set_hits(hits, date_headers(hits) if by_date else None)
        self.features.results_shown(hits)
        self.hint.setText(f"{len(hits):,} photos" if hits else "No photos match")
        if hits:
            self.view.setCurrentIndex(self.results.index(0))
        self.search_finished.emit()

    def _timeline_shown(self) -> None:
        count = self.results.rowCount()
        more = "+" if self.results.more is not None else ""
        self.hint.setText(f"{count:,}{more} photos, newest first" if count else "No photos yet")
        if self._timeline_asked:
            self._timeline_asked = False
            self.search_finished.emit()

    def _library(self):
        return self.session.library if self.session is not None else None

    def _search_failed(self, serial: int, exc: BaseException) -> None:
        if serial != self._search_serial:
            return
        self.results.set_hits([])
        self.hint.setText(str(exc))
        self.search_finished.emit()

    # -- acting on results ----------------------------------------------------------------

    def hit_at(self, row: int) -> Hit:
        return self.results.hits[row]

    def _current_hit(self) -> Hit | None:
        index = self.view.currentIndex()
        return index.data(HitRole) if index.isValid() else None

    def _open_index(self, index) -> None:
        hit = index.data(HitRole)
        if hit is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(hit.file.path)))

    def find_similar(self, hit: Hit) -> None:
        self.search_field.clear()
        self.search_by_image(hit.file.id, hit.file.path.name)

    def preview_current(self) -> None:
        hit = self._current_hit()
        if hit is not None:
            PreviewDialog(hit, self, hits=self.results.hits, index=self.view.currentIndex().row(),
                          options=self.features.preview_options).exec()  # fmt: skip

    def _context_menu(self, pos) -> None:
        index = self.view.indexAt(pos)
        hit = index.data(HitRole) if index.isValid() else None
        if hit is None:
            return
        if not self.view.selectionModel().isSelected(index):
            self.view.setCurrentIndex(index)  # a right-click outside the selection takes it
        menu = QMenu(self)
        menu.addAction("Preview", self.preview_current)
        menu.addAction("Find similar", lambda: self.find_similar(hit))
        self.features.add_menu_actions(menu, hit)
        menu.addSeparator()
        self.actions.add_to_menu(menu)
        menu.addAction("Copy image", lambda: copy_image(hit.file.path))
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

    def closeEvent(self, event) -> None:
        """Stop indexing at the next batch (committed work is kept), then close the library."""
        self._save_settings()
        self.control.cancel()
        self.control.resume()
        self.thumbnails.shutdown()
        self.features.shutdown()
        if self.session is not None:
            watcher = self.session.library.watcher
            if watcher is not None:
                watcher.control.resume()
        self.pool.waitForDone()
        if self.session is not None:
            self.session.close()
            self.session = None
        super().closeEvent(event)


def copy_image(path: Path) -> None:
    image = QImage(str(path))
    if not image.isNull():
        QApplication.clipboard().setImage(image)

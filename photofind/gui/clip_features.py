"""What the window gains from CLIP beyond one query: Things, albums, chips and marks.

One object owns the sidebar panel (`ThingsPanel`), the chips beside the search field
(`ChipBar`), the marks bar under the results (`MarksBar`) and the results' hover buttons
(`MarkDelegate`), and turns them into parts of
the window's `Query`. The window keeps a handful of one-line hooks (see `MainWindow`): where
the widgets go, `shape_query`, `search_call`, `results_shown`, `refresh`, the context menu
and keys. Core work runs in the window's pool; GUI thread only.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QMenu

from photofind.gui.mark_delegate import MarkDelegate
from photofind.gui.marks_bar import MarksBar
from photofind.gui.query_chips import ChipBar
from photofind.gui.things_panel import ThingsPanel, load_things
from photofind.gui.workers import run_task
from photofind.search import Hit, Query
from photofind.search.expression import parse_expression

if TYPE_CHECKING:
    from photofind.gui.main_window import MainWindow

log = logging.getLogger(__name__)

LIKE_KEYS = (Qt.Key.Key_Plus, Qt.Key.Key_Equal)
UNLIKE_KEYS = (Qt.Key.Key_Minus, Qt.Key.Key_Underscore)


class ClipFeatures(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.panel = ThingsPanel()
        self.chips = ChipBar()
        self.marks = MarksBar()
        self.tag: str | None = None  # the label chosen in the sidebar
        self.album: str | None = None  # the album chosen in the sidebar
        self.labels: dict[int, list[str]] = {}  # of the hits on screen, for tooltips
        self.panel.label_chosen.connect(self._label_chosen)
        self.panel.album_chosen.connect(self._album_chosen)
        self.panel.add_label_requested.connect(self.add_label)
        self.panel.hide_label_requested.connect(self.hide_label)
        self.panel.remove_album_requested.connect(self.remove_album)
        self.panel.export_album_requested.connect(self.ask_export_album)
        self.chips.changed.connect(window.search_now)
        self.marks.changed.connect(window.search_now)
        self.marks.save_requested.connect(self.save_album)

    def attach_view(self, view) -> None:
        """Hover buttons and mark badges on the results view's cells."""
        view.setMouseTracking(True)
        mark = lambda hit, like: self.marks.mark(hit.file.id, like)  # noqa: E731
        view.setItemDelegate(MarkDelegate(mark, self.marks.state, view))
        self.marks.changed.connect(view.viewport().update)

    # -- the query ------------------------------------------------------------------------

    def parse_text(self, text: str, **fields: Any) -> Query:
        """Search-box text with the CLI's arithmetic ("dog + 2:beach - sand -people")."""
        return Query(**parse_expression(text.split()).fields(), **fields)  # type: ignore[arg-type]

    def shape_query(self, query: Query | None) -> Query | None:
        """The window's query with chips, marks and the chosen label added (None: nothing)."""
        terms = self.chips.terms()
        like, unlike = tuple(self.marks.like), tuple(self.marks.unlike)
        if query is None:
            if not (terms or like or self.tag):
                return None
            query = Query(k=self.window_results())
        return replace(query, terms=query.terms + terms, like=like, unlike=unlike, tag=self.tag)

    def window_results(self) -> int:
        from photofind.gui.main_window import RESULTS

        return RESULTS

    def search_call(self, query: Query | None):
        """(function, argument) the window runs for a search: an album's photos (a list of
        hits) when one is chosen and nothing else is asked, else `Searcher.find` (a
        SearchResult: the matches, their count and the weaker ones)."""
        session = self.window.session
        if self.album and session is not None and query is None:
            from photofind.search.albums import Albums

            return Albums(session.searcher).photos, self.album
        if query is None or session is None:
            return None
        return session.searcher.find, query

    # -- results --------------------------------------------------------------------------

    def results_shown(self, hits: list[Hit]) -> None:
        """Load the labels of the hits on screen for their tooltips, in a worker."""
        session = self.window.session
        self.labels = {}
        if not hits or session is None or session.tags is None:
            return
        ids = [h.file.id for h in hits]
        run_task(self.window.pool, session.tags.labels_of, ids, done=self._labels_loaded,
                 failed=lambda exc: log.warning("labels of the results: %s", exc))  # fmt: skip

    def _labels_loaded(self, labels: dict[int, list[str]]) -> None:
        self.labels = labels
        self.window.results.labels = labels
        model = self.window.results
        if model.rowCount():
            model.dataChanged.emit(model.index(0), model.index(model.rowCount() - 1),
                                   [Qt.ItemDataRole.ToolTipRole])  # fmt: skip

    def add_menu_actions(self, menu: QMenu, hit: Hit) -> None:
        menu.addAction("More like this  (+)", lambda: self.marks.mark(hit.file.id, True))
        menu.addAction("Not this  (−)", lambda: self.marks.mark(hit.file.id, False))

    def preview_options(self, hit: Hit) -> dict[str, Any]:
        """The preview's tags line and its +/- keys."""
        return {"labels": self.labels.get(hit.file.id, []), "on_key": lambda k: self.key(hit, k)}

    def key(self, hit: Hit | None, key: int) -> bool:
        """+/= marks the current result "more like this", -/_ "not this"; True if used."""
        if hit is None or key not in LIKE_KEYS + UNLIKE_KEYS:
            return False
        self.marks.mark(hit.file.id, key in LIKE_KEYS)
        return True

    # -- sidebar --------------------------------------------------------------------------

    def refresh(self) -> None:
        session = self.window.session
        if session is None or session.model is None:
            return
        self.panel.set_cache_dir(session.paths.thumbnails_dir)
        run_task(self.window.pool, load_things, session, done=self._loaded,
                 failed=lambda exc: log.warning("things: %s", exc))  # fmt: skip

    def _loaded(self, result: tuple[list, list]) -> None:
        self.panel.show_things(*result)
        self.window.things_refreshed.emit()

    def _label_chosen(self, name: str) -> None:
        self.tag, self.album = name or None, None
        self.window.search_now()

    def _album_chosen(self, name: str) -> None:
        self.album, self.tag = name or None, None
        if name:
            self.window.search_field.clear()
        self.window.search_now()

    def _run(self, fn, *args: Any) -> None:
        run_task(self.window.pool, fn, *args, done=lambda _r: self.refresh(),
                 failed=lambda exc: self.window.hint.setText(str(exc)))  # fmt: skip

    def add_label(self, text: str) -> None:
        session = self.window.session
        if session is not None and session.tags is not None:
            self._run(session.tags.add, [text])

    def hide_label(self, name: str) -> None:
        session = self.window.session
        if session is not None and session.tags is not None:
            if self.tag == name:
                self.tag = None
            self._run(session.tags.remove, [name])

    def save_album(self, name: str) -> None:
        from photofind.search.albums import Albums

        session = self.window.session
        query = self.window.current_query()
        if session is None or query is None:
            self.window.hint.setText("nothing to save: search for something first")
            return
        self._run(Albums(session.searcher).add, name, query)

    def remove_album(self, name: str) -> None:
        from photofind.search.albums import Albums

        session = self.window.session
        if session is not None:
            if self.album == name:
                self.album = None
            self._run(Albums(session.searcher).remove, name)

    def ask_export_album(self, name: str) -> None:
        from PySide6.QtWidgets import QFileDialog

        folder = QFileDialog.getExistingDirectory(self.window, f"Export “{name}” to")
        if folder:
            self.export_album(name, Path(folder))

    def export_album(self, name: str, folder: Path) -> None:
        """Links to the album's photos in `folder`, in a worker; the hint says how many."""
        from photofind.search.albums import Albums

        session = self.window.session
        if session is None:
            return
        run_task(self.window.pool, Albums(session.searcher).export, name, folder,
                 done=lambda paths: self._exported(name, folder, paths),
                 failed=lambda exc: self.window.hint.setText(str(exc)))  # fmt: skip

    def _exported(self, name: str, folder: Path, paths: list) -> None:
        self.window.hint.setText(f"“{name}”: {len(paths):,} new links in {folder}")
        self.window.album_exported.emit()

    def shutdown(self) -> None:
        self.panel.shutdown()

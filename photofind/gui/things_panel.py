"""The sidebar's "Things" (zero-shot labels) and "Albums" (saved searches), with counts.

Signals: `label_chosen(str)` and `album_chosen(str)` when the user clicks one (an empty
string when the selection is cleared); `add_label_requested(str)`, `hide_label_requested(str)`,
`export_album_requested(str)` and `remove_album_requested(str)` for the window to carry out
in a worker. GUI thread only: the data comes from `load_things`, run in a worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from photofind.errors import PhotofindError
from photofind.gui.thumbnails import ThumbnailLoader

if TYPE_CHECKING:
    from photofind.session import Session

ICON = 32
NameRole = Qt.ItemDataRole.UserRole
MAX_THINGS = 200  # the sidebar lists the most common; the rest are a search away


@dataclass(frozen=True)
class ThingRow:
    """One sidebar line: a label or an album, its photo count and a sample photo."""

    name: str
    count: int
    sample: tuple[int, Path, int, int] | None = None  # file id, path, size, mtime_ns
    mine: bool = False  # the user's own label / an album taught by examples


def load_things(session: Session) -> tuple[list[ThingRow], list[ThingRow]]:
    """(labels, albums) for the sidebar, reading label cut-offs again first if they are stale.
    Runs in a worker thread."""
    from photofind.search.albums import Albums

    if session.model is None or session.tags is None:
        return [], []
    tags = session.tags
    if tags.stale():
        tags.calibrate()
    every = tags.counts()
    own = [c for c in every if not c.label.builtin]  # always listed, even with no photos
    common = [c for c in every if c.label.builtin and c.count][:MAX_THINGS]
    counts = own + common  # the user's own first, then the most common
    files = session.library.catalog.get_files([c.sample for c in counts if c.sample])
    labels = []
    for c in counts:
        f = files.get(c.sample) if c.sample else None
        sample = (f.id, f.path, f.size, f.mtime_ns) if f else None
        labels.append(ThingRow(c.label.name, c.count, sample, not c.label.builtin))
    albums = []
    finder = Albums(session.searcher)
    for album in finder.albums():
        # After every watcher pass: a count off the index and the best photo, not the
        # album's whole list of hits (one disk check per photo).
        count, _ = finder.count(album)
        try:
            hits = finder.photos(album, k=1) if count else []
        except PhotofindError:  # listed with no photos; clicking it says why
            hits = []
        sample = None
        if hits:
            f = hits[0].file
            sample = (f.id, f.path, f.size, f.mtime_ns)
        albums.append(ThingRow(album.name, count or 0, sample, album.taught))
    return labels, albums


class ThingsPanel(QWidget):
    label_chosen = Signal(str)
    album_chosen = Signal(str)
    add_label_requested = Signal(str)
    hide_label_requested = Signal(str)
    remove_album_requested = Signal(str)
    export_album_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.thumbnails = ThumbnailLoader(threads=1, parent=self)
        self.thumbnails.signals.ready.connect(self._thumbnail)
        self._items: dict[int, list[QListWidgetItem]] = {}
        blank = QPixmap(ICON, ICON)
        blank.fill(Qt.GlobalColor.transparent)
        self._blank = QIcon(blank)  # rows without a photo line up with the others
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        head.addWidget(QLabel("<b>Things</b>"))
        head.addStretch(1)
        self.add_button = QPushButton("+")
        self.add_button.setToolTip("Add a label of your own")
        self.add_button.setMaximumWidth(28)
        self.add_button.clicked.connect(self._ask_label)
        head.addWidget(self.add_button)
        layout.addLayout(head)
        self.things = self._list("Things found in the photos")
        layout.addWidget(self.things, 2)
        layout.addWidget(QLabel("<b>Albums</b>"))
        self.albums = self._list("Smart albums")
        layout.addWidget(self.albums, 1)
        self.things.itemClicked.connect(lambda item: self._chosen(self.things, item))
        self.albums.itemClicked.connect(lambda item: self._chosen(self.albums, item))
        self.things.customContextMenuRequested.connect(self._thing_menu)
        self.albums.customContextMenuRequested.connect(self._album_menu)

    def _list(self, name: str) -> QListWidget:
        widget = QListWidget()
        widget.setAccessibleName(name)
        widget.setIconSize(QPixmap(ICON, ICON).size())
        widget.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        return widget

    def set_cache_dir(self, folder: Path) -> None:
        self.thumbnails.cache_dir = folder

    def show_things(self, labels: list[ThingRow], albums: list[ThingRow]) -> None:
        """Fill both lists, keeping the selection where the same name is still there."""
        if self.thumbnails.closed:
            return  # an answer that arrived after the window closed
        self._items.clear()
        self.thumbnails.forget()
        for widget, rows in ((self.things, labels), (self.albums, albums)):
            current = widget.currentItem()
            keep = current.data(NameRole) if current is not None and current.isSelected() else None
            widget.clear()
            for row in rows:
                mine = "  ★" if row.mine else ""
                item = QListWidgetItem(f"{row.name}{mine}  ({row.count:,})")
                item.setData(NameRole, row.name)
                item.setToolTip(f"{row.name}: {row.count:,} photos")
                item.setIcon(self._blank)
                widget.addItem(item)
                if row.sample is not None:
                    self._items.setdefault(row.sample[0], []).append(item)
                    self.thumbnails.request(*row.sample)
                if row.name == keep:
                    item.setSelected(True)
                    widget.setCurrentItem(item)

    def names(self, widget: QListWidget) -> list[str]:
        return [widget.item(i).data(NameRole) for i in range(widget.count())]

    def clear_choice(self) -> None:
        for widget in (self.things, self.albums):
            widget.clearSelection()

    def _chosen(self, widget: QListWidget, item: QListWidgetItem) -> None:
        other = self.albums if widget is self.things else self.things
        other.clearSelection()
        name = item.data(NameRole) if item.isSelected() else ""
        (self.label_chosen if widget is self.things else self.album_chosen).emit(name)

    def _thumbnail(self, file_id: int, image: QImage) -> None:
        pixmap = QPixmap.fromImage(image).scaled(
            ICON,
            ICON,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
        for item in self._items.get(file_id, []):
            item.setIcon(QIcon(pixmap))

    def _ask_label(self) -> None:
        text, ok = QInputDialog.getText(
            self, "Add a label", 'A thing to find in your photos (or "name=what it looks like"):'
        )
        if ok and text.strip():
            self.add_label_requested.emit(text.strip())

    def _thing_menu(self, pos) -> None:
        item = self.things.itemAt(pos)
        if item is None:
            return
        menu = QMenu(self)
        name = item.data(NameRole)
        menu.addAction(f"Hide “{name}”", lambda: self.hide_label_requested.emit(name))
        menu.exec(self.things.viewport().mapToGlobal(pos))

    def _album_menu(self, pos) -> None:
        item = self.albums.itemAt(pos)
        if item is None:
            return
        menu = QMenu(self)
        name = item.data(NameRole)
        menu.addAction(
            "Export as a folder of links…", lambda: self.export_album_requested.emit(name)
        )
        menu.addAction(f"Remove album “{name}”", lambda: self.remove_album_requested.emit(name))
        menu.exec(self.albums.viewport().mapToGlobal(pos))

    def shutdown(self) -> None:
        """The window is closing: no more thumbnails, and the icons are freed now, on the
        GUI thread (Python's collector, which would free them later, runs in any thread)."""
        self.thumbnails.shutdown()
        self._items.clear()
        self._blank = QIcon()

"""The results grid: a list model over search hits with lazily loaded thumbnails."""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListView

from photofind.gui.thumbnails import SIZE, ThumbnailLoader
from photofind.search import Hit

CELL = 176
HitRole = Qt.ItemDataRole.UserRole + 1
PIXMAP_CACHE = 2000

Index = QModelIndex | QPersistentModelIndex


def _placeholder(size: int) -> QPixmap:
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(128, 128, 128, 40))
    painter = QPainter(pixmap)
    painter.setPen(QColor(128, 128, 128, 120))
    painter.drawRect(0, 0, size - 1, size - 1)
    painter.end()
    return pixmap


class ResultsModel(QAbstractListModel):
    """Hits in display order; thumbnails are asked for only when a cell is painted."""

    def __init__(self, loader: ThumbnailLoader) -> None:
        super().__init__()
        self.hits: list[Hit] = []
        self.labels: dict[int, list[str]] = {}  # zero-shot tags of the hits, for tooltips
        self.loader = loader
        self._row_of: dict[int, int] = {}
        self._pixmaps: OrderedDict[int, QPixmap] = OrderedDict()
        self._broken: set[int] = set()
        self._placeholder = _placeholder(CELL - 16)
        loader.signals.ready.connect(self._ready)
        loader.signals.failed.connect(self._failed)

    def set_hits(self, hits: list[Hit]) -> None:
        self.beginResetModel()
        self.loader.forget()
        self.hits = list(hits)
        self.labels = {}
        self._row_of = {hit.file.id: row for row, hit in enumerate(self.hits)}
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else len(self.hits)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.hits):
            return None
        hit = self.hits[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return hit.file.path.name
        if role == Qt.ItemDataRole.DecorationRole:
            return self._thumbnail(hit)
        if role == Qt.ItemDataRole.ToolTipRole:
            return tooltip(hit, self.labels.get(hit.file.id))
        if role == HitRole:
            return hit
        if role == Qt.ItemDataRole.ForegroundRole and hit.offline:
            return QColor(128, 128, 128)
        return None

    def _thumbnail(self, hit: Hit) -> QPixmap:
        file = hit.file
        pixmap = self._pixmaps.get(file.id)
        if pixmap is not None:
            self._pixmaps.move_to_end(file.id)
            return pixmap
        if file.id not in self._broken and not hit.offline:
            self.loader.request(file.id, file.path, file.size, file.mtime_ns)
        return self._placeholder

    def _ready(self, file_id: int, image: QImage) -> None:
        pixmap = QPixmap.fromImage(image).scaled(
            CELL - 16, CELL - 16, Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )  # fmt: skip
        self._pixmaps[file_id] = pixmap
        while len(self._pixmaps) > PIXMAP_CACHE:
            self._pixmaps.popitem(last=False)
        self._changed(file_id)

    def _failed(self, file_id: int) -> None:
        self._broken.add(file_id)

    def _changed(self, file_id: int) -> None:
        row = self._row_of.get(file_id)
        if row is not None:
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

    def has_thumbnail(self, file_id: int) -> bool:
        return file_id in self._pixmaps


def tooltip(hit: Hit, labels: list[str] | None = None) -> str:
    file = hit.file
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(hit.date))
    lines = [file.path.name, f"score {hit.score:.3f}", when, str(file.path.parent)]
    if file.width and file.height:
        lines.insert(3, f"{file.width} x {file.height}")
    if file.camera:
        lines.append(file.camera)
    if labels:
        lines.append("tags: " + ", ".join(labels[:8]))
    if hit.offline:
        lines.append("(folder offline)")
    return "\n".join(lines)


class ResultsView(QListView):
    """A virtualised icon grid: only visible cells are painted, so 10,000 results scroll."""

    def __init__(self) -> None:
        super().__init__()
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(200)
        self.setIconSize(QSize(CELL - 16, CELL - 16))
        self.setGridSize(QSize(CELL, CELL + 24))
        self.setSpacing(4)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        assert SIZE >= CELL - 16

"""The results model: the hits on screen (a search's, or the timeline's pages), in order.

It holds only hits and, for the timeline or a sort by date, the date header of each; the
thumbnail of a row is asked for the first time its cell is painted and arrives from the
loader's threads (`dataChanged` for that row). `more` (set by the timeline) fetches the next
page when the view nears the end: Qt's canFetchMore/fetchMore, answered asynchronously by
`append_hits`. GUI thread only.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QUrl,
)
from PySide6.QtGui import QColor, QImage, QPixmap

from photofind.gui.thumbnails import ThumbnailLoader
from photofind.search import Hit

HitRole = Qt.ItemDataRole.UserRole + 1
AspectRole = Qt.ItemDataRole.UserRole + 2  # width / height as displayed (EXIF orientation)
HeaderRole = Qt.ItemDataRole.UserRole + 3  # the date header of the row, or None
StateRole = Qt.ItemDataRole.UserRole + 4  # "ok", "pending", "error" (unreadable), "offline"
PIXMAP_CACHE = 3000

Index = QModelIndex | QPersistentModelIndex


class ResultsModel(QAbstractListModel):
    """Hits in display order; thumbnails are asked for only when a cell is painted."""

    def __init__(self, loader: ThumbnailLoader, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.hits: list[Hit] = []
        self.headers: list[str | None] | None = None
        self.labels: dict[int, list[str]] = {}  # zero-shot tags of the hits, for tooltips
        self.loader = loader
        self.more: Callable[[], bool] | None = None  # fetch the next page; False: no more
        self._row_of: dict[int, int] = {}
        self._pixmaps: OrderedDict[int, QPixmap] = OrderedDict()
        self._broken: set[int] = set()
        loader.signals.ready.connect(self._ready)
        loader.signals.failed.connect(self._failed)

    def set_hits(
        self,
        hits: Sequence[Hit],
        headers: Sequence[str | None] | None = None,
        more: Callable[[], bool] | None = None,
    ) -> None:
        """Show `hits` (with a date header per hit, or none); `more` pages the rest in."""
        self.beginResetModel()
        self.loader.forget()
        self.hits = list(hits)
        self.headers = list(headers) if headers is not None else None
        self.more = more
        self.labels = {}
        self._row_of = {hit.file.id: row for row, hit in enumerate(self.hits)}
        self.endResetModel()

    def append_hits(self, hits: Sequence[Hit], headers: Sequence[str | None] | None) -> None:
        """The next page of the timeline (rows inserted at the end)."""
        hits = [h for h in hits if h.file.id not in self._row_of]
        if not hits:
            return
        start = len(self.hits)
        self.beginInsertRows(QModelIndex(), start, start + len(hits) - 1)
        self.hits.extend(hits)
        if self.headers is not None:
            self.headers.extend(headers or [None] * len(hits))
        for row, hit in enumerate(hits, start):
            self._row_of[hit.file.id] = row
        self.endInsertRows()

    def remove_ids(self, ids: set[int]) -> None:
        """Drop rows (photos trashed from the window); keeps the others' thumbnails."""
        keep = [r for r, h in enumerate(self.hits) if h.file.id not in ids]
        if len(keep) == len(self.hits):
            return
        self.beginResetModel()
        self.hits = [self.hits[r] for r in keep]
        if self.headers is not None:
            self.headers = [self.headers[r] for r in keep]
        self._row_of = {hit.file.id: row for row, hit in enumerate(self.hits)}
        self.endResetModel()

    def layout_column(self, first: int, last: int) -> tuple[list[float], list | None]:
        """(aspect ratio, header) of rows first..last-1, for the grid's layout pass."""
        aspects = [aspect(h) for h in self.hits[first:last]]
        return aspects, (self.headers[first:last] if self.headers is not None else None)

    # -- Qt's model interface -------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else len(self.hits)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self.more is not None

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if self.more is not None and not self.more():
            self.more = None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsDragEnabled if index.isValid() else base

    def mimeTypes(self) -> list[str]:
        return ["text/uri-list"]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        """The selected photos as files, for dragging them into other apps."""
        mime = QMimeData()
        rows = sorted({i.row() for i in indexes if i.isValid()})
        paths = [self.hits[r].file.path for r in rows if r < len(self.hits)]
        mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
        mime.setText("\n".join(str(p) for p in paths))
        return mime

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.hits):
            return None
        hit = self.hits[index.row()]
        if role == HitRole:
            return hit
        if role == Qt.ItemDataRole.DecorationRole:
            return self._thumbnail(hit)
        if role == AspectRole:
            return aspect(hit)
        if role == HeaderRole:
            return self.headers[index.row()] if self.headers is not None else None
        if role == StateRole:
            return self.state(hit)
        if role == Qt.ItemDataRole.DisplayRole:
            return hit.file.path.name
        if role == Qt.ItemDataRole.ToolTipRole:
            return tooltip(hit, self.labels.get(hit.file.id))
        if role == Qt.ItemDataRole.ForegroundRole and hit.offline:
            return QColor(128, 128, 128)
        return None

    def state(self, hit: Hit) -> str:
        if hit.offline:
            return "offline"
        if hit.file.status == "error" or hit.file.id in self._broken:
            return "error"
        return "pending" if hit.file.status == "pending" else "ok"

    # -- thumbnails -----------------------------------------------------------------------

    def _thumbnail(self, hit: Hit) -> QPixmap | None:
        file = hit.file
        pixmap = self._pixmaps.get(file.id)
        if pixmap is not None:
            self._pixmaps.move_to_end(file.id)
            return pixmap
        if file.id not in self._broken and file.status != "error":
            # An offline folder's photo shows its cached thumbnail, if one was made.
            self.loader.request(file.id, file.path, file.size, file.mtime_ns, hit.offline)
        return None

    def _ready(self, file_id: int, image: QImage) -> None:
        if file_id not in self._row_of or self.loader.closed:
            return  # not on screen any more, or it arrived after the window closed
        self._pixmaps[file_id] = QPixmap.fromImage(image)
        while len(self._pixmaps) > PIXMAP_CACHE:
            self._pixmaps.popitem(last=False)
        self._changed(file_id)

    def _failed(self, file_id: int) -> None:
        self._broken.add(file_id)
        self._changed(file_id)

    def _changed(self, file_id: int) -> None:
        row = self._row_of.get(file_id)
        if row is not None:
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

    def has_thumbnail(self, file_id: int) -> bool:
        return file_id in self._pixmaps

    def release(self) -> None:
        """The window is closing: free the thumbnails now, on the GUI thread (a QPixmap
        must not be destroyed elsewhere, and Python's collector may run in any thread)."""
        self._pixmaps.clear()


def aspect(hit: Hit) -> float:
    """Width / height as displayed (the catalog stores them with EXIF orientation applied);
    1 until the photo is indexed."""
    file = hit.file
    return file.width / file.height if file.width and file.height else 1.0


def describe(hit: Hit) -> list[str]:
    """The facts of a photo, one per line: name, date, size, camera, folder, score."""
    file = hit.file
    lines = [file.path.name, time.strftime("%Y-%m-%d %H:%M", time.localtime(hit.date))]
    size = f"{file.size / 1e6:.1f} MB"
    lines.append(f"{file.width} × {file.height} · {size}" if file.width and file.height else size)
    if file.camera:
        lines.append(file.camera)
    lines.append(str(file.path.parent))
    if not math.isnan(hit.score):
        lines.append(f"score {hit.score:.3f}")
    return lines


def tooltip(hit: Hit, labels: list[str] | None = None) -> str:
    lines = describe(hit)
    if labels:
        lines.append("tags: " + ", ".join(labels[:8]))
    if hit.offline:
        lines.append("(folder offline)")
    elif hit.file.status == "error":
        lines.append(f"cannot be read: {hit.file.error or 'unknown error'}")
    return "\n".join(lines)

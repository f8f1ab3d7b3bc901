"""The photo grid: whole photos in justified rows under date headers, for 100,000 photos.

A `QAbstractItemView` with its own layout (`JustifiedLayout`): Qt's selection model gives
Ctrl/Shift-click, Ctrl+A and keyboard moves; the view adds a rubber band, drags the selected
photos out as files (the model's `mimeData`), and asks the model for the next timeline page
when the viewport nears the end. Only the rows in view are painted, and a page that arrives
is laid out on its own (`append`), so scrolling and paging stay within a frame. GUI thread.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
)
from PySide6.QtGui import QFont, QPainter, QPalette, QRegion
from PySide6.QtWidgets import QAbstractItemView, QRubberBand, QStyle, QStyleOptionViewItem

from photofind.gui.grid.delegate import PhotoDelegate
from photofind.gui.grid.layout import JustifiedLayout
from photofind.gui.results import AspectRole, HeaderRole

MARGIN = 8
ROW_HEIGHT = 180
FETCH_AHEAD = 2  # viewports of layout left below the view before the next page is asked for

_Action = QAbstractItemView.CursorAction


class PhotoGrid(QAbstractItemView):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.grid = JustifiedLayout(row_height=ROW_HEIGHT, spacing=4)
        self.setItemDelegate(PhotoDelegate(self))
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.setDragEnabled(True)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.setMouseTracking(True)
        self._band = QRubberBand(QRubberBand.Shape.Rectangle, self.viewport())
        self._band_origin: QPoint | None = None  # content coordinates
        self._laid_width = 0
        self._anchor: QPersistentModelIndex | None = None  # where a Shift-click range starts

    # -- layout ---------------------------------------------------------------------------

    def setModel(self, model) -> None:
        old = self.model()
        if old is not None:
            for signal, slot in self._connections(old):
                signal.disconnect(slot)
        super().setModel(model)
        for signal, slot in self._connections(model):
            signal.connect(slot)
        self._relayout()

    def _connections(self, model):
        return [
            (model.modelReset, self._relayout),
            (model.layoutChanged, self._relayout),
            (model.rowsInserted, self._rows_inserted),
            (model.rowsRemoved, self._relayout),
        ]

    def _content_width(self) -> int:
        return max(100, self.viewport().width() - 2 * MARGIN)

    def _column(self, first: int, last: int):
        model = self.model()
        if hasattr(model, "layout_column"):  # ResultsModel: plain lists, no Qt call per row
            return model.layout_column(first, last)
        aspects = [model.data(model.index(r, 0), AspectRole) or 1.0 for r in range(first, last)]
        labels = [model.data(model.index(r, 0), HeaderRole) for r in range(first, last)]
        return aspects, (labels if any(label is not None for label in labels) else None)

    def _relayout(self) -> None:
        model = self.model()
        self.grid.width = self._laid_width = self._content_width()
        if model is None:
            self.grid.set_items([], None)
        else:
            self.grid.set_items(*self._column(0, model.rowCount()))
        self._after_layout()
        self._maybe_fetch()

    def _rows_inserted(self, parent: QModelIndex, first: int, last: int) -> None:
        if first != len(self.grid):  # not an append: lay everything out again
            self._relayout()
            return
        self.grid.append(*self._column(first, last + 1))
        self._after_layout()
        self._maybe_fetch()  # a page that still leaves the view short asks for the next

    def _after_layout(self) -> None:
        self.updateGeometries()
        self.viewport().update()

    def updateGeometries(self) -> None:
        bar = self.verticalScrollBar()
        page = self.viewport().height()
        bar.setRange(0, max(0, self.grid.height + 2 * MARGIN - page))
        bar.setPageStep(page)
        bar.setSingleStep(max(20, ROW_HEIGHT // 3))
        super().updateGeometries()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._content_width() != self._laid_width:
            current = self.currentIndex()
            self.grid.width = self._laid_width = self._content_width()
            self.grid.relayout(self._laid_width)
            self._after_layout()
            if current.isValid():
                self.scrollTo(current)
        else:
            self.updateGeometries()
        self._maybe_fetch()

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        self.viewport().scroll(dx, dy)
        self._maybe_fetch()

    def _maybe_fetch(self) -> None:
        """Ask for the next page while less than FETCH_AHEAD viewports are left below."""
        model = self.model()
        if model is None or not model.canFetchMore(QModelIndex()):
            return
        left = self.grid.height - (self.verticalOffset() + self.viewport().height())
        if left < FETCH_AHEAD * self.viewport().height():
            model.fetchMore(QModelIndex())

    # -- geometry Qt asks for -------------------------------------------------------------

    def _content_rect(self, row: int) -> QRect:
        x, y, w, h = self.grid.rects[row]
        return QRect(x + MARGIN, y + MARGIN, w, h)

    def visualRect(self, index: QModelIndex | QPersistentModelIndex) -> QRect:
        if not index.isValid() or index.row() >= len(self.grid):
            return QRect()
        return self._content_rect(index.row()).translated(0, -self.verticalOffset())

    def indexAt(self, point: QPoint) -> QModelIndex:
        model = self.model()
        if model is None:
            return QModelIndex()
        row = self.grid.item_at(point.x() - MARGIN, point.y() + self.verticalOffset() - MARGIN)
        return model.index(row, 0) if row is not None else QModelIndex()

    def scrollTo(
        self,
        index: QModelIndex | QPersistentModelIndex,
        hint: QAbstractItemView.ScrollHint = QAbstractItemView.ScrollHint.EnsureVisible,
    ) -> None:
        if not index.isValid() or index.row() >= len(self.grid):
            return
        rect = self._content_rect(index.row())
        bar = self.verticalScrollBar()
        top, page = bar.value(), self.viewport().height()
        if hint == QAbstractItemView.ScrollHint.PositionAtTop:
            bar.setValue(rect.top() - MARGIN)
        elif hint == QAbstractItemView.ScrollHint.PositionAtCenter:
            bar.setValue(rect.center().y() - page // 2)
        elif rect.top() < top:
            header = next((h for h in self.grid.headers if h.first == index.row()), None)
            bar.setValue((header.y + MARGIN if header else rect.top()) - MARGIN)
        elif rect.bottom() > top + page:
            bar.setValue(rect.bottom() - page + MARGIN)

    def horizontalOffset(self) -> int:
        return 0

    def verticalOffset(self) -> int:
        return self.verticalScrollBar().value()

    def isIndexHidden(self, index: QModelIndex | QPersistentModelIndex) -> bool:
        return False

    def moveCursor(self, action, modifiers) -> QModelIndex:
        model = self.model()
        count = len(self.grid)
        if model is None or count == 0:
            return QModelIndex()
        current = self.currentIndex()
        row = current.row() if current.isValid() else -1
        if row < 0:
            return model.index(0, 0)
        if action in (_Action.MoveLeft, _Action.MovePrevious):
            row -= 1
        elif action in (_Action.MoveRight, _Action.MoveNext):
            row += 1
        elif action in (_Action.MoveUp, _Action.MoveDown):
            row = self._row_above_below(row, -1 if action == _Action.MoveUp else 1)
        elif action in (_Action.MovePageUp, _Action.MovePageDown):
            x, y, w, _h = self.grid.rects[row]
            step = self.viewport().height() * (-1 if action == _Action.MovePageUp else 1)
            target = self.grid.items_in(y + step, y + step + 1)
            row = self._nearest(target, x + w // 2) if len(target) else (
                0 if step < 0 else count - 1)  # fmt: skip
        elif action == _Action.MoveHome:
            row = 0
        elif action == _Action.MoveEnd:
            row = count - 1
        return model.index(max(0, min(count - 1, row)), 0)

    def _row_above_below(self, item: int, direction: int) -> int:
        rows = self.grid.row_starts
        r = self.grid.row_of(item) + direction
        if r < 0 or r >= len(rows):
            return item
        end = rows[r + 1] if r + 1 < len(rows) else len(self.grid)
        x, _, w, _ = self.grid.rects[item]
        return self._nearest(range(rows[r], end), x + w // 2)

    def _nearest(self, items: range, centre: int) -> int:
        return min(items, key=lambda i: abs(self.grid.rects[i][0] + self.grid.rects[i][2] // 2
                                            - centre))  # fmt: skip

    def setSelection(self, rect: QRect, flags) -> None:
        model = self.model()
        if model is None:
            return
        box = rect.normalized().translated(-MARGIN, self.verticalOffset() - MARGIN)
        selection = QItemSelection()
        run: list[int] = []
        for row in self.grid.items_in(box.top(), box.bottom() + 1):
            x, y, w, h = self.grid.rects[row]
            if QRect(x, y, w, h).intersects(box):
                if run and row != run[-1] + 1:
                    selection.select(model.index(run[0], 0), model.index(run[-1], 0))
                    run = []
                run.append(row)
        if run:
            selection.select(model.index(run[0], 0), model.index(run[-1], 0))
        self.selectionModel().select(selection, flags)

    def visualRegionForSelection(self, selection: QItemSelection) -> QRegion:
        region = QRegion()
        top, bottom = self.verticalOffset(), self.verticalOffset() + self.viewport().height()
        visible = self.grid.items_in(top - MARGIN, bottom)
        for span in selection:  # type: ignore[attr-defined]  # a QList at run time
            for row in range(max(span.top(), visible.start), min(span.bottom() + 1, visible.stop)):
                region += self.visualRect(self.model().index(row, 0))
        return region

    # -- painting -------------------------------------------------------------------------

    def paintEvent(self, event) -> None:
        model = self.model()
        if model is None:
            return
        painter = QPainter(self.viewport())
        offset = self.verticalOffset()
        area = event.rect()
        top, bottom = area.top() + offset - MARGIN, area.bottom() + offset - MARGIN + 1
        self._paint_headers(painter, top, bottom, offset)
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)
        selection = self.selectionModel()
        current = self.currentIndex()
        hover = self.indexAt(self.viewport().mapFromGlobal(self.cursor().pos()))
        delegate = self.itemDelegate()
        for row in self.grid.items_in(top, bottom):
            index = model.index(row, 0)
            option.rect = self._content_rect(row).translated(0, -offset)
            if not option.rect.intersects(area):
                continue
            state = QStyle.StateFlag.State_Enabled
            if selection is not None and selection.isSelected(index):
                state |= QStyle.StateFlag.State_Selected
            if index == current and self.hasFocus():
                state |= QStyle.StateFlag.State_HasFocus
            if index == hover and self.underMouse():
                state |= QStyle.StateFlag.State_MouseOver
            option.state = state
            delegate.paint(painter, option, index)
        painter.end()

    def _paint_headers(self, painter: QPainter, top: int, bottom: int, offset: int) -> None:
        font = QFont(self.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.1)
        painter.setFont(font)
        painter.setPen(self.palette().color(QPalette.ColorRole.Text))
        for header in self.grid.headers_in(top, bottom):
            box = QRect(MARGIN, header.y + MARGIN - offset, self._laid_width, header.height)
            painter.drawText(box, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             header.label)  # fmt: skip
        painter.setFont(self.font())

    def dataChanged(self, top_left, bottom_right, roles=()) -> None:
        if top_left == bottom_right and top_left.row() < len(self.grid):
            self.viewport().update(self.visualRect(top_left))  # a thumbnail arrived
        else:
            self.viewport().update()

    # -- rubber band ----------------------------------------------------------------------

    def mousePressEvent(self, event) -> None:
        pos = event.position().toPoint()
        index = self.indexAt(pos)
        modifiers = event.modifiers()
        if (event.button() == Qt.MouseButton.LeftButton and index.isValid()
                and modifiers & Qt.KeyboardModifier.ShiftModifier and self._anchor is not None
                and self._anchor.isValid()):  # fmt: skip
            # Shift-click takes the photos between, in grid order (as photo apps do), not
            # the rectangle Qt's icon views take.
            first, last = sorted((self._anchor.row(), index.row()))
            model = self.model()
            span = QItemSelection(model.index(first, 0), model.index(last, 0))
            flag = QItemSelectionModel.SelectionFlag
            keep = modifiers & Qt.KeyboardModifier.ControlModifier
            self.selectionModel().select(span, flag.Select if keep else flag.ClearAndSelect)
            self.selectionModel().setCurrentIndex(index, flag.NoUpdate)
            return
        if index.isValid():
            self._anchor = QPersistentModelIndex(index)
        super().mousePressEvent(event)
        if event.button() == Qt.MouseButton.LeftButton and not self.indexAt(pos).isValid():
            self._band_origin = pos + QPoint(0, self.verticalOffset())
            self._band.setGeometry(QRect(pos, QSize()))
            self._band.show()

    def mouseMoveEvent(self, event) -> None:
        if self._band_origin is not None:
            pos = event.position().toPoint()
            origin = self._band_origin - QPoint(0, self.verticalOffset())
            self._band.setGeometry(QRect(origin, pos).normalized())
            command = QItemSelectionModel.SelectionFlag.ClearAndSelect
            if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
                command = QItemSelectionModel.SelectionFlag.Select
            self.setSelection(QRect(origin, pos), command)
            return
        super().mouseMoveEvent(event)
        self.viewport().update()  # hover buttons follow the mouse

    def mouseReleaseEvent(self, event) -> None:
        if self._band_origin is not None:
            self._band_origin = None
            self._band.hide()
        super().mouseReleaseEvent(event)

    def leaveEvent(self, event) -> None:
        super().leaveEvent(event)
        self.viewport().update()

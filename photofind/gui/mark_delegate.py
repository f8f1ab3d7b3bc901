"""Hover buttons on result cells: "+" (more like this) and "−" (not this), and the marks.

A `PhotoDelegate` that paints the photo tile, then two small round buttons in its top
corners while the mouse is over it, and a badge on cells already marked. A click on a
button calls `on_mark(hit, like)`; every other click goes to the view as before. GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from PySide6.QtCore import QEvent, QRect, Qt
from PySide6.QtGui import QColor, QMouseEvent, QPainter
from PySide6.QtWidgets import QStyle, QStyleOptionViewItem

from photofind.gui.grid.delegate import PhotoDelegate
from photofind.gui.results import HitRole
from photofind.search import Hit

BUTTON = 22
MARGIN = 6
LIKE_COLOUR = QColor(40, 150, 60)
UNLIKE_COLOUR = QColor(190, 50, 50)


class MarkDelegate(PhotoDelegate):
    def __init__(
        self,
        on_mark: Callable[[Hit, bool], None],
        state: Callable[[int], str | None],
        parent=None,
    ) -> None:
        """`state(file_id)` says "like", "unlike" or None, for the badges."""
        super().__init__(parent)
        self.on_mark = on_mark
        self.state = state

    @staticmethod
    def buttons(cell: QRect) -> tuple[QRect, QRect]:
        """(the "+" button, the "−" button) of a cell."""
        top = cell.top() + MARGIN
        like = QRect(cell.left() + MARGIN, top, BUTTON, BUTTON)
        unlike = QRect(cell.right() - MARGIN - BUTTON, top, BUTTON, BUTTON)
        return like, unlike

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        super().paint(painter, option, index)
        hit = index.data(HitRole)
        if hit is None:
            return
        like, unlike = self.buttons(option.rect)
        marked = self.state(hit.file.id)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if hovered or marked == "like":
            self._button(painter, like, "+", LIKE_COLOUR, marked == "like")
        if hovered or marked == "unlike":
            self._button(painter, unlike, "−", UNLIKE_COLOUR, marked == "unlike")
        painter.restore()

    @staticmethod
    def _button(painter: QPainter, rect: QRect, text: str, colour: QColor, on: bool) -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        fill = QColor(colour) if on else QColor(255, 255, 255, 210)
        painter.setBrush(fill)
        painter.drawEllipse(rect)
        painter.setPen(QColor(255, 255, 255) if on else colour)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)

    def editorEvent(self, event: QEvent, model, option: QStyleOptionViewItem, index) -> bool:
        if event.type() == QEvent.Type.MouseButtonRelease:
            hit = index.data(HitRole)
            like, unlike = self.buttons(option.rect)
            pos = cast(QMouseEvent, event).position().toPoint()
            if hit is not None and (like.contains(pos) or unlike.contains(pos)):
                self.on_mark(hit, like.contains(pos))
                return True
        return super().editorEvent(event, model, option, index)

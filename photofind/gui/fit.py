"""Which visible labels and buttons are too small for their text (clipped), in a widget tree.

Used by the tests and the screenshot script to prove "no clipped text at any window size":
a one-line label or button must be as wide as its size hint; a word-wrapped label as tall as
its text needs at its width. GUI thread only.
"""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget

SLACK = 1  # pixels of rounding


def clipped(root: QWidget) -> list[str]:
    """One line per clipped widget: its class, text and size against what it needs."""
    found = []
    for widget in root.findChildren(QWidget):
        if not widget.isVisibleTo(root) or not isinstance(widget, QLabel | QAbstractButton):
            continue
        text = widget.text()
        if not text:
            continue
        size, hint = widget.size(), widget.sizeHint()
        if isinstance(widget, QLabel) and widget.wordWrap():
            need = widget.heightForWidth(size.width())
            if size.height() + SLACK < need:
                found.append(
                    f"{type(widget).__name__} {text[:40]!r}: {size.height()} < {need} high"
                )
            continue
        need_w = hint.width()
        if isinstance(widget, QAbstractButton):  # styles pad buttons to a minimum width
            need_w = widget.fontMetrics().horizontalAdvance(text.replace("&", "")) + 6
            if not widget.icon().isNull():
                need_w += widget.iconSize().width() + 4
        if size.width() + SLACK < need_w or size.height() + SLACK < min(hint.height(), 16):
            found.append(f"{type(widget).__name__} {text[:40]!r}: {size.width()}x{size.height()}"
                         f" < {need_w}x{hint.height()}")  # fmt: skip
    return found

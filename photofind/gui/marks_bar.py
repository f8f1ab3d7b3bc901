"""The user's "more like this" / "not this" marks on results, and saving a search as an album.

Holds the marked file ids (the search reads them into `Query.like` / `Query.unlike`) and
shows how many there are with buttons to clear them and to save the current search as a
smart album. Signals: `changed` when the marks change, `save_requested(str)` with the album
name the user typed. GUI thread only.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QInputDialog, QLabel, QPushButton, QWidget


class MarksBar(QWidget):
    changed = Signal()
    save_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.like: list[int] = []
        self.unlike: list[int] = []
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.summary = QLabel()
        self.summary.setWordWrap(True)  # a narrow window wraps the hint instead of widening
        layout.addWidget(self.summary, 1)
        self.clear_button = QPushButton("Clear marks")
        self.clear_button.clicked.connect(self.clear)
        layout.addWidget(self.clear_button)
        self.save_button = QPushButton("Save as album…")
        self.save_button.setToolTip("Keep this search as a smart album that fills itself")
        self.save_button.clicked.connect(self._ask_name)
        layout.addWidget(self.save_button)
        self._update()

    def mark(self, file_id: int, like: bool) -> None:
        """Mark a photo (marking it the other way moves it; the same way again unmarks it)."""
        mine, other = (self.like, self.unlike) if like else (self.unlike, self.like)
        if file_id in other:
            other.remove(file_id)
        if file_id in mine:
            mine.remove(file_id)
        else:
            mine.append(file_id)
        self._update()
        self.changed.emit()

    def clear(self) -> None:
        if self.like or self.unlike:
            self.like, self.unlike = [], []
            self._update()
            self.changed.emit()

    def state(self, file_id: int) -> str | None:
        """ "like", "unlike" or None: for the results' tooltips."""
        return "like" if file_id in self.like else "unlike" if file_id in self.unlike else None

    def _update(self) -> None:
        marked = bool(self.like or self.unlike)
        self.summary.setText(
            f"More like {len(self.like)} · not like {len(self.unlike)}"
            if marked
            else "Mark results with + (more like this) or − (not this)"
        )
        self.clear_button.setVisible(marked)

    def _ask_name(self) -> None:
        name, ok = QInputDialog.getText(self, "Save as album", "Album name:")
        if ok and name.strip():
            self.save_requested.emit(name.strip())

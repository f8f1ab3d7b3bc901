"""The search bar: the text field, the image being searched by, sort, score and date limits.

Typing is debounced with a single-shot timer (qutebrowser's throttle): `search_requested`
fires once typing pauses, or at once on Enter or when a limit changes. GUI thread only.
Signals: `search_requested()`.
"""

from __future__ import annotations

from datetime import date, datetime
from datetime import time as dtime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDoubleSpinBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QWidget,
)

DEBOUNCE_MS = 250


class SearchBar(QWidget):
    search_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.image_query: Path | int | None = None  # a photo to find more like (file or id)
        self._bar = bar = QHBoxLayout(self)
        bar.setContentsMargins(0, 0, 0, 0)
        self.field = QLineEdit()
        self.field.setPlaceholderText("Describe a photo: kids on a beach at sunset -people")
        self.field.setClearButtonEnabled(True)
        self.field.setMinimumWidth(260)
        self.field.setAcceptDrops(False)  # drops go to the window
        self.field.textEdited.connect(self.schedule)
        self.field.returnPressed.connect(self.search_requested)
        bar.addWidget(self.field, 1)
        self.image_chip = QPushButton()
        self.image_chip.setToolTip("Searching by this image; click to drop it")
        self.image_chip.clicked.connect(self.clear_image)
        self.image_chip.hide()
        bar.addWidget(self.image_chip)
        self.sort_box = QComboBox()
        self.sort_box.addItems(["Best match", "Newest first"])
        self.sort_box.currentIndexChanged.connect(self.search_requested)
        bar.addWidget(self.sort_box)
        self.cutoff = QDoubleSpinBox()
        self.cutoff.setRange(-1.0, 1.0)
        self.cutoff.setSingleStep(0.01)
        self.cutoff.setValue(-1.0)
        self.cutoff.setSpecialValueText("any score")
        self.cutoff.setToolTip("Hide results scoring below this")
        self.cutoff.valueChanged.connect(self.schedule)
        bar.addWidget(self.cutoff)
        self.date_from = self._date_edit("from any date")
        self.date_to = self._date_edit("to any date")
        bar.addWidget(self.date_from)
        bar.addWidget(self.date_to)
        self.debounce = QTimer(self)
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(DEBOUNCE_MS)
        self.debounce.timeout.connect(self.search_requested)

    def _date_edit(self, special: str) -> QDateEdit:
        edit = QDateEdit()
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        edit.setMinimumDate(QDate(1900, 1, 1))
        edit.setSpecialValueText(special)
        edit.setDate(edit.minimumDate())
        edit.dateChanged.connect(self.schedule)
        return edit

    def add_beside_field(self, widget: QWidget) -> None:
        """A widget right after the text field (the query chips)."""
        self._bar.insertWidget(1, widget)

    def schedule(self, *_: object) -> None:
        self.debounce.start()

    def text(self) -> str:
        return self.field.text().strip()

    def focus(self) -> None:
        self.field.setFocus(Qt.FocusReason.OtherFocusReason)

    def focus_and_select(self) -> None:
        self.field.setFocus()
        self.field.selectAll()

    def has_query(self) -> bool:
        return bool(self.text()) or self.image_query is not None

    def set_image(self, image: Path | int, label: str) -> None:
        self.image_query = image
        self.image_chip.setText(f"🖼 {label} ✕")
        self.image_chip.show()
        self.search_requested.emit()

    def clear_image(self) -> None:
        self.image_query = None
        self.image_chip.hide()
        self.search_requested.emit()

    def clear(self) -> None:
        """Esc: the text and the image go; one search for the emptied bar."""
        self.field.clear()
        self.clear_image()

    def query_changes(self) -> dict[str, Any]:
        """The bar's part of a `Query`: image, sort, dates and the score floor."""
        changes: dict[str, Any] = {
            "image": self.image_query,
            "sort": "date" if self.sort_box.currentIndex() == 1 else "relevance",
            "date_from": _timestamp(self.date_from, end=False),
            "date_to": _timestamp(self.date_to, end=True),
        }
        if self.cutoff.value() > self.cutoff.minimum():
            changes["min_score"] = self.cutoff.value()
        return changes


def _timestamp(edit: QDateEdit, end: bool) -> float | None:
    if edit.date() == edit.minimumDate():
        return None
    day = date(edit.date().year(), edit.date().month(), edit.date().day())
    return datetime.combine(day, dtime.max if end else dtime.min).timestamp()

"""The search bar: the text field, the photo being searched by, the order, and the filters.

Typing is debounced with a single-shot timer (qutebrowser's throttle): `search_requested`
fires once typing pauses, or at once on Enter or when a limit changes. GUI thread only.
Signals: `search_requested()`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from photofind.gui.filter_bar import FilterBar

# Typing stops, the timer fires, the search runs: first results land under 150 ms (the
# tiny model's query takes a few ms; a real CLIP text encoder 10-30 ms on a laptop CPU).
DEBOUNCE_MS = 90
# Where a search's matches end, in words (photofind/search/cut.py); "all" ranks every photo,
# as the CLI's --all does.
STRICTNESS_CHOICES = (("Fewer results", "fewer"), ("Usual results", "normal"),
                      ("More results", "more"), ("Every photo, best first", "all"))  # fmt: skip
CHIP_ICON = 24


class SearchBar(QWidget):
    search_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.image_query: Path | int | None = None  # a photo to find more like (file or id)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        self._bar = bar = QHBoxLayout()
        column.addLayout(bar)
        self.field = QLineEdit()
        self.field.setPlaceholderText("Describe a photo: kids on a beach at sunset -people")
        self.field.setClearButtonEnabled(True)
        self.field.setMinimumWidth(160)
        self.field.setAcceptDrops(False)  # drops go to the window
        self.field.setAccessibleName("Search")
        self.field.textEdited.connect(self.schedule)
        self.field.returnPressed.connect(self.search_requested)
        bar.addWidget(self.field, 1)
        self.image_chip = QToolButton()
        self.image_chip.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.image_chip.setIconSize(QSize(CHIP_ICON, CHIP_ICON))
        self.image_chip.setToolTip("Photos like this one; click to drop it")
        self.image_chip.setAccessibleName("Similar to")
        self.image_chip.clicked.connect(self.clear_image)
        self.image_chip.hide()
        bar.addWidget(self.image_chip)
        self.sort_box = QComboBox()
        self.sort_box.addItems(["Best match", "Newest first"])
        self.sort_box.setAccessibleName("Order")
        self.sort_box.currentIndexChanged.connect(self.search_requested)
        bar.addWidget(self.sort_box)
        self.strictness = QComboBox()  # the cut in a person's words, never a raw score
        for label, value in STRICTNESS_CHOICES:
            self.strictness.addItem(label, value)
        self.strictness.setCurrentIndex(1)
        self.strictness.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.strictness.setMinimumContentsLength(13)  # "Usual results"; the list shows all
        self.strictness.setAccessibleName("How many results")
        self.strictness.setToolTip("Where the matches end: only the closest, or more of the "
                                   "photos that are a bit like it")  # fmt: skip
        self.strictness.currentIndexChanged.connect(self.search_requested)
        bar.addWidget(self.strictness)
        self.filters = FilterBar()
        self.filters.changed.connect(self.search_requested)
        column.addWidget(self.filters)
        self.debounce = QTimer(self)
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(DEBOUNCE_MS)
        self.debounce.timeout.connect(self.search_requested)

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

    def set_image(self, image: Path | int, label: str, picture: Path | None = None) -> None:
        """Search for photos like `image` (with the typed text, if any); the chip shows the
        photo (`picture`: its file, for the thumbnail) and its name."""
        self.image_query = image
        self.image_chip.setText(f"Like {label}  ×")
        source = picture if picture is not None else image if isinstance(image, Path) else None
        icon = QPixmap(str(source)) if source is not None else QPixmap()
        if not icon.isNull():
            icon = icon.scaled(CHIP_ICON * 2, CHIP_ICON * 2, Qt.AspectRatioMode.KeepAspectRatio,
                               Qt.TransformationMode.SmoothTransformation)  # fmt: skip
        self.image_chip.setIcon(QIcon(icon))
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

    def rank_everything(self) -> None:
        """No cut: every photo, best first."""
        self.strictness.setCurrentIndex(self.strictness.findData("all"))

    def query_changes(self) -> dict[str, Any]:
        """The bar's part of a `Query` besides the filters: the image and the order."""
        return {
            "image": self.image_query,
            "sort": "date" if self.sort_box.currentIndex() == 1 else "relevance",
            "cut": None
            if self.strictness.currentData() == "all"
            else self.strictness.currentData(),
        }

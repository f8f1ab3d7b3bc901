"""Chips beside the search field: weighted images and words added to or taken from a query.

Each chip is one `Term`: a sign (+/-), a weight and an image or a text. Photos dropped on
the bar become + chips (- with Shift held); a chip's sign button flips it, its spin box sets
the weight, × removes it. Signal: `changed` whenever the terms change. GUI thread only.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QDoubleSpinBox, QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

from photofind.clip.formats import IMAGE_SUFFIXES
from photofind.search import Term


class Chip(QFrame):
    """One term; `term()` reads its current sign and weight."""

    changed = Signal()
    removed = Signal(object)  # the chip

    def __init__(self, term: Term, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._term = term
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 2, 0)
        layout.setSpacing(2)
        self.sign = QToolButton()
        self.sign.setCheckable(True)
        self.sign.setChecked(term.weight < 0)
        self.sign.setToolTip("Add (+) or take away (−) what this shows")
        self.sign.toggled.connect(self._sign_toggled)
        layout.addWidget(self.sign)
        kind = "🖼" if term.image is not None else "“"
        self.label = QLabel(f"{kind} {label}")
        self.label.setToolTip(str(term.image if term.image is not None else term.text))
        layout.addWidget(self.label)
        self.weight = QDoubleSpinBox()
        self.weight.setRange(0.1, 10.0)
        self.weight.setSingleStep(0.1)
        self.weight.setDecimals(1)
        self.weight.setValue(abs(term.weight))
        self.weight.setToolTip("How much this term counts")
        self.weight.valueChanged.connect(self.changed)
        layout.addWidget(self.weight)
        close = QToolButton()
        close.setText("×")
        close.setToolTip("Remove")
        close.clicked.connect(lambda: self.removed.emit(self))
        layout.addWidget(close)
        self._sign_toggled(self.sign.isChecked(), emit=False)

    def _sign_toggled(self, minus: bool, emit: bool = True) -> None:
        self.sign.setText("−" if minus else "+")
        if emit:
            self.changed.emit()

    def term(self) -> Term:
        sign = -1.0 if self.sign.isChecked() else 1.0
        return Term(sign * self.weight.value(), self._term.text, self._term.image)


class ChipBar(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.setToolTip("Drop photos here to add them to the search (Shift: take them away)")
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.hint = QLabel("⊕")  # small: the search field needs the room
        self.hint.setEnabled(False)
        self.hint.setToolTip(self.toolTip())
        self._layout.addWidget(self.hint)
        self.chips: list[Chip] = []

    def add_term(self, term: Term, label: str | None = None) -> Chip:
        if label is None:
            label = term.image.name if isinstance(term.image, Path) else str(term.text or "")
        chip = Chip(term, label, self)
        chip.changed.connect(self.changed)
        chip.removed.connect(self._remove)
        self.chips.append(chip)
        self._layout.insertWidget(self._layout.count() - 1, chip)
        self.hint.setVisible(False)
        self.changed.emit()
        return chip

    def terms(self) -> tuple[Term, ...]:
        return tuple(chip.term() for chip in self.chips)

    def clear(self) -> None:
        if not self.chips:
            return
        for chip in self.chips:
            chip.deleteLater()
        self.chips = []
        self.hint.setVisible(True)
        self.changed.emit()

    def _remove(self, chip: Chip) -> None:
        self.chips.remove(chip)
        chip.deleteLater()
        self.hint.setVisible(not self.chips)
        self.changed.emit()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        minus = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        for url in event.mimeData().urls():
            path = Path(url.toLocalFile())
            if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES:
                self.add_term(Term(-1.0 if minus else 1.0, image=path))
        event.acceptProposedAction()

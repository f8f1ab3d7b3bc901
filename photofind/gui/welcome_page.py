"""The first-run page: get the recommended model with one button, then add a photo folder.

Shown only while there is nothing to search: no model and no folder yet, or no folder. A
library that has folders but a missing or damaged model stays on the library page with a
repair bar instead (repair_bar.py). The words are a person's, not a developer's: no terminal
commands, no tool names. GUI thread only. Signals: `add_folder_requested()`,
`import_model_requested()`, `download_requested()` (the recommended model),
`cancel_requested()`, `models_requested()` (the model chooser).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from photofind.appinfo import APP_DISPLAY_NAME
from photofind.gui.offer import ModelOffer, recommended_offer
from photofind.tasks import Progress, status_text

NEEDS_MODEL = (
    f"{APP_DISPLAY_NAME} needs a CLIP model to understand your photos: a one-time download, "
    "after which everything runs on this computer and no photo leaves it."
)
NEEDS_FOLDER = "Add a folder of photos (or drop one on this window) to start."


class WelcomePage(QScrollArea):
    add_folder_requested = Signal()
    import_model_requested = Signal()
    download_requested = Signal()
    cancel_requested = Signal()
    models_requested = Signal()

    def __init__(self, offer: ModelOffer | None = None) -> None:
        super().__init__()
        self.offer = offer or recommended_offer()
        self.setWidgetResizable(True)  # small windows scroll instead of clipping
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        body = QWidget()
        self.setWidget(body)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(32, 16, 32, 16)
        layout.addStretch(1)
        title = QLabel(f"<h1>Welcome to {APP_DISPLAY_NAME}</h1>")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title.setWordWrap(True)
        self.message = self._text()
        self.download_button = QPushButton(f"Get the recommended model ({self.offer.size})")
        self.download_button.setDefault(True)
        self.download_button.clicked.connect(self.download_requested)
        self.offer_label = self._text(f"{self.offer.title} · {self.offer.licence}")
        small = self.offer_label.font()  # the small print under the button
        small.setPointSizeF(small.pointSizeF() * 0.9)
        self.offer_label.setFont(small)
        self.progress = QProgressBar()
        self.progress.setMinimumWidth(200)
        self.progress.setFormat("%p%")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.progress_row = QWidget()
        row = QHBoxLayout(self.progress_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.progress, 1)
        row.addWidget(self.cancel_button)
        self.progress_label = self._text()
        self.problem = self._text()
        self.model_button = QPushButton("Import a model folder…")
        self.model_button.setToolTip("A model folder copied from another computer")
        self.model_button.clicked.connect(self.import_model_requested)
        self.other_button = QPushButton("Other models…")
        self.other_button.clicked.connect(self.models_requested)
        self.add_button = QPushButton("Add a photo folder…")
        self.add_button.clicked.connect(self.add_folder_requested)
        for widget in (title, self.message, self.download_button, self.offer_label,
                       self.progress_row, self.progress_label, self.problem, self.model_button,
                       self.other_button, self.add_button):  # fmt: skip
            # Labels fill the row (an alignment would deny them height-for-width: a wrapped
            # line would be cut off); buttons keep their own width, centred.
            if isinstance(widget, QLabel):
                layout.addWidget(widget)
            else:
                layout.addWidget(widget, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)
        self.progress_row.hide()
        self.progress_label.hide()
        self.problem.hide()

    def _text(self, text: str = "") -> QLabel:
        label = QLabel(text)
        label.setWordWrap(True)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        return label

    def show_state(self, has_model: bool, has_folders: bool, problem: str | None) -> None:
        lines = []
        if not has_model:
            lines.append(NEEDS_MODEL)
        if not has_folders:
            lines.append(NEEDS_FOLDER)
        self.message.setText("\n\n".join(lines))
        self.show_problem(problem)
        for widget in (self.download_button, self.offer_label, self.model_button,
                       self.other_button):  # fmt: skip
            widget.setVisible(not has_model)
        self.add_button.setVisible(not has_folders)

    # -- the download ---------------------------------------------------------------------

    def download_started(self) -> None:
        self.show_problem(None)
        self.download_button.setEnabled(False)
        self.progress.setRange(0, 0)
        self.progress_row.show()
        self.progress_label.setText("Starting the download…")
        self.progress_label.show()

    def download_progress(self, p: Progress) -> None:
        if p.total:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * (p.fraction or 0)))
        self.progress_label.setText(status_text(p))

    def download_ended(self, problem: str | None) -> None:
        self.download_button.setEnabled(True)
        self.progress_row.hide()
        self.progress_label.hide()
        self.show_problem(problem)

    def show_problem(self, problem: str | None) -> None:
        self.problem.setText(problem or "")
        self.problem.setVisible(bool(problem))

"""The status bar: indexing progress with pause, the watcher's state, the model, buttons.

GUI thread only. Signals: `pause_toggled(bool)`, `models_requested()`, `about_requested()`,
`errors_requested()` (the "N unreadable" button: the list of files that could not be read).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QStatusBar

from photofind.tasks import Progress, status_text

WATCH_TEXT = {"watching": "Watching folders", "indexing": "Updating…"}


class StatusBar(QStatusBar):
    pause_toggled = Signal(bool)
    models_requested = Signal()
    about_requested = Signal()
    errors_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.progress_label = QLabel()
        self.progress_bar = QProgressBar()
        self.progress_bar.setMaximumWidth(180)
        self.progress_bar.hide()
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.pause_button.toggled.connect(self._paused)
        self.pause_button.hide()
        self.errors_button = QPushButton()
        self.errors_button.setFlat(True)
        self.errors_button.setToolTip("The files that could not be read, and why")
        self.errors_button.clicked.connect(self.errors_requested)
        self.errors_button.hide()
        self.watch_label = QLabel()
        self.model_label = QLabel("Loading…")
        self.models_button = QPushButton("Models…", self)  # hidden, but owned by the bar
        self.models_button.clicked.connect(self.models_requested)
        self.about_button = QPushButton("About…")  # version, model, About > Licences
        self.about_button.clicked.connect(self.about_requested)
        self.addWidget(self.progress_label, 1)
        self.addWidget(self.progress_bar)
        self.addWidget(self.pause_button)
        self.models_button.hide()  # View > Models… and the repair bar offer it; room is short
        for widget in (self.errors_button, self.watch_label, self.model_label,
                       self.about_button):  # fmt: skip
            self.addPermanentWidget(widget)

    def _paused(self, paused: bool) -> None:
        self.pause_button.setText("Resume" if paused else "Pause")
        self.pause_toggled.emit(paused)

    def show_message(self, text: str) -> None:
        self.progress_label.setText(text)

    def show_model(self, text: str) -> None:
        self.model_label.setText(text)

    def indexing_started(self) -> None:
        self.pause_button.show()
        self.progress_bar.show()

    def indexing_ended(self, message: str | None) -> None:
        self.pause_button.hide()
        self.progress_bar.hide()
        if message is not None:
            self.progress_label.setText(message)

    def show_progress(self, p: Progress) -> None:
        self.progress_label.setText(status_text(p))
        if p.total and p.phase == "index":
            self.progress_bar.setRange(0, p.total)
            self.progress_bar.setValue(p.done)
        else:
            self.progress_bar.setRange(0, 0)

    def show_errors(self, count: int) -> None:
        self.errors_button.setText(f"{count:,} unreadable")
        self.errors_button.setVisible(count > 0)

    def show_watcher(self, state: str) -> None:
        self.watch_label.setText(WATCH_TEXT.get(state, "Not watching"))

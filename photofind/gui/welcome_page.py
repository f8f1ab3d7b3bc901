"""The page shown before there is anything to search: no folder yet, or no model."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from photofind.appinfo import APP_DISPLAY_NAME


class WelcomePage(QWidget):
    """GUI thread only. Signals: `add_folder_requested()`, `import_model_requested()`,
    `download_requested()`."""

    add_folder_requested = Signal()
    import_model_requested = Signal()
    download_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        title = QLabel(f"<h1>Welcome to {APP_DISPLAY_NAME}</h1>")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.add_button = QPushButton("Add a photo folder…")
        self.model_button = QPushButton("Choose a model folder…")
        self.download_button = QPushButton("Download a model…")
        self.add_button.clicked.connect(self.add_folder_requested)
        self.model_button.clicked.connect(self.import_model_requested)
        self.download_button.clicked.connect(self.download_requested)
        for widget in (title, self.message, self.add_button, self.model_button,
                       self.download_button):  # fmt: skip
            layout.addWidget(widget, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)

    def show_state(self, has_model: bool, has_folders: bool, problem: str | None) -> None:
        lines = []
        if problem:
            lines.append(problem)
        if not has_model:
            lines.append(
                "photofind needs a CLIP model to understand your photos. Choose a model folder "
                "(made by models/export_onnx.py or copied from another computer); downloads "
                "need `photofind model install NAME` and a network connection."
            )
        if not has_folders:
            lines.append("Add a folder of photos (or drop one on this window) to start.")
        self.message.setText("\n\n".join(lines))
        self.model_button.setVisible(not has_model)
        self.download_button.setVisible(not has_model)

"""The bar above the results when the model is missing or damaged: say so, offer repairs.

The library stays open without a model (folders, counts, the errors list stay in view, as
issue 11 asks); this bar says what is wrong in a sentence and offers to check the model's
files, download it again, import a model folder or pick another model. GUI thread only.
Signals: `verify_requested()`, `download_requested()`, `import_requested()`,
`models_requested()`.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout


class RepairBar(QFrame):
    verify_requested = Signal()
    download_requested = Signal()
    import_requested = Signal()
    models_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName("Model problem")
        column = QVBoxLayout(self)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)
        column.addWidget(self.message)
        row = QHBoxLayout()
        self.verify_button = QPushButton("Check the model")
        self.download_button = QPushButton("Download it again")
        self.import_button = QPushButton("Import a model folder…")
        self.models_button = QPushButton("Other models…")
        for button, signal in ((self.verify_button, self.verify_requested),
                               (self.download_button, self.download_requested),
                               (self.import_button, self.import_requested),
                               (self.models_button, self.models_requested)):  # fmt: skip
            button.clicked.connect(signal)
            row.addWidget(button)
        row.addStretch(1)
        column.addLayout(row)
        self.hide()

    def show_problem(self, problem: str, name: str | None, downloadable: bool) -> None:
        """`name`: the installed model that failed (None: no model at all)."""
        if name is None:
            text = f"No model is installed, so searching is off. {problem}".strip()
        else:
            text = f"The model {name} could not be loaded: {problem}"
        self.message.setText(text + "\nYour folders and photos are kept; repair the model to "
                             "search again.")  # fmt: skip
        self.verify_button.setVisible(name is not None)
        self.download_button.setVisible(downloadable)
        self.show()

    def show_note(self, text: str) -> None:
        self.message.setText(text)

"""About photofind: the version, the model in use, and a Licences tab with every notice.

The notices come from photofind.licences (the installed distributions, or the list the bundle
was built with), so what the window shows is what was shipped.
"""

from __future__ import annotations

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QPlainTextEdit,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from photofind.appinfo import APP_DISPLAY_NAME, COPYRIGHT, LICENSE, VERSION
from photofind.licences import Notice, notices


class LicencesPage(QSplitter):
    """Components on the left (name, version, licence), the selected one's texts on the right."""

    def __init__(self, items: list[Notice]) -> None:
        super().__init__()
        self.items = items
        self.list = QListWidget()
        self.list.setAccessibleName("Components")
        self.list.addItems([f"{n.name} {n.version} — {n.licence}" for n in items])
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.addWidget(self.list)
        self.addWidget(self.text)
        self.setStretchFactor(1, 1)
        self.list.currentRowChanged.connect(self.show_row)
        if items:
            self.list.setCurrentRow(0)

    def show_row(self, row: int) -> None:
        if not 0 <= row < len(self.items):
            return
        notice = self.items[row]
        parts = [f"{notice.name} {notice.version}\nLicence: {notice.licence}"]
        parts += [f"──── {name} ────\n{text}" for name, text in notice.texts]
        if not notice.texts:
            parts.append("(this component ships no licence text; see its project page)")
        self.text.setPlainText("\n\n".join(parts))


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None, model_text: str) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"About {APP_DISPLAY_NAME}")
        self.resize(820, 560)
        about = QLabel(
            f"<h3>{APP_DISPLAY_NAME} {VERSION}</h3><p>Find photos by describing them. "
            "Everything runs on this computer: no photo, vector or query leaves it.</p>"
            f"<p>Model: {model_text}</p><p>Licence: {LICENSE}. {COPYRIGHT}.</p>"
            "<p>The Licences tab lists the components photofind is built on.</p>"
        )
        about.setWordWrap(True)
        self.tabs = QTabWidget()
        self.tabs.addTab(about, "About")
        self.licences = LicencesPage(notices())
        self.tabs.addTab(self.licences, "Licences")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(buttons)

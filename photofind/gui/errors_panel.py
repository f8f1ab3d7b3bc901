"""The list of files that could not be read: name, folder and why, opened from the status bar.

GUI thread only; the rows come from `Catalog.errors()` read in a worker by the window.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from photofind.gui import desktop
from photofind.wording import counted

COLUMNS = ("Name", "Folder", "Why")


class ErrorsPanel(QDialog):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Files that could not be read")
        self.resize(720, 360)
        layout = QVBoxLayout(self)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.table.setWordWrap(False)
        self.table.doubleClicked.connect(self._show_in_folder)
        layout.addWidget(self.table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def show_files(self, files: Sequence[Any]) -> None:
        """`files` are FileRecords with status "error" (path, error)."""
        self.table.setRowCount(len(files))
        for row, record in enumerate(files):
            why = record.error or "unreadable"
            if why.startswith(f"{record.path.name}: "):  # the name is in its own column
                why = why[len(record.path.name) + 2 :]
            cells = (record.path.name, str(record.path.parent), why)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                item.setData(Qt.ItemDataRole.UserRole, str(record.path))
                self.table.setItem(row, column, item)
        self.table.resizeColumnToContents(1)
        self.summary.setText(
            f"{counted(len(files), 'file')} could not be read. They "
            "are left as they are; photofind "
            "tries them again when they change. Double-click one to show it in its folder."
            if files else "Every file could be read."
        )  # fmt: skip

    def rows(self) -> list[tuple[str, str, str]]:
        """What the table shows (tests and accessibility)."""
        rows = []
        for r in range(self.table.rowCount()):
            name, folder, why = (self._cell(r, c) for c in range(len(COLUMNS)))
            rows.append((name, folder, why))
        return rows

    def _cell(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return item.text() if item is not None else ""

    def _show_in_folder(self, index) -> None:
        from pathlib import Path

        path = index.data(Qt.ItemDataRole.UserRole)
        if path:
            desktop.show_in_folder(Path(path))

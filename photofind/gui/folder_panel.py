"""The folders sidebar: each photo folder with its count and state, Add and Remove.

GUI thread only. Signals: `add_requested()`, `remove_requested(int folder_id)`,
`folder_chosen()` when the chosen folder changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

ID_ROLE = Qt.ItemDataRole.UserRole
STATE_ROLE = Qt.ItemDataRole.UserRole + 1


class FolderPanel(QWidget):
    add_requested = Signal()
    remove_requested = Signal(int)
    folder_chosen = Signal()

    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("<b>Folders</b>"))
        self.folder_list = QListWidget()
        self.folder_list.setAccessibleName("Photo folders")
        self.folder_list.itemSelectionChanged.connect(self.folder_chosen)
        layout.addWidget(self.folder_list)
        buttons = QHBoxLayout()
        self.add_button = QPushButton("Add…")
        self.remove_button = QPushButton("Remove")
        self.add_button.clicked.connect(self.add_requested)
        self.remove_button.clicked.connect(self._remove)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        layout.addLayout(buttons)

    def show_folders(self, rows: Sequence[Any]) -> None:
        """`rows` are `Library.folders()` (FolderStatus); the choice survives a refresh."""
        chosen = self.chosen_folder()
        self.folder_list.blockSignals(True)
        self.folder_list.clear()
        for row in rows:
            name = row.folder.path.name or str(row.folder.path)
            item = QListWidgetItem(f"{name}\n{row.total:,} photos · {row.state}")
            reason = row.folder.offline_reason if row.state == "offline" else None
            item.setToolTip(f"{row.folder.path}\n{reason}" if reason else str(row.folder.path))
            item.setData(ID_ROLE, row.folder.id)
            item.setData(STATE_ROLE, row.state)
            if row.state == "offline":
                item.setForeground(Qt.GlobalColor.gray)
            self.folder_list.addItem(item)
            if row.folder.id == chosen:
                item.setSelected(True)
                self.folder_list.setCurrentItem(item)
        self.folder_list.blockSignals(False)
        if chosen is not None and self.chosen_folder() is None:
            self.folder_chosen.emit()  # the chosen folder is gone: the filter with it

    def chosen_folder(self) -> int | None:
        """The folder a search is narrowed to, or None for all of them."""
        item = self.folder_list.currentItem()
        if item is not None and item.isSelected():
            return int(item.data(ID_ROLE))
        return None

    def folder_state(self, path: Path) -> str | None:
        """The state shown for a folder (tests and accessibility)."""
        for i in range(self.folder_list.count()):
            item = self.folder_list.item(i)
            if item.toolTip().split("\n")[0] == str(path):  # the path, then why it is offline
                return item.data(STATE_ROLE)
        return None

    def _remove(self) -> None:
        item = self.folder_list.currentItem()
        if item is not None:
            self.remove_requested.emit(int(item.data(ID_ROLE)))

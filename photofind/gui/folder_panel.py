"""The folders sidebar: "All photos", each photo folder with its count and state, Add, Remove.

Choosing a folder narrows the search to it, and the filter bar shows that as a chip;
"All photos" (or the chip's ×) widens it again. GUI thread only. Signals:
`add_requested()`, `remove_requested(int folder_id)`, `folder_chosen()` when the chosen
folder changes (to another, or to all).
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


PROBLEMS_SHOWN = 5  # in a folder's tooltip; `photofind status --json` lists them all


def _state(row: Any) -> str:
    """What the folder's line says after its photo count: its state, then files that failed
    and subfolders or links not opened. "errors" is said by the counts themselves and "up to
    date" goes without saying beside them; "offline" and "indexing" always show (a folder
    with one broken file whose drive is away must still say it is offline)."""
    parts = [] if row.state in ("errors", "up to date") else [row.state]
    if row.error:
        parts.append(f"{row.error:,} unreadable")
    if row.unreadable:
        parts.append(f"{row.unreadable:,} not opened")
    return " · ".join(parts) if parts else row.state


def _tooltip(row: Any) -> str:
    """The folder's path, why it is offline, and what its latest scan could not open."""
    lines = [str(row.folder.path)]
    if row.state == "offline" and row.folder.offline_reason:
        lines.append(row.folder.offline_reason)
    if row.unreadable:
        lines.append(f"Not opened by the last scan ({row.unreadable:,}):")
        lines.extend(f"{p.path}: {p.reason}" for p in row.problems[:PROBLEMS_SHOWN])
        if row.unreadable > PROBLEMS_SHOWN:
            lines.append(f"... and {row.unreadable - PROBLEMS_SHOWN:,} more")
    return "\n".join(lines)


class FolderPanel(QWidget):
    add_requested = Signal()
    remove_requested = Signal(int)
    folder_chosen = Signal()

    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("<b>Folders</b>"))
        self.all_button = QPushButton("All photos")
        self.all_button.setCheckable(True)
        self.all_button.setChecked(True)
        self.all_button.setFlat(True)
        self.all_button.setStyleSheet("text-align: left; padding: 4px")
        self.all_button.setToolTip("Search every folder")
        self.all_button.clicked.connect(self.choose_all)
        layout.addWidget(self.all_button)
        self.folder_list = QListWidget()
        self.folder_list.setAccessibleName("Photo folders")
        self.folder_list.setSpacing(3)  # each folder's two lines apart from the next
        self.folder_list.itemSelectionChanged.connect(self._selection_changed)
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
            item = QListWidgetItem(f"{name}\n{row.total:,} photos · {_state(row)}")
            item.setToolTip(_tooltip(row))
            item.setData(ID_ROLE, row.folder.id)
            item.setData(STATE_ROLE, row.state)
            if row.state == "offline":
                item.setForeground(Qt.GlobalColor.gray)
            self.folder_list.addItem(item)
            if row.folder.id == chosen:
                item.setSelected(True)
                self.folder_list.setCurrentItem(item)
        self.folder_list.blockSignals(False)
        self.all_button.setVisible(bool(rows))
        self.all_button.setChecked(self.chosen_folder() is None)
        if chosen is not None and self.chosen_folder() is None:
            self.folder_chosen.emit()  # the chosen folder is gone: the filter with it

    def choose_all(self) -> None:
        """No folder filter: search every folder."""
        self.all_button.setChecked(True)
        if self.chosen_folder() is not None:
            self.folder_list.clearSelection()  # emits folder_chosen

    def _selection_changed(self) -> None:
        self.all_button.setChecked(self.chosen_folder() is None)
        self.folder_chosen.emit()

    def chosen_folder(self) -> int | None:
        """The folder a search is narrowed to, or None for all of them."""
        item = self.folder_list.currentItem()
        if item is not None and item.isSelected():
            return int(item.data(ID_ROLE))
        return None

    def chosen_name(self) -> str | None:
        item = self.folder_list.currentItem()
        if item is not None and item.isSelected():
            return item.text().split("\n")[0]
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

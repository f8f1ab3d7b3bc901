"""Preferences: folders and their exclusions, the model, indexing threads and start, the
thumbnail cache's size limit with a Clear button.

`Preferences` is the window's settings as one value, read from and written to QSettings
(the per-user store Qt keeps in the platform's place); the dialog edits one. Folder and model
changes go through the window's controller at once; the rest apply when OK is pressed
(threads at the next start). GUI thread only.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from photofind.library.thumbcache import DEFAULT_LIMIT_BYTES, ThumbnailCache

MB = 1024 * 1024


@dataclass(frozen=True)
class Preferences:
    threads: int = 0  # 0: as many as the computer has cores
    index_at_launch: bool = True
    thumbnail_limit_mb: int = DEFAULT_LIMIT_BYTES // MB

    @classmethod
    def load(cls) -> Preferences:
        s = QSettings()
        d = cls()
        return cls(
            threads=int(str(s.value("indexing/threads", d.threads))),
            index_at_launch=str(s.value("indexing/at_launch", d.index_at_launch)).lower()
            in ("true", "1"),
            thumbnail_limit_mb=int(str(s.value("thumbnails/limit_mb", d.thumbnail_limit_mb))),
        )

    def save(self) -> None:
        s = QSettings()
        s.setValue("indexing/threads", self.threads)
        s.setValue("indexing/at_launch", self.index_at_launch)
        s.setValue("thumbnails/limit_mb", self.thumbnail_limit_mb)
        s.sync()


@dataclass(frozen=True)
class PreferenceHooks:
    """What the dialog asks the window to do: list/add/remove folders, list/use models."""

    folders: Callable[[], list]  # FolderStatus rows
    add_folder: Callable[[Path, tuple[str, ...]], None]
    remove_folder: Callable[[int], bool]  # False: not removed (the person said no)
    models: Callable[[], list[str]]
    current_model: Callable[[], str | None]
    use_model: Callable[[str], None]


class PreferencesDialog(QDialog):
    def __init__(self, prefs: Preferences, cache: ThumbnailCache, hooks: PreferenceHooks,
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.setMinimumWidth(520)
        self.prefs = prefs
        self.cache = cache
        self.hooks = hooks
        layout = QVBoxLayout(self)
        layout.addWidget(self._folders_box())
        layout.addWidget(self._model_box())
        layout.addWidget(self._indexing_box())
        layout.addWidget(self._cache_box())
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.refresh_folders()
        self.refresh_cache()

    # -- sections -------------------------------------------------------------------------

    def _folders_box(self) -> QGroupBox:
        box = QGroupBox("Photo folders")
        column = QVBoxLayout(box)
        self.folder_list = QListWidget()
        self.folder_list.setMinimumHeight(80)
        column.addWidget(self.folder_list)
        row = QHBoxLayout()
        self.exclude_field = QLineEdit()
        self.exclude_field.setPlaceholderText("Leave out, e.g. *.tmp, Screenshots/*")
        self.exclude_field.setToolTip("Patterns of files or subfolders to leave out of a folder "
                                      "you add, separated by commas")  # fmt: skip
        add = QPushButton("Add…")
        add.clicked.connect(self._add_folder)
        remove = QPushButton("Remove")
        remove.clicked.connect(self._remove_folder)
        row.addWidget(self.exclude_field, 1)
        row.addWidget(add)
        row.addWidget(remove)
        column.addLayout(row)
        return box

    def _model_box(self) -> QGroupBox:
        box = QGroupBox("Model")
        form = QFormLayout(box)
        self.model_box = QComboBox()
        names = self.hooks.models()
        current = self.hooks.current_model()
        self.model_box.addItems(names)
        if current is not None and current not in names:  # loaded from a folder, not installed
            self.model_box.insertItem(0, current)
        if current is not None:
            self.model_box.setCurrentText(current)
        form.addRow("Model in use", self.model_box)
        return box

    def _indexing_box(self) -> QGroupBox:
        box = QGroupBox("Indexing")
        form = QFormLayout(box)
        self.threads = QSpinBox()
        self.threads.setRange(0, max(1, os.cpu_count() or 1))
        self.threads.setSpecialValueText("As many as the computer has")
        self.threads.setValue(self.prefs.threads)
        self.threads.setToolTip("Fewer threads keep the computer quieter; applies at next start")
        form.addRow("Threads", self.threads)
        self.at_launch = QCheckBox("Look for new photos when the window opens")
        self.at_launch.setChecked(self.prefs.index_at_launch)
        form.addRow(self.at_launch)
        return box

    def _cache_box(self) -> QGroupBox:
        box = QGroupBox("Thumbnails")
        form = QFormLayout(box)
        self.cache_limit = QSpinBox()
        self.cache_limit.setRange(16, 100_000)
        self.cache_limit.setSingleStep(64)
        self.cache_limit.setSuffix(" MB")
        self.cache_limit.setValue(self.prefs.thumbnail_limit_mb)
        form.addRow("Keep at most", self.cache_limit)
        row = QHBoxLayout()
        self.cache_usage = QLabel()
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Delete the cached thumbnails; they are made again as needed")
        self.clear_button.clicked.connect(self.clear_cache)
        row.addWidget(self.cache_usage, 1)
        row.addWidget(self.clear_button)
        form.addRow("In use", row)
        return box

    # -- actions --------------------------------------------------------------------------

    def refresh_folders(self) -> None:
        self.folder_list.clear()
        for row in self.hooks.folders():
            folder = row.folder
            left_out = f"  (leaving out {', '.join(folder.exclude)})" if folder.exclude else ""
            item = QListWidgetItem(f"{folder.path}{left_out}")
            item.setData(256, folder.id)
            self.folder_list.addItem(item)

    def _add_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Add a photo folder")
        if chosen:
            self.add_folder(Path(chosen), self.exclude_field.text())

    def add_folder(self, path: Path, exclude_text: str = "") -> None:
        patterns = tuple(p.strip() for p in exclude_text.split(",") if p.strip())
        self.hooks.add_folder(path, patterns)
        self.exclude_field.clear()
        self.refresh_folders()

    def _remove_folder(self) -> None:
        item = self.folder_list.currentItem()
        if item is not None and self.hooks.remove_folder(int(item.data(256))):
            self.folder_list.takeItem(self.folder_list.row(item))

    def refresh_cache(self) -> None:
        self.cache_usage.setText(f"{self.cache.usage_bytes() / MB:,.1f} MB")

    def clear_cache(self) -> None:
        self.cache.clear()
        self.refresh_cache()

    def chosen(self) -> Preferences:
        return replace(
            self.prefs,
            threads=self.threads.value(),
            index_at_launch=self.at_launch.isChecked(),
            thumbnail_limit_mb=self.cache_limit.value(),
        )

    def accept(self) -> None:
        self.prefs = self.chosen()
        self.prefs.save()
        name = self.model_box.currentText()
        if name and name != self.hooks.current_model() and name in self.hooks.models():
            self.hooks.use_model(name)
        super().accept()

"""What can be done to the selected photos: open, show, copy paths, copy, export, trash.

One object per grid holds the actions (context menu and shortcuts act on every selected
photo); slow work (copying files, trashing and making the catalog forget) runs in the pool.
Trash is Qt's `QFile.moveToTrash` (the desktop's trash, restorable from there) after a
confirmation; the library then forgets the photos at once. GUI thread only.

Signals: `trashed(list)` the file ids moved to the trash; `message(str)` one line saying
what happened, for the status bar; `done()` after copy, export or trash (tests wait on it).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDir, QFile, QObject, QStandardPaths, Qt, QThreadPool, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QFileDialog, QMenu, QMessageBox, QWidget

from photofind.errors import PhotofindError
from photofind.gui import desktop
from photofind.gui.results import HitRole
from photofind.gui.workers import run_task
from photofind.search import Hit
from photofind.search.exports import copy_files, write_list
from photofind.wording import counted

OPEN_AT_ONCE = 20  # opening more photos than this in their app at once asks first


def move_to_trash(paths: list[Path]) -> tuple[list[Path], list[str]]:
    """Move files to the desktop's trash; (trashed, one line per failure). Any thread."""
    # Qt's freedesktop trash needs the data folder to exist (a fresh account may lack it).
    QDir().mkpath(
        QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericDataLocation)
    )
    trashed: list[Path] = []
    failed: list[str] = []
    for path in paths:
        if QFile.moveToTrash(str(path)):
            trashed.append(path)
        elif not path.exists():
            trashed.append(path)  # gone already: the catalog forgets it all the same
        else:
            failed.append(f"{path.name}: could not be moved to the trash")
    return trashed, failed


class ResultActions(QObject):
    trashed = Signal(list)
    message = Signal(str)
    done = Signal()

    def __init__(self, view, pool: QThreadPool, library: Callable[[], Any],
                 parent: QWidget) -> None:  # fmt: skip
        """`library()` is the open Library (or None), whose `forget_files` a trash calls."""
        super().__init__(parent)
        self.view = view
        self.pool = pool
        self.library = library
        self.parent_widget = parent
        self.actions: dict[str, QAction] = {}
        for name, text, key, slot in (
            ("open", "Open", QKeySequence(Qt.Key.Key_Return), self.open),
            ("show", "Show in folder", QKeySequence("Ctrl+Shift+R"), self.show_in_folder),
            ("copy_paths", "Copy paths", QKeySequence.StandardKey.Copy, self.copy_paths),
            ("copy_to", "Copy to folder…", QKeySequence("Ctrl+Shift+S"), self.ask_copy_to),
            ("export", "Export list…", QKeySequence("Ctrl+Shift+E"), self.ask_export),
            ("trash", "Move to trash…", QKeySequence.StandardKey.Delete, self.ask_trash),
        ):
            action = QAction(text, view)
            action.setShortcut(key)
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            action.triggered.connect(slot)
            view.addAction(action)
            self.actions[name] = action

    def selected(self) -> list[Hit]:
        """The selected photos in grid order (else the current one)."""
        selection = self.view.selectionModel()
        rows = sorted(i.row() for i in selection.selectedIndexes()) if selection else []
        if not rows and self.view.currentIndex().isValid():
            rows = [self.view.currentIndex().row()]
        model = self.view.model()
        return [model.index(r, 0).data(HitRole) for r in rows]

    def add_to_menu(self, menu: QMenu) -> None:
        count = len(self.selected())
        for name in ("open", "show", "copy_paths", "copy_to", "export"):
            menu.addAction(self.actions[name])
        menu.addSeparator()
        trash = self.actions["trash"]
        trash.setText(f"Move {count:,} photos to trash…" if count > 1 else "Move to trash…")
        menu.addAction(trash)

    # -- the actions ----------------------------------------------------------------------

    def open(self) -> None:
        hits = self.selected()
        if len(hits) > OPEN_AT_ONCE and not self.confirm(
            f"Open {len(hits):,} photos, each in its own window?"
        ):
            return
        for hit in hits:
            self._hand_over("open", hit.file.path, desktop.open_file)

    def show_in_folder(self) -> None:
        hits = self.selected()
        if hits:
            self._hand_over("show", hits[0].file.path, desktop.show_in_folder)

    def _hand_over(self, verb: str, path: Path, action: Callable[[Path], bool]) -> None:
        """Give `path` to the desktop, or say why not: the desktop says nothing itself when
        the photo's drive is away or no program is set for it."""
        if not path.exists():
            self.message.emit(f"Cannot {verb} {path.name}: it is not there "
                              "(is its drive connected?)")  # fmt: skip
        elif not action(path):
            self.message.emit(f"Cannot {verb} {path.name}: the desktop has no program for it")

    def copy_paths(self) -> None:
        hits = self.selected()
        if hits:
            QApplication.clipboard().setText("\n".join(str(h.file.path) for h in hits))
            self.message.emit(f"Copied {len(hits):,} path{'s' if len(hits) > 1 else ''}")

    def ask_copy_to(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.parent_widget, "Copy the photos to")
        if folder:
            self.copy_to(Path(folder))

    def copy_to(self, folder: Path) -> None:
        paths = [h.file.path for h in self.selected()]
        if paths:
            run_task(self.pool, copy_files, paths, folder,
                     done=lambda copied: self._said(f"Copied {len(copied):,} photos to {folder}"),
                     failed=self._failed)  # fmt: skip

    def ask_export(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self.parent_widget, "Export a list of the photos", "photos.csv",
            "CSV with dates and sizes (*.csv);;Text, one path a line (*.txt)",
        )  # fmt: skip
        if name:
            self.export(Path(name))

    def export(self, target: Path) -> None:
        hits = self.selected()
        if hits:
            run_task(self.pool, write_list, hits, target,
                     done=lambda _: self._said(f"Listed {len(hits):,} photos in {target}"),
                     failed=self._failed)  # fmt: skip

    def ask_trash(self) -> None:
        hits = self.selected()
        if not hits:
            return
        what = hits[0].file.path.name if len(hits) == 1 else f"{len(hits):,} photos"
        if self.confirm(f"Move {what} to the trash? You can restore them from the trash."):
            self.trash(hits)

    def trash(self, hits: list[Hit]) -> None:
        ids = {h.file.path: h.file.id for h in hits}

        def work() -> tuple[list[int], list[str]]:
            trashed, failed = move_to_trash(list(ids))
            gone = [ids[p] for p in trashed]
            library = self.library()
            if library is not None and gone:
                library.forget_files(gone)
            return gone, failed

        def finished(result: tuple[list[int], list[str]]) -> None:
            gone, failed = result
            self.trashed.emit(gone)
            text = f"Moved {counted(len(gone), 'photo')} to the trash"
            self._said(text + (f"; {failed[0]}" if failed else ""))

        run_task(self.pool, work, done=finished, failed=self._failed)

    def confirm(self, question: str) -> bool:
        answer = QMessageBox.question(self.parent_widget, "photofind", question)
        return answer == QMessageBox.StandardButton.Yes

    def _said(self, text: str) -> None:
        self.message.emit(text)
        self.done.emit()

    def _failed(self, exc: BaseException) -> None:
        self.message.emit(str(exc) if isinstance(exc, PhotofindError) else f"Failed: {exc}")
        self.done.emit()

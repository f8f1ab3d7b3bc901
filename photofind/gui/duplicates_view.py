"""Near-duplicates: groups of nearly identical photos side by side; keep one, trash the rest.

The core finds the groups (`Searcher.duplicates`, in the pool, with progress and cancel);
this dialog shows each group as a row of whole thumbnails with their size and folder, the
biggest picture chosen to keep. "Trash the others" moves every photo of a group but the kept
one to the desktop's trash after a confirmation, and the library forgets them. Up to
MAX_GROUPS groups are shown at once (the biggest first); trashing makes room for the next.
GUI thread only.

Its work runs on the window's pool through a `TaskGroup`: closing the dialog drops what the
search would still report. A trash already under way finishes, and `on_trashed` (the
window's) still hears of it after the dialog is gone, so the grid loses those photos.

Signals: `groups_loaded()` the groups are on screen.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QThreadPool, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from photofind.gui.results_actions import move_to_trash
from photofind.gui.thumbnails import ThumbnailLoader
from photofind.gui.workers import TaskGroup, run_task
from photofind.library.records import FileRecord
from photofind.tasks import TaskControl

log = logging.getLogger(__name__)

MAX_GROUPS = 100
THUMB = 160


def _find_groups(searcher, threshold: float, control: TaskControl, progress):
    """The pool's job: plain data in, groups out (it holds no widget)."""
    return searcher.duplicates(threshold, progress=progress, control=control)


def _trash(library, ids: dict[Path, int]) -> tuple[list[int], list[str]]:
    """The pool's job: move the files to the trash and make the library forget them."""
    moved, failed = move_to_trash(list(ids))
    gone = [ids[Path(p)] for p in moved]
    if gone:
        library.forget_files(gone)
    return gone, failed


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{size / 1e3:.0f} KB"


class _GroupRow(QFrame):
    """One group: its photos side by side, a "Keep" choice under each."""

    def __init__(self, files: list[FileRecord], dialog: DuplicatesDialog) -> None:
        super().__init__()
        self.files = files
        self.setFrameShape(QFrame.Shape.StyledPanel)
        column = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(QLabel(f"<b>{len(files)} near-identical photos</b>"))
        # Beside the title, not at the row's far end: a burst of nine photos is wider than
        # the view, and the far end is off screen until scrolled sideways.
        button = QPushButton("Keep the chosen one, trash the others…")
        button.clicked.connect(lambda: dialog.trash_others(self))
        top.addWidget(button)
        top.addStretch(1)
        self.trash_button = button
        column.addLayout(top)
        row = QHBoxLayout()
        column.addLayout(row)
        self.choice = QButtonGroup(self)
        self.pictures: dict[int, QLabel] = {}
        for n, file in enumerate(files):
            card = QVBoxLayout()
            picture = QLabel("…")
            picture.setFixedSize(THUMB, THUMB)
            picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
            picture.setToolTip(str(file.path))
            self.pictures[file.id] = picture
            card.addWidget(picture)
            size = f"{file.width} × {file.height} · " if file.width and file.height else ""
            name = picture.fontMetrics().elidedText(file.path.name, Qt.TextElideMode.ElideMiddle,
                                                    THUMB)  # fmt: skip
            facts = QLabel(f"{name}\n{size}{_megabytes(file.size)}\n{file.path.parent.name}/")
            facts.setToolTip(str(file.path))
            card.addWidget(facts)
            keep = QRadioButton("Keep this one")
            keep.setChecked(n == 0)  # the biggest picture comes first
            self.choice.addButton(keep, n)
            card.addWidget(keep)
            row.addLayout(card)
            dialog.loader.request(file.id, file.path, file.size, file.mtime_ns)
        row.addStretch(1)

    def kept(self) -> FileRecord:
        return self.files[max(0, self.choice.checkedId())]

    def others(self) -> list[FileRecord]:
        keep = self.kept()
        return [f for f in self.files if f.id != keep.id]


class DuplicatesDialog(QDialog):
    groups_loaded = Signal()

    def __init__(
        self,
        session,
        pool: QThreadPool,
        parent=None,
        threshold: float = 0.95,
        on_trashed: Callable[[list[int]], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Near-duplicates")
        self.session = session
        self.pool = pool
        self.tasks = TaskGroup(pool)
        self.on_trashed = on_trashed  # file ids trashed: called even after the dialog closed
        self.control = TaskControl()
        self.rows: list[_GroupRow] = []
        self.loader = ThumbnailLoader(session.paths.thumbnails_dir, threads=2, parent=self)
        self.loader.signals.ready.connect(self._thumbnail)
        layout = QVBoxLayout(self)
        self.status = QLabel("Looking for near-duplicates…")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.area = QScrollArea()
        self.area.setWidgetResizable(True)
        self.body = QWidget()
        self.column = QVBoxLayout(self.body)
        self.column.addStretch(1)
        self.area.setWidget(self.body)
        layout.addWidget(self.area, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(900, 640)
        self.tasks.run(_find_groups, session.searcher, threshold, self.control,
                       done=self._found, failed=self._failed, progress=self._progress)  # fmt: skip

    def _progress(self, p) -> None:
        if p.total:
            self.status.setText(f"Comparing photos… {100 * p.done / p.total:.0f}%")

    def _found(self, groups: list[list[FileRecord]]) -> None:
        self._groups = groups
        for files in groups[:MAX_GROUPS]:
            row = _GroupRow(files, self)
            self.rows.append(row)
            self.column.insertWidget(self.column.count() - 1, row)
        self._say()
        self.groups_loaded.emit()

    def _say(self) -> None:
        if not self.rows:
            self.status.setText("No near-duplicates: every photo is unlike the others.")
            return
        photos = sum(len(r.files) for r in self.rows)
        shown = f" (the {MAX_GROUPS} biggest shown)" if len(self._groups) > MAX_GROUPS else ""
        self.status.setText(
            f"{len(self.rows):,} groups of near-identical photos, {photos:,} photos{shown}. "
            "Choose the one to keep in each group."
        )

    def _failed(self, exc: BaseException) -> None:
        self.status.setText(f"Could not look for duplicates: {exc}")
        self.groups_loaded.emit()

    def _thumbnail(self, file_id: int, image: QImage) -> None:
        for row in self.rows:
            picture = row.pictures.get(file_id)
            if picture is not None:
                pixmap = QPixmap.fromImage(image).scaled(
                    THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )  # fmt: skip
                picture.setPixmap(pixmap)

    def confirm(self, question: str) -> bool:
        answer = QMessageBox.question(self, "photofind", question)
        return answer == QMessageBox.StandardButton.Yes

    def trash_others(self, row: _GroupRow) -> None:
        others = row.others()
        question = (
            f"Keep {row.kept().path.name} and move {len(others)} other "
            f"photo{'s' if len(others) > 1 else ''} to the trash?"
        )
        if not self.confirm(question):
            return
        ids = {f.path: f.id for f in others}
        notify, tasks = self.on_trashed, self.tasks

        def done(result: tuple[list[int], list[str]]) -> None:
            gone, failed = result
            if notify is not None:
                notify(gone)
            if not tasks.closed:
                self._trashed(row, failed)

        def failed(exc: BaseException) -> None:
            if tasks.closed:
                log.warning("the trash from a closed duplicates view failed: %s", exc)
            else:
                self._failed(exc)

        # Not on the group: a trash under way finishes, and the window hears of it.
        run_task(self.pool, _trash, self.session.library, ids, done=done, failed=failed)

    def _trashed(self, row: _GroupRow, failed: list[str]) -> None:
        self.rows.remove(row)
        row.deleteLater()
        self._say()
        if failed:
            self.status.setText("; ".join(failed[:3]))

    def done(self, result: int) -> None:  # closing: stop a search still running
        self.tasks.close()
        self.control.cancel()
        self.loader.shutdown()
        super().done(result)

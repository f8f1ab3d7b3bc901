"""Space or double-click on a photo: the photo as large as the screen allows, and its facts.

Left/Right move through the grid's photos (the results or the timeline), 1 or Z shows it at
100% (scroll to look around), 0 or F fits it back, a double-click toggles; Escape or Space
closes. Under the photo: its name, date, size, camera, folder and (for a search) score. The
photo is decoded in a worker at the size the screen needs (JPEG draft mode), and at full
size only for 100%, so even a 50 MP photo opens without freezing the window. GUI thread.

The decoding runs on the window's preview pool (`pool`; without one, the dialog's own): a
photo walked past before its turn is never decoded, and closing drops what the one still
decoding reports without waiting for it (a 48 MP PNG takes seconds); the window waits for
it when it closes (tests/gui/test_dialog_teardown.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QSize, Qt, QThreadPool
from PySide6.QtGui import QGuiApplication, QImage, QKeyEvent, QPixmap
from PySide6.QtWidgets import QDialog, QLabel, QScrollArea, QSizePolicy, QVBoxLayout

from photofind.clip.images import open_image
from photofind.errors import Cancelled, ImageLoadError
from photofind.gui.results import describe
from photofind.gui.workers import TaskGroup
from photofind.search import Hit

ZOOM_KEYS = (Qt.Key.Key_1, Qt.Key.Key_Z)
FIT_KEYS = (Qt.Key.Key_0, Qt.Key.Key_F)


def decode(path: Path, longest: int | None) -> QImage:
    """The photo upright, at least `longest` pixels on its long side (None: full size)."""
    img = open_image(path, min_size=longest)
    if longest is not None:
        img.thumbnail((longest, longest))
    data = img.tobytes("raw", "RGB")
    return QImage(data, img.width, img.height, 3 * img.width, QImage.Format.Format_RGB888).copy()


class Wanted:
    """The serial of the photo the preview shows now: a decode job holds this (plain data,
    never the dialog) and skips a photo already walked past. Set on the GUI thread, read in
    the worker (one int: the GIL makes that safe)."""

    def __init__(self) -> None:
        self.serial = 0


def decode_if_wanted(wanted: Wanted, serial: int, path: Path, longest: int | None) -> QImage:
    if wanted.serial != serial:
        raise Cancelled("moved on to another photo")
    return decode(path, longest)


class PreviewDialog(QDialog):
    """`labels` are the photo's tags, shown under it; `on_key(key)` may take a key press
    (the window's +/- marks) and returns whether it did. With `hits` and `index`, Left/Right
    walk through them; `options(hit)` gives the labels and on_key of another photo."""

    def __init__(
        self,
        hit: Hit,
        parent=None,
        labels: list[str] | None = None,
        on_key: Callable[[int], bool] | None = None,
        *,
        hits: Sequence[Hit] | None = None,
        index: int = 0,
        options: Callable[[Hit], dict[str, Any]] | None = None,
        pool: QThreadPool | None = None,
    ) -> None:
        super().__init__(parent)
        self.hits = list(hits) if hits else [hit]
        self.index = index if hits else 0
        self.options = options
        self.on_key = on_key
        self.zoomed = False  # 100% instead of fit
        self.full: QImage | None = None  # the photo at full size, once decoded
        self.fitted: QImage | None = None
        self._wanted = Wanted()
        if pool is None:
            pool = QThreadPool(self)
            pool.setMaxThreadCount(1)
        self.tasks = TaskGroup(pool)
        layout = QVBoxLayout(self)
        self.area = QScrollArea()
        self.area.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.area.setFrameShape(QScrollArea.Shape.NoFrame)
        self.area.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # arrows move between photos
        self.picture = QLabel("Loading…")
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.area.setWidget(self.picture)
        layout.addWidget(self.area, 1)
        self.info = QLabel()
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.info.setWordWrap(True)
        layout.addWidget(self.info)
        self.tags = QLabel()
        self.tags.setWordWrap(True)
        layout.addWidget(self.tags)
        screen = parent.screen() if parent is not None else QGuiApplication.primaryScreen()
        area = screen.availableGeometry()
        self.resize(int(area.width() * 0.9), int(area.height() * 0.9))
        self._screen_side = int(max(area.width(), area.height()) * screen.devicePixelRatio())
        self.show_hit(self.index, labels)

    @property
    def hit(self) -> Hit:
        return self.hits[self.index]

    def show_hit(self, index: int, labels: list[str] | None = None) -> None:
        self.index = max(0, min(len(self.hits) - 1, index))
        hit = self.hit
        if self.options is not None and labels is None:
            opts = self.options(hit)
            labels = opts.get("labels")
            self.on_key = opts.get("on_key", self.on_key)
        self.setWindowTitle(hit.file.path.name)
        facts = describe(hit)
        position = f"{self.index + 1:,} of {len(self.hits):,}" if len(self.hits) > 1 else ""
        self.info.setText(" · ".join([*facts, position] if position else facts))
        self.tags.setText("tags: " + ", ".join(labels) if labels else "")
        self.full = self.fitted = None
        self.zoomed = False
        self.picture.setPixmap(QPixmap())  # never the last photo under this one's facts
        self.picture.setText("Loading…")
        self._load(self._screen_side)

    @property
    def _serial(self) -> int:
        return self._wanted.serial

    def _load(self, longest: int | None) -> None:
        self._wanted.serial += 1
        serial, path = self._serial, self.hit.file.path
        self.tasks.run(decode_if_wanted, self._wanted, serial, path, longest,
                       done=lambda image: self._decoded(serial, longest, image),
                       failed=lambda exc: self._unreadable(serial, exc))  # fmt: skip

    def _decoded(self, serial: int, longest: int | None, image: QImage) -> None:
        if serial != self._serial or not shiboken6.isValid(self):
            return  # moved on to another photo, or closed
        if longest is None:
            self.full = image
        else:
            self.fitted = image
        self._show()

    def _unreadable(self, serial: int, exc: BaseException) -> None:
        if serial == self._serial and shiboken6.isValid(self):
            self.picture.setPixmap(QPixmap())
            reason = str(exc) if isinstance(exc, ImageLoadError) else f"cannot be read: {exc}"
            self.picture.setText(reason)
            self.picture.resize(self.area.viewport().size())

    def _show(self) -> None:
        """Draw the decoded photo at 100% or fitted into the view."""
        if self.zoomed and self.full is not None:
            pixmap = QPixmap.fromImage(self.full)
            self.picture.setPixmap(pixmap)
            self.picture.resize(pixmap.size())
            return
        image = self.fitted or self.full
        if image is None:
            return
        box = self.area.viewport().size()
        ratio = self.devicePixelRatioF()
        scaled = image.scaled(QSize(int(box.width() * ratio), int(box.height() * ratio)),
                              Qt.AspectRatioMode.KeepAspectRatio,
                              Qt.TransformationMode.SmoothTransformation)  # fmt: skip
        if scaled.width() > image.width():  # never enlarge a small photo past 100%
            scaled = image
        pixmap = QPixmap.fromImage(scaled)
        pixmap.setDevicePixelRatio(ratio)
        self.picture.setPixmap(pixmap)
        self.picture.resize(box)

    def zoom(self, actual: bool) -> None:
        """100% (`actual`) or fit the view."""
        self.zoomed = actual
        if actual and self.full is None:
            self._load(None)
        else:
            self._show()

    def shown_size(self) -> QSize:
        """The photo's size on screen in device pixels (tests)."""
        pixmap = self.picture.pixmap()
        return pixmap.size() if pixmap is not None and not pixmap.isNull() else QSize()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if not self.zoomed:
            self._show()

    def done(self, result: int) -> None:
        self._wanted.serial += 1  # a photo still decoding is not shown any more
        self.tasks.close()
        super().done(result)

    def mouseDoubleClickEvent(self, event) -> None:
        self.zoom(not self.zoomed)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if self.on_key is not None and self.on_key(key):
            return
        if key == Qt.Key.Key_Right:
            self.show_hit(self.index + 1)
        elif key == Qt.Key.Key_Left:
            self.show_hit(self.index - 1)
        elif key in ZOOM_KEYS:
            self.zoom(True)
        elif key in FIT_KEYS:
            self.zoom(False)
        elif key == Qt.Key.Key_Space:
            self.accept()
        else:
            super().keyPressEvent(event)

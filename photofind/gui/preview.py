"""Space on a result: the photo larger, with its name, date, size and camera."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout

from photofind.clip.images import open_image
from photofind.errors import ImageLoadError
from photofind.search import Hit

MAX_SIDE = 1200


class PreviewDialog(QDialog):
    """`labels` are the photo's tags, shown under it; `on_key(key)` may take a key press
    (the window's +/- marks) and returns whether it did."""

    def __init__(
        self,
        hit: Hit,
        parent=None,
        labels: list[str] | None = None,
        on_key: Callable[[int], bool] | None = None,
    ) -> None:
        super().__init__(parent)
        self.on_key = on_key
        file = hit.file
        self.setWindowTitle(file.path.name)
        layout = QVBoxLayout(self)
        picture = QLabel()
        picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        try:
            img = open_image(file.path, min_size=MAX_SIDE)
            img.thumbnail((MAX_SIDE, MAX_SIDE))
            data = img.tobytes("raw", "RGB")
            qimage = QImage(data, img.width, img.height, 3 * img.width, QImage.Format.Format_RGB888)
            picture.setPixmap(QPixmap.fromImage(qimage.copy()))
        except ImageLoadError as exc:
            picture.setText(str(exc))
        layout.addWidget(picture, 1)
        facts = [file.path.name, time.strftime("%Y-%m-%d %H:%M", time.localtime(hit.date))]
        if file.width and file.height:
            facts.append(f"{file.width} x {file.height}")
        facts.append(f"{file.size / 1e6:.1f} MB")
        if file.camera:
            facts.append(file.camera)
        facts.append(f"score {hit.score:.3f}")
        info = QLabel(" · ".join(facts))
        info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(info)
        layout.addWidget(QLabel(str(file.path.parent)))
        self.tags = QLabel("tags: " + ", ".join(labels) if labels else "")
        self.tags.setWordWrap(True)
        layout.addWidget(self.tags)

    def keyPressEvent(self, event) -> None:
        if self.on_key is not None and self.on_key(event.key()):
            return
        super().keyPressEvent(event)

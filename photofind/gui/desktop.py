"""The desktop around the window: open a photo, show it in its folder, copy it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QImage
from PySide6.QtWidgets import QApplication


def open_file(path: Path) -> bool:
    """The photo in the system's default viewer; False when the desktop has no program
    for it (Qt then only logs a warning)."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def show_in_folder(path: Path) -> bool:
    """The platform file manager, with the file selected where the platform allows; False
    when it could not be started."""
    try:
        if sys.platform == "darwin":
            subprocess.Popen(["open", "-R", str(path)])
        elif sys.platform == "win32":
            subprocess.Popen(["explorer", "/select,", str(path)])
        else:
            return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))
    except OSError:
        return False
    return True


def copy_path(path: Path) -> None:
    QApplication.clipboard().setText(str(path))


def copy_image(path: Path) -> None:
    """The picture itself on the clipboard (paste into a chat or a document)."""
    image = QImage(str(path))
    if not image.isNull():
        QApplication.clipboard().setImage(image)

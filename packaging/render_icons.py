"""Render the app icon (photofind/assets/icons/photofind.svg) for every platform.

    python packaging/render_icons.py

Writes photofind-<size>.png in the hicolor sizes (Qt's SVG renderer), photofind.ico (Windows:
16-256 px) and photofind.icns (macOS: 16-512 px) next to the SVG. Run it after editing the SVG
and commit the results: the wheel and the bundle ship them.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PIL import Image
from PySide6.QtCore import QBuffer, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from photofind.appinfo import ICON_SIZES  # noqa: E402

ICONS = ROOT / "photofind" / "assets" / "icons"
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)  # Windows Explorer's largest is 256


def render(renderer: QSvgRenderer, size: int) -> Image.Image:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return Image.open(io.BytesIO(bytes(buffer.data()))).convert("RGBA")


def main() -> None:
    app = QGuiApplication(sys.argv[:1])  # noqa: F841 - Qt needs an application for painting
    renderer = QSvgRenderer(str(ICONS / "photofind.svg"))
    images = {size: render(renderer, size) for size in ICON_SIZES}
    for size, image in images.items():
        out = ICONS / f"photofind-{size}.png"
        image.save(out, optimize=True)
        print(out.relative_to(ROOT))
    biggest = images[max(ICO_SIZES)]
    others = [images[s] for s in ICO_SIZES if s != max(ICO_SIZES)]
    biggest.save(ICONS / "photofind.ico", sizes=[(s, s) for s in ICO_SIZES], append_images=others)
    images[512].save(ICONS / "photofind.icns", append_images=list(images.values()))
    print((ICONS / "photofind.ico").relative_to(ROOT), (ICONS / "photofind.icns").relative_to(ROOT))


if __name__ == "__main__":
    main()

"""Photos with known pixels and a grid over them, without a library or model."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw
from PySide6.QtCore import QModelIndex
from PySide6.QtGui import QImage

from photofind.gui.grid.view import PhotoGrid
from photofind.gui.results import ResultsModel
from photofind.gui.thumbnails import ThumbnailLoader
from photofind.library.records import FileRecord
from photofind.search import Hit

BLUE, RED = (30, 60, 200), (220, 20, 20)


def framed_photo(path: Path, size: tuple[int, int], exif_rotate: bool = False) -> Path:
    """Blue inside a 6% red frame: a tile that shows red on all four edges is not cropped.
    `exif_rotate` stores the pixels sideways with EXIF orientation 6 (as phones do)."""
    w, h = size
    img = Image.new("RGB", size, RED)
    bw, bh = max(2, w * 6 // 100), max(2, h * 6 // 100)
    ImageDraw.Draw(img).rectangle((bw, bh, w - 1 - bw, h - 1 - bh), fill=BLUE)
    path.parent.mkdir(parents=True, exist_ok=True)
    if exif_rotate:
        exif = Image.Exif()
        exif[0x0112] = 6  # rotate 90° clockwise to display
        img.transpose(Image.Transpose.ROTATE_90).save(path, quality=95, exif=exif)
    else:
        img.save(path, quality=95)
    return path


def hit_of(path: Path, file_id: int, size: tuple[int, int], *, date: float = 1.7e9,
           status: str = "ok", offline: bool = False, score: float = 0.3) -> Hit:  # fmt: skip
    w, h = size
    record = FileRecord(file_id, 1, path, path.stat().st_size if path.exists() else 1,
                        int(date * 1e9), None, w, h, None, None, "jpg", status, None)  # fmt: skip
    return Hit(record, score, offline)


def make_grid(qtbot, tmp_path: Path, width: int = 820, height: int = 600):
    loader = ThumbnailLoader(tmp_path / "thumbs")
    model = ResultsModel(loader)
    grid = PhotoGrid()
    grid.setModel(model)
    grid.resize(width, height)
    qtbot.addWidget(grid)
    grid.show()
    return grid, model, loader


def load_thumbnails(qtbot, grid, model) -> None:
    for row in range(model.rowCount()):
        model.data(model.index(row), 1)  # DecorationRole asks for the thumbnail
    qtbot.waitUntil(lambda: all(model.has_thumbnail(h.file.id) or model.state(h) != "ok"
                                for h in model.hits), timeout=20_000)  # fmt: skip


def render(grid) -> QImage:
    grid.viewport().repaint()
    return grid.viewport().grab().toImage()


def tile(grid, row: int):
    return grid.visualRect(grid.model().index(row, 0, QModelIndex()))

"""Find similar shows the photo in its chip as the grid's tile does: upright, in any format
the library indexes (an AVIF that Qt's own readers cannot open, a phone photo stored
sideways with an EXIF orientation), from the tile's cached thumbnail rather than the
original decoded on the GUI thread (0.6 s for a 48 MP photo)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from PySide6.QtCore import QSize

from tests.gui.grid_fixtures import framed_photo
from tests.gui.shell_fixtures import TIMEOUT, index_folder, model_window


def chip_size(win) -> QSize:
    icon = win.image_chip.icon()
    assert not icon.isNull(), "the chip shows no picture"
    return icon.pixmap(QSize(64, 64)).size()


def test_the_similar_chip_shows_the_photo_upright_in_any_format(
    qtbot, tmp_path: Path, tiny_model_dir: Path
) -> None:
    folder = tmp_path / "photos"
    framed_photo(folder / "phone.jpg", (800, 1200), exif_rotate=True)  # stored 1200 x 800
    Image.new("RGB", (1200, 800), (200, 40, 40)).save(folder / "modern.avif")
    win = model_window(qtbot, tmp_path, tiny_model_dir)
    index_folder(qtbot, win, folder)
    assert win.folder_state(folder) == "up to date"
    qtbot.waitUntil(lambda: len(win.results.hits) == 2, timeout=TIMEOUT)
    win.view.viewport().repaint()  # the tiles' thumbnails, as on screen
    ids = [h.file.id for h in win.results.hits]
    qtbot.waitUntil(lambda: all(win.results.has_thumbnail(i) for i in ids), timeout=TIMEOUT)
    hits = {h.file.path.name: h for h in win.results.hits}
    with qtbot.waitSignal(win.search_finished, timeout=TIMEOUT):
        win.find_similar(hits["modern.avif"])
    size = chip_size(win)
    assert size.width() > size.height(), size
    with qtbot.waitSignal(win.search_finished, timeout=TIMEOUT):
        win.find_similar(hits["phone.jpg"])
    size = chip_size(win)
    assert size.height() > size.width(), f"the chip shows the phone photo sideways: {size}"

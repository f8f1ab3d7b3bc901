"""A smart album saved from a search shows the photos that search matched, as many as the
sidebar counts: its photos are the ones scoring at or above the cut-off read off the search
(`search/albums.py`), not a second cut made among those alone."""

from __future__ import annotations

from PySide6.QtCore import Qt

from photofind.testing.synthetic import make_photo
from tests.gui.shell_fixtures import TIMEOUT, index_folder, model_window, names, search

OTHERS = [("blue", "square"), ("green", "star"), ("yellow", "heart"), ("purple", "cross")]


def test_an_album_shows_every_photo_its_search_matched(qtbot, tmp_path, tiny_model_dir) -> None:
    folder = tmp_path / "photos"
    for n in range(10):  # more matches than the cut shows whole as a "small" group
        make_photo(folder / f"red-circle-{n}.jpg", "red", "circle", seed=n)
    for n, (colour, shape) in enumerate(OTHERS * 4, 10):
        make_photo(folder / f"{colour}-{shape}-{n}.jpg", colour, shape, seed=n)
    window = model_window(qtbot, tmp_path, tiny_model_dir)
    index_folder(qtbot, window, folder)
    matched = search(qtbot, window, "a photo of a red circle")
    assert len(matched) >= 8 and all(n.startswith("red-circle") for n in matched)
    panel = window.features.panel
    with qtbot.waitSignal(window.things_refreshed, timeout=TIMEOUT):
        window.features.marks.save_requested.emit("Red")
    qtbot.waitUntil(lambda: panel.names(panel.albums) == ["Red"], timeout=TIMEOUT)
    assert f"({len(matched)})" in panel.albums.item(0).text()
    window.search_field.clear()
    with qtbot.waitSignal(window.search_finished, timeout=TIMEOUT):
        rect = panel.albums.visualItemRect(panel.albums.item(0))
        qtbot.mouseClick(panel.albums.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert names(window) == matched
    assert window.hint.text() == f"{len(matched)} photos"

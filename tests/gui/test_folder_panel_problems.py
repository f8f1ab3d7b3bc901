"""The window's folder list says what the latest scan could not open (as `photofind status`
does): a linked subfolder whose drive went away shows as "not opened", the tooltip says
which and why, and both go when the drive is back."""

from __future__ import annotations

from pathlib import Path

from photofind.gui.folder_panel import ID_ROLE
from tests.gui.shell_fixtures import TIMEOUT, index_folder, model_window, photos


def _item_of(window, folder: Path):
    listed = window.folders.folder_list
    for row in range(listed.count()):
        item = listed.item(row)
        shown = window.session.library.catalog.folders()
        if any(f.id == item.data(ID_ROLE) and f.path == folder for f in shown):
            return item
    raise AssertionError(f"{folder} is not in the folder list")


def test_a_linked_subfolder_away_shows_in_the_folder_list(qtbot, tmp_path, tiny_model_dir):
    drive, folder = tmp_path / "drive", tmp_path / "photos"
    photos(drive / "trip", [("red", "circle"), ("blue", "square")])
    photos(folder, [("green", "triangle")], start=2)
    (folder / "trip").symlink_to(drive / "trip", target_is_directory=True)
    win = model_window(qtbot, tmp_path, tiny_model_dir)
    index_folder(qtbot, win, folder)
    assert "not opened" not in _item_of(win, folder).text()

    (drive / "trip").rename(drive / "elsewhere")  # the drive behind the link is unplugged
    win.start_indexing()
    qtbot.waitUntil(lambda: "1 not opened" in _item_of(win, folder).text(), timeout=TIMEOUT)
    tip = _item_of(win, folder).toolTip()
    assert str(folder / "trip") in tip and "missing" in tip, tip

    (drive / "elsewhere").rename(drive / "trip")
    win.start_indexing()
    qtbot.waitUntil(lambda: "not opened" not in _item_of(win, folder).text(), timeout=TIMEOUT)
    assert str(folder / "trip") not in _item_of(win, folder).toolTip()

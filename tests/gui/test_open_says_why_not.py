"""Open (Return) and Show in folder on a photo that is not there say why in the status bar:
on a folder whose drive is unplugged the window marks the tile "offline", and pressing
Return on it used to do nothing at all. So did Return on a desktop with no program set to
open photos."""

from __future__ import annotations

import shutil

from PySide6.QtCore import Qt

from tests.gui.shell_fixtures import index_folder, model_window, photos, search

KINDS = [("red", "circle"), ("blue", "square"), ("green", "star")]


def test_open_and_show_in_folder_on_a_photo_that_is_away_say_so(
    qtbot, tmp_path, tiny_model_dir
) -> None:
    window = model_window(qtbot, tmp_path, tiny_model_dir)
    folder = photos(tmp_path / "drive" / "photos", KINDS)
    index_folder(qtbot, window, folder)
    assert "red-circle.jpg" in search(qtbot, window, "a photo of a red circle")
    shutil.move(tmp_path / "drive", tmp_path / "unplugged")  # the drive goes away
    try:
        window.view.setCurrentIndex(window.results.index(0))
        window.view.setFocus()
        qtbot.keyClick(window.view, Qt.Key.Key_Return)
        said = window.status.progress_label.text()
        assert said == "Cannot open red-circle.jpg: it is not there (is its drive connected?)"
        window.status.show_message("")
        window.photo_actions.show_in_folder()
        said = window.status.progress_label.text()
        assert said == "Cannot show red-circle.jpg: it is not there (is its drive connected?)"
    finally:
        shutil.move(tmp_path / "unplugged", tmp_path / "drive")
    # Back, but no program to open it with: Qt's offscreen platform opens no document, as a
    # desktop without xdg-open does not; Qt itself only logs a warning then.
    qtbot.keyClick(window.view, Qt.Key.Key_Return)
    said = window.status.progress_label.text()
    assert said == "Cannot open red-circle.jpg: the desktop has no program for it"

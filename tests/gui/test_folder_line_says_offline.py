"""A folder's line in the sidebar says "offline" (and "indexing") also when some of its files
could not be read: most real folders hold one broken file, and the greyed line alone did not
say that its drive is away."""

from __future__ import annotations

import shutil

from tests.gui.shell_fixtures import TIMEOUT, index_folder, model_window, photos

KINDS = [("red", "circle"), ("blue", "square"), ("green", "star")]


def _line(window, row: int = 0) -> str:
    return window.folder_list.item(row).text().split("\n")[1]


def test_an_offline_folder_with_an_unreadable_file_says_offline(
    qtbot, tmp_path, tiny_model_dir
) -> None:
    window = model_window(qtbot, tmp_path, tiny_model_dir)
    folder = photos(tmp_path / "drive" / "photos", KINDS)
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a jpeg")
    index_folder(qtbot, window, folder)
    assert _line(window) == "4 photos · 1 unreadable"
    shutil.move(tmp_path / "drive", tmp_path / "unplugged")  # the drive goes away
    try:
        window.start_indexing()  # as the watcher or the next launch does: a scan
        qtbot.waitUntil(lambda: window.folder_state(folder) == "offline", timeout=TIMEOUT)
        qtbot.waitUntil(lambda: not window.indexing, timeout=TIMEOUT)
        assert _line(window) == "4 photos · offline · 1 unreadable"
    finally:
        shutil.move(tmp_path / "unplugged", tmp_path / "drive")

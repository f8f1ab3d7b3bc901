"""Files that could not be read: counted on their folder's row, listed (name, folder, why) in
the panel the status bar opens."""

from __future__ import annotations

from shell_fixtures import TIMEOUT, index_folder, model_window, photos


def test_unreadable_files_are_counted_and_listed(qtbot, tmp_path, tiny_model_dir):
    folder = photos(tmp_path / "photos", [("red", "circle"), ("blue", "square")])
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff not really a jpeg")
    (folder / "empty.png").write_bytes(b"")
    win = model_window(qtbot, tmp_path, tiny_model_dir)
    index_folder(qtbot, win, folder)
    assert "2 unreadable" in win.folder_list.item(0).text()
    button = win.status.errors_button
    assert button.isVisible() and "2 unreadable" in button.text()
    button.click()
    panel = win.errors_panel
    qtbot.waitUntil(lambda: panel.table.rowCount() == 2, timeout=TIMEOUT)
    rows = sorted(panel.rows())
    assert [r[0] for r in rows] == ["broken.jpg", "empty.png"]
    assert all(r[1] == str(folder) and r[2] for r in rows), rows
    assert "2 files could not be read" in panel.summary.text()
    win.close()

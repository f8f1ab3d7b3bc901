"""Photos dropped into a watched folder while the window is open: once the watcher has indexed
them, the status bar says how many are new, not the count of the launch's pass ("Up to date
(40 new)" after ten more arrived)."""

from __future__ import annotations

from shell_fixtures import TIMEOUT, index_folder, model_window, names, photos

KINDS = [("red", "circle"), ("blue", "square")]
DROPPED = [("green", "star"), ("yellow", "heart"), ("purple", "cross")]


def test_the_status_bar_counts_what_the_watcher_indexed(qtbot, tmp_path, tiny_model_dir) -> None:
    window = model_window(qtbot, tmp_path, tiny_model_dir)
    try:
        folder = photos(tmp_path / "photos", KINDS)
        index_folder(qtbot, window, folder)
        assert window.status.progress_label.text() == "Up to date (2 new)"
        with qtbot.waitSignal(window.controller.watcher_indexed, timeout=TIMEOUT):
            photos(folder, DROPPED, start=len(KINDS))
        qtbot.waitUntil(lambda: len(names(window)) == 5, timeout=TIMEOUT)
        assert window.status.progress_label.text() == "Up to date (3 new)"
    finally:
        window.close()

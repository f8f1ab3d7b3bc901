"""Preferences: folders with exclusions, threads, start indexing at launch and the thumbnail
cache limit persist; Clear empties the thumbnail cache."""

from __future__ import annotations

from shell_fixtures import TIMEOUT, model_window, photos

from photofind.gui.main_window import MainWindow
from photofind.gui.preferences import Preferences
from photofind.session import open_session


def test_preferences_persist_and_clear_the_cache(qtbot, tmp_path, tiny_model_dir):
    win = model_window(qtbot, tmp_path, tiny_model_dir)
    thumbs = win.session.paths.thumbnails_dir
    (thumbs / "ab").mkdir(parents=True, exist_ok=True)
    (thumbs / "ab" / "x.jpg").write_bytes(b"x" * 300_000)
    dialog = win.show_preferences()
    qtbot.addWidget(dialog)
    assert "0.3 MB" in dialog.cache_usage.text()
    dialog.clear_button.click()
    assert dialog.cache_usage.text() == "0.0 MB" and not (thumbs / "ab" / "x.jpg").exists()

    folder = photos(tmp_path / "photos", [("red", "circle")])
    dialog.add_folder(folder, "*.tmp, Screenshots/*")
    assert "leaving out *.tmp, Screenshots/*" in dialog.folder_list.item(0).text()
    assert win.session.library.catalog.folders()[0].exclude == ("*.tmp", "Screenshots/*")

    dialog.threads.setValue(1)
    dialog.at_launch.setChecked(False)
    dialog.cache_limit.setValue(64)
    dialog.accept()
    saved = Preferences.load()
    assert saved == Preferences(threads=1, index_at_launch=False, thumbnail_limit_mb=64)
    assert win.controller.index_at_launch is False
    qtbot.waitUntil(lambda: not win.indexing, timeout=TIMEOUT)
    win.close()

    # The next start (same settings): the dialog shows them, and no pass runs at launch.
    lib = tmp_path / "lib"
    (folder / "new.jpg").write_bytes((folder / "red-circle.jpg").read_bytes())
    again = MainWindow(lambda: open_session(lib, tiny_model_dir))
    qtbot.addWidget(again)
    qtbot.waitUntil(lambda: again.session is not None, timeout=TIMEOUT)
    assert again.controller.index_at_launch is False and not again.indexing
    shown = again.show_preferences()
    qtbot.addWidget(shown)
    assert (shown.threads.value(), shown.at_launch.isChecked(), shown.cache_limit.value()) == (
        1,
        False,
        64,
    )
    assert again.session.library.status()["pending"] == 0, "new.jpg waits: nothing scanned it"
    again.close()
    Preferences().save()  # a later test's window (same settings path) indexes at launch again

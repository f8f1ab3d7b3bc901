"""The grid in the real window: the timeline at start, actions and preview on the selection."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt

from photofind.gui.app import create_app
from photofind.gui.main_window import MainWindow
from photofind.session import open_session
from photofind.testing.synthetic import make_photo

TIMEOUT = 60_000
KINDS = [("red", "circle"), ("blue", "square"), ("green", "triangle"), ("yellow", "star"),
         ("purple", "heart"), ("orange", "cross")]  # fmt: skip


@pytest.fixture
def window(qtbot, tmp_path, tiny_model_dir, monkeypatch):
    create_app([])
    from PySide6.QtCore import QSettings

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "qs"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    photos = tmp_path / "photos"
    now = time.time()
    for n, (colour, shape) in enumerate(KINDS):
        path = make_photo(photos / f"{n}-{colour}-{shape}.jpg", colour, shape, seed=n,
                          size=[(800, 600), (600, 900), (700, 700)][n % 3])  # fmt: skip
        when = now - n * 40 * 86400  # one a month and a bit: newest is 0-red-circle
        os.utime(path, (when, when))
    win = MainWindow(lambda: open_session(tmp_path / "lib", tiny_model_dir))
    qtbot.addWidget(win)
    win.resize(1000, 700)
    win.show()
    qtbot.waitUntil(lambda: win.session is not None, timeout=TIMEOUT)
    win.add_folder(photos)
    qtbot.waitUntil(lambda: win.folder_state(photos) == "up to date", timeout=TIMEOUT)
    qtbot.waitUntil(lambda: win.results.rowCount() == len(KINDS), timeout=TIMEOUT)
    yield win
    win.close()


def names(window) -> list[str]:
    return [h.file.path.name for h in window.results.hits]


def test_the_window_opens_on_the_timeline_newest_first(qtbot, window) -> None:
    assert names(window) == [f"{n}-{c}-{s}.jpg" for n, (c, s) in enumerate(KINDS)]
    assert len(window.view.grid.headers) >= 4, "one header per month"
    assert not window.view.selectionModel().selectedIndexes(), "nothing selected by itself"
    # A search replaces the timeline; Esc brings it back.
    with qtbot.waitSignal(window.search_finished, timeout=TIMEOUT):
        qtbot.keyClicks(window.search_field, "a photo of a blue square")
    assert names(window)[0] == "1-blue-square.jpg"
    assert not window.view.grid.headers, "ranked results have no date headers"
    assert window.view.currentIndex().row() == 0, "Space previews the best match"
    assert not window.view.selectionModel().selectedIndexes(), "but it is not selected"
    with qtbot.waitSignal(window.search_finished, timeout=TIMEOUT):
        qtbot.keyClick(window.search_field, Qt.Key.Key_Escape)
    assert names(window)[0] == "0-red-circle.jpg" and window.view.grid.headers


def test_trash_from_the_window_forgets_the_photos(qtbot, window, tmp_path, monkeypatch) -> None:
    view, model = window.view, window.results
    for row in (1, 3):
        view.selectionModel().select(model.index(row), QItemSelectionModel.SelectionFlag.Select)
    chosen = [model.hits[r].file for r in (1, 3)]
    monkeypatch.setattr(window.photo_actions, "confirm", lambda question: True)
    view.setFocus()
    with qtbot.waitSignal(window.photo_actions.done, timeout=TIMEOUT):
        qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert not any(f.path.exists() for f in chosen)
    trash = Path(tmp_path / "xdg" / "Trash" / "files")
    assert sorted(p.name for p in trash.iterdir()) == sorted(f.path.name for f in chosen)
    assert len(names(window)) == len(KINDS) - 2
    want = f"{len(KINDS) - 2} photos, newest first"
    qtbot.waitUntil(lambda: window.hint.text() == want, timeout=TIMEOUT)  # read from the catalog
    assert not window.session.library.catalog.get_files([f.id for f in chosen])
    with qtbot.waitSignal(window.search_finished, timeout=TIMEOUT):
        qtbot.keyClicks(window.search_field, "a photo of a blue square")
    assert chosen[0].path.name not in names(window), "searches stop finding them"


def test_the_count_after_a_trash_is_the_librarys_when_the_watcher_saw_it_first(
    qtbot, window, monkeypatch
) -> None:
    """The watcher sees the trashed files leave their folder and reloads the timeline, often
    before the trash reports back. The count was then lowered twice: 6 photos, 2 trashed,
    "2 photos, newest first" over a grid of 4. Here the trash waits for the watcher's reload."""
    from photofind.gui import results_actions

    real = results_actions.move_to_trash

    def after_the_watchers_reload(paths):
        result = real(paths)
        deadline = time.monotonic() + 30
        while window.timeline.total != len(KINDS) - 2 and time.monotonic() < deadline:
            time.sleep(0.02)  # a pool thread: the watcher's reload lands on the GUI thread
        return result

    monkeypatch.setattr(results_actions, "move_to_trash", after_the_watchers_reload)
    monkeypatch.setattr(window.photo_actions, "confirm", lambda question: True)
    shown: list[str] = []
    set_text = window.hint.setText
    monkeypatch.setattr(window.hint, "setText", lambda text: (shown.append(text), set_text(text)))
    view, model = window.view, window.results
    for row in (1, 3):
        view.selectionModel().select(model.index(row), QItemSelectionModel.SelectionFlag.Select)
    view.setFocus()
    with qtbot.waitSignal(window.photo_actions.done, timeout=TIMEOUT):
        qtbot.keyClick(view, Qt.Key.Key_Delete)
    want = f"{len(KINDS) - 2} photos, newest first"
    qtbot.waitUntil(lambda: window.hint.text() == want and len(names(window)) == 4, timeout=TIMEOUT)
    qtbot.wait(300)  # nothing later lowers it again
    assert window.hint.text() == want
    counts = [int(text.split()[0]) for text in shown if text.endswith("newest first")]
    assert min(counts) == len(KINDS) - 2, shown  # never below what the library holds


def test_space_previews_and_walks_the_grid(qtbot, window, monkeypatch) -> None:
    from photofind.gui import preview

    opened = []
    monkeypatch.setattr(preview.PreviewDialog, "exec", lambda self: opened.append(self) or 0)
    window.view.setCurrentIndex(window.results.index(2))
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_Space)
    dialog = opened[0]
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == names(window)[2] and "3 of 6" in dialog.info.text()
    qtbot.keyClick(dialog, Qt.Key.Key_Right)
    assert dialog.windowTitle() == names(window)[3]

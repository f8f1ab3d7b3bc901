"""The desktop app on the tiny model and generated photos (pytest-qt, offscreen)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDropEvent

from photofind.gui.app import create_app
from photofind.gui.main_window import MainWindow
from photofind.session import open_session
from photofind.testing.synthetic import make_photo

PHOTOS = [("red", "circle"), ("blue", "square"), ("green", "triangle"), ("yellow", "star")]
TIMEOUT = 60_000


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    for n, (colour, shape) in enumerate(PHOTOS):
        make_photo(folder / f"{colour}-{shape}.jpg", colour, shape, seed=n)
    return folder


@pytest.fixture
def window(qtbot, tmp_path, tiny_model_dir, monkeypatch):
    create_app([])
    from PySide6.QtCore import QSettings

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "qs"))
    lib = tmp_path / "lib"
    win = MainWindow(lambda: open_session(lib, tiny_model_dir))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.session is not None, timeout=TIMEOUT)
    yield win
    win.close()


def index_folder(qtbot, window: MainWindow, folder: Path) -> None:
    window.add_folder(folder)
    qtbot.waitUntil(lambda: window.folder_state(folder) == "up to date", timeout=TIMEOUT)


def search(qtbot, window: MainWindow, text: str) -> list[str]:
    with qtbot.waitSignal(window.search_finished, timeout=TIMEOUT):
        qtbot.keyClicks(window.search_field, text)  # debounced live search
    return [h.file.path.name for h in window.results.hits]


def test_welcome_then_add_folder_index_and_find(qtbot, window, photos):
    assert window.stack.currentWidget() is window.welcome, "no folders yet: the welcome view"
    index_folder(qtbot, window, photos)
    assert window.stack.currentIndex() == 1
    assert window.folder_state(photos) == "up to date"
    names = search(qtbot, window, "a photo of a red circle")
    assert names[0] == "red-circle.jpg"
    assert window.view.currentIndex().row() == 0
    # Thumbnails arrive from worker threads.
    first = window.results.hits[0].file.id
    window.results.data(window.results.index(0), Qt.ItemDataRole.DecorationRole)
    qtbot.waitUntil(lambda: window.results.has_thumbnail(first), timeout=TIMEOUT)


def test_find_similar_from_a_result(qtbot, window, photos):
    index_folder(qtbot, window, photos)
    search(qtbot, window, "a photo of a blue square")
    hit = window.hit_at(0)
    with qtbot.waitSignal(window.search_finished, timeout=TIMEOUT):
        window.find_similar(hit)
    names = [h.file.path.name for h in window.results.hits]
    assert "blue-square.jpg" not in names and len(names) == len(PHOTOS) - 1
    assert window.image_chip.isVisible()


def test_drop_an_image_to_search_by_it(qtbot, window, photos, tmp_path):
    index_folder(qtbot, window, photos)
    query = tmp_path / "elsewhere" / "query.jpg"
    make_photo(query, "green", "triangle", seed=42, size=(500, 400))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(query))])
    event = QDropEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)  # fmt: skip
    with qtbot.waitSignal(window.search_finished, timeout=TIMEOUT):
        window.dropEvent(event)
    assert window.results.hits[0].file.path.name == "green-triangle.jpg"
    with qtbot.waitSignal(window.search_finished, timeout=TIMEOUT):
        qtbot.keyClick(window.search_field, Qt.Key.Key_Escape)
    # No query any more: the grid is the timeline of the whole library again.
    shown = sorted(h.file.path.name for h in window.results.hits)
    assert shown == sorted(f"{c}-{s}.jpg" for c, s in PHOTOS)


def test_remove_a_folder(qtbot, window, photos):
    index_folder(qtbot, window, photos)
    folder_id = window.session.library.catalog.folders()[0].id
    window.remove_folder(folder_id)
    qtbot.waitUntil(lambda: window.folder_list.count() == 0, timeout=TIMEOUT)
    assert window.session.library.status()["files"] == 0
    assert window.stack.currentWidget() is window.welcome


def test_offline_folder_is_shown_as_such(qtbot, window, photos, tmp_path):
    index_folder(qtbot, window, photos)
    photos.rename(tmp_path / "unplugged")
    window.session.library.scan()
    window.refresh_folders()
    assert window.folder_state(photos) == "offline"
    assert "missing" in window.folder_list.item(0).toolTip(), "the tooltip says why"
    names = search(qtbot, window, "a photo of a red circle")
    assert names[0] == "red-circle.jpg" and window.results.hits[0].offline
    shutil.move(tmp_path / "unplugged", photos)


def test_welcome_view_without_a_model(qtbot, tmp_path):
    create_app([])
    win = MainWindow(lambda: open_session(tmp_path / "lib", None))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.session is not None, timeout=TIMEOUT)
    assert win.stack.currentWidget() is win.welcome
    assert win.welcome.model_button.isVisible()
    assert "needs a CLIP model" in win.welcome.message.text()
    assert win.model_label.text() == "No model"
    win.close()


def test_model_dialog_imports_an_immich_folder_and_switches(qtbot, window, photos, tmp_path,
                                                           tiny_immich_dir):  # fmt: skip
    from photofind.gui.model_dialog import ModelDialog
    from photofind.modelstore.registry import recommended

    index_folder(qtbot, window, photos)
    cache = tmp_path / "immich-cache" / "tiny__immich"
    shutil.copytree(tiny_immich_dir, cache)

    dialog = ModelDialog(window._store(), window.use_model, window)
    qtbot.addWidget(dialog)
    assert dialog.catalog.count() >= 4, "the catalog's models are offered"
    assert dialog.catalog.currentItem().data(Qt.ItemDataRole.UserRole) == recommended()
    dialog.import_folder(cache)
    qtbot.waitUntil(lambda: dialog.installed.count() == 1, timeout=TIMEOUT)
    dialog.installed.setCurrentRow(0)
    dialog._use()
    qtbot.waitUntil(lambda: window.model_label.text() == "Model: tiny__immich", timeout=TIMEOUT)
    assert window.session.library.catalog.embedding_count("tiny__immich") == len(PHOTOS)
    names = search(qtbot, window, "a photo of a red circle")
    assert names[0] == "red-circle.jpg"


def test_open_with_an_image_searches_by_it(qtbot, tmp_path, tiny_model_dir, photos):
    create_app([])
    lib = tmp_path / "lib"
    with open_session(lib, tiny_model_dir) as session:
        session.library.add_folder(photos)
        session.library.index()
    query = tmp_path / "opened.jpg"
    make_photo(query, "yellow", "star", seed=7, size=(600, 400))
    win = MainWindow(lambda: open_session(lib, tiny_model_dir))
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.search_finished, timeout=TIMEOUT):
        win.search_on_open(query)
        win.show()
    assert win.results.hits[0].file.path.name == "yellow-star.jpg"
    win.close()

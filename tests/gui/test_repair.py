"""A damaged or missing model keeps the folders and library in view and offers repairs."""

from __future__ import annotations

import shutil

import pytest
from shell_fixtures import TIMEOUT, open_window, photos, search

from photofind.session import model_store, open_session


@pytest.fixture
def library(tmp_path, tiny_model_dir):
    """A library indexed with an installed model, whose graph is then damaged."""
    lib = tmp_path / "lib"
    folder = photos(tmp_path / "photos", [("red", "circle"), ("blue", "square")])
    with open_session(lib, load_model=False) as s:
        store = model_store(s.paths)
        store.import_folder(tiny_model_dir, name="tiny")
        store.use("tiny")
    with open_session(lib) as s:
        s.library.add_folder(folder)
        s.library.index()
    graph = lib / "models" / "tiny" / "visual.onnx"
    graph.write_bytes(graph.read_bytes()[:2000])  # a disk error, a bad copy
    return lib


def _window(qtbot, tmp_path, lib):
    return open_window(qtbot, tmp_path, lambda: open_session(lib),
                       lambda: open_session(lib, load_model=False))  # fmt: skip


def test_a_damaged_model_keeps_the_library_in_view_and_is_repaired(qtbot, tmp_path, library,
                                                                  tiny_model_dir):  # fmt: skip
    win = _window(qtbot, tmp_path, library)
    assert win.stack.currentWidget() is not win.welcome, "never the welcome page again"
    assert win.folder_list.count() == 1 and "2 photos" in win.folder_list.item(0).text()
    assert win.repair.isVisible() and "tiny could not be loaded" in win.repair.message.text()
    assert win.repair.verify_button.isVisible()
    win.repair.verify_button.click()
    qtbot.waitUntil(lambda: "damaged" in win.repair.message.text(), timeout=TIMEOUT)

    win.import_model(tiny_model_dir)  # "Import a model folder…", the folder chosen
    qtbot.waitUntil(lambda: win.session.model is not None, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: not win.repair.isVisible(), timeout=TIMEOUT)
    assert win.controller.model_problem is None
    assert "red-circle.jpg" in search(qtbot, win, "a photo of a red circle")
    win.close()


def test_a_missing_model_folder_offers_the_same_repairs(qtbot, tmp_path, library):
    shutil.rmtree(library / "models" / "tiny")
    win = _window(qtbot, tmp_path, library)
    assert win.stack.currentWidget() is not win.welcome
    assert win.folder_list.count() == 1 and win.repair.isVisible()
    assert win.repair.import_button.isVisible() and win.repair.models_button.isVisible()
    win.close()

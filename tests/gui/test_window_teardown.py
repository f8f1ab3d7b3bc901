"""A closed window leaves no Qt object to Python's cycle collector and starts no more work.

Python collects reference cycles in whatever thread happens to allocate: a thumbnail job, an
index worker, the tokenizer's thread. A Qt object that only the collector would free (a
parentless QObject, a QPixmap or QIcon kept in a Python attribute) is then destroyed in that
thread, off the GUI thread, while the GUI thread builds the next window: seen in CI as a
segfault in a thumbnail job. These tests run the real window on real photos with its real
thread pools and close it the way pytest-qt does.
"""

from __future__ import annotations

import gc
import threading
from pathlib import Path

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QObject
from PySide6.QtGui import QIcon, QPixmap

from photofind.gui.main_window import MainWindow
from photofind.session import open_session
from tests.gui.shell_fixtures import (
    TIMEOUT,
    index_folder,
    isolated_settings,
    model_window,
    photos,
    search,
)

KINDS = [(c, s) for c in ("red", "blue", "green") for s in ("circle", "square", "triangle")]


def left_to_collector(before: set[int]) -> list[object]:
    """Qt objects made since `before` that Python owns and C++ still holds: the cycle
    collector would destroy them, in whatever thread it runs."""
    found = []
    for obj in gc.get_objects():
        if id(obj) in before or not isinstance(obj, (QObject, QPixmap, QIcon)):
            continue
        if not (shiboken6.isValid(obj) and shiboken6.ownedByPython(obj)):
            continue
        if isinstance(obj, (QPixmap, QIcon)) and obj.isNull():
            continue  # holds nothing: destroying it frees nothing
        found.append(obj)
    return found


def close_and_delete(window: MainWindow) -> None:
    """As pytest-qt (and Qt, for a window deleted on close) does: close, then the deferred
    delete, on the GUI thread."""
    window.close()
    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QCoreApplication.processEvents()


def busy_window(qtbot, tmp_path: Path, tiny_model_dir: Path) -> MainWindow:
    """A window with every part in use: indexed photos, a search with its thumbnails on
    screen, the sidebar's Things with their sample thumbnails."""
    isolated_settings(tmp_path)  # not qtbot.addWidget: the test deletes the window itself
    win = MainWindow(lambda: open_session(tmp_path / "lib", tiny_model_dir))
    win.show()
    qtbot.waitUntil(lambda: win.session is not None, timeout=TIMEOUT)
    index_folder(qtbot, win, photos(tmp_path / "photos", KINDS))
    search(qtbot, win, "a photo of a red circle")
    win.view.viewport().repaint()  # cells ask for their thumbnails when painted
    ids = [h.file.id for h in win.results.hits]
    qtbot.waitUntil(lambda: all(win.results.has_thumbnail(i) for i in ids), timeout=TIMEOUT)
    panel = win.features.panel
    with qtbot.waitSignal(win.things_refreshed, timeout=TIMEOUT):
        panel.add_label_requested.emit("reds=a red shape")
    blank = panel._blank.cacheKey()

    def a_sample_shows() -> bool:  # the list's items are read afresh: a refresh replaces them
        items = [panel.things.item(i) for i in range(panel.things.count())]
        return any(i.icon().cacheKey() != blank for i in items)

    qtbot.waitUntil(a_sample_shows, timeout=TIMEOUT)
    return win


def test_a_closed_window_leaves_no_qt_object_to_the_collector(qtbot, tmp_path, tiny_model_dir):
    gc.collect()
    before = {id(o) for o in gc.get_objects()}
    win = busy_window(qtbot, tmp_path, tiny_model_dir)
    close_and_delete(win)
    left = left_to_collector(before)
    names = sorted(f"{type(o).__name__} {o.objectName() if isinstance(o, QObject) else ''}"
                   for o in left)  # fmt: skip
    assert names == [], "the collector would destroy these off the GUI thread: " + ", ".join(names)


def test_things_that_arrive_after_the_window_closed_start_no_thumbnail(
    qtbot, tmp_path, tiny_model_dir, monkeypatch
):
    """The sidebar's answer, worked out while closing waited for the workers, is delivered
    after the close: it starts no thumbnail job, so nothing runs on into the next window."""
    import photofind.gui.clip_features as clip_features

    win = model_window(qtbot, tmp_path, tiny_model_dir)
    index_folder(qtbot, win, photos(tmp_path / "photos", KINDS))
    qtbot.waitUntil(lambda: win.features.panel.things.count() > 0, timeout=TIMEOUT)
    for loader in (win.thumbnails, win.features.panel.thumbnails):
        assert loader.pool.waitForDone(TIMEOUT)  # the thumbnails asked for so far are made
    thumbs = win.session.paths.thumbnails_dir
    for f in thumbs.rglob("*.jpg"):
        f.unlink()
    gate, reached = threading.Event(), threading.Event()
    real = clip_features.load_things

    def held(session):
        reached.set()
        assert gate.wait(TIMEOUT / 1000)
        return real(session)

    monkeypatch.setattr(clip_features, "load_things", held)
    with qtbot.waitSignal(win.things_refreshed, timeout=TIMEOUT):
        win.features.refresh()
        assert reached.wait(TIMEOUT / 1000)
        gate.set()
        win.close()  # waits for the workers: the answer is delivered after it returns
    win.features.panel.thumbnails.pool.waitForDone(TIMEOUT)
    assert sorted(thumbs.rglob("*.jpg")) == []


def test_closing_hides_the_window_before_it_waits_for_its_thumbnails(
    qtbot, tmp_path, tiny_model_dir, monkeypatch
):
    """Closing waits for the thumbnail jobs running (a 12 MP photo takes a while): the
    window goes at once, not frozen on screen for that wait. A held job is let go by the
    window's Hide event; before, the close waited with the window shown until it gave up."""
    import photofind.gui.thumbnails as thumbnails

    win = model_window(qtbot, tmp_path, tiny_model_dir)
    index_folder(qtbot, win, photos(tmp_path / "photos", KINDS))
    for loader in (win.thumbnails, win.features.panel.thumbnails):
        assert loader.pool.waitForDone(TIMEOUT)
    for made in win.session.paths.thumbnails_dir.rglob("*.jpg"):
        made.unlink()
    win.results.release()
    win.thumbnails.forget()  # the timeline's cells ask again when painted
    gate, reached, seen = threading.Event(), threading.Event(), []
    real = thumbnails.make_thumbnail

    def held(path, target):
        reached.set()
        # Less than the 5 s closing waits for a job: True if the window hid first.
        seen.append(gate.wait(4.0))
        return real(path, target)

    monkeypatch.setattr(thumbnails, "make_thumbnail", held)
    win.view.viewport().repaint()
    assert reached.wait(TIMEOUT / 1000)

    class OnHide(QObject):
        def eventFilter(self, _obj, event) -> bool:
            if event.type() == QEvent.Type.Hide:
                gate.set()
            return False

    on_hide = OnHide()
    win.installEventFilter(on_hide)
    win.close()
    assert seen and seen[0] is True


def test_a_search_answered_after_the_window_was_deleted_is_dropped(
    qtbot, tmp_path, tiny_model_dir, capsys
):
    """A search still running when the window closed answered a deleted controller:
    "RuntimeError: Signal source has been deleted" in the event loop (seen once in eight runs
    of this file). Work started on a window's pool reports nothing once that pool is gone."""
    isolated_settings(tmp_path)
    win = MainWindow(lambda: open_session(tmp_path / "lib", tiny_model_dir))
    win.show()
    qtbot.waitUntil(lambda: win.session is not None, timeout=TIMEOUT)
    gate, reached = threading.Event(), threading.Event()

    def held(_arg):
        reached.set()
        gate.wait(TIMEOUT / 1000)
        return []

    win.controller.search((held, None))
    assert reached.wait(TIMEOUT / 1000)
    threading.Timer(0.2, gate.set).start()  # released while the closing window waits for it
    close_and_delete(win)
    for _ in range(5):
        QCoreApplication.sendPostedEvents()
        QCoreApplication.processEvents()
    assert "has been deleted" not in capsys.readouterr().err

"""The near-duplicates view: groups side by side, keep one, trash the rest (pytest-qt)."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QThreadPool, QTimer

from photofind.gui.duplicates_view import DuplicatesDialog
from photofind.session import open_session
from photofind.testing.synthetic import make_photo
from tests.gui.shell_fixtures import TIMEOUT, index_folder, model_window, names


def test_keep_one_of_a_group_and_trash_the_others(qtbot, tmp_path, tiny_model_dir, monkeypatch):
    photos = tmp_path / "photos"
    original = make_photo(photos / "red-circle.jpg", "red", "circle", seed=3, size=(800, 600))
    shutil.copy(original, photos / "red-circle copy.jpg")
    with Image.open(original) as img:
        img.resize((400, 300)).save(photos / "red-circle small.jpg", quality=90)
    make_photo(photos / "blue-square.jpg", "blue", "square", seed=4, size=(800, 600))
    session = open_session(tmp_path / "lib", tiny_model_dir)
    try:
        session.library.add_folder(photos)
        session.library.index()
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
        trashed: list[list[int]] = []
        dialog = DuplicatesDialog(session, QThreadPool.globalInstance(), on_trashed=trashed.append)
        qtbot.addWidget(dialog)
        with qtbot.waitSignal(dialog.groups_loaded, timeout=30_000):
            dialog.show()
        assert len(dialog.rows) == 1, dialog.status.text()
        row = dialog.rows[0]
        names = sorted(f.path.name for f in row.files)
        assert names == ["red-circle copy.jpg", "red-circle small.jpg", "red-circle.jpg"]
        assert row.kept().width == 800, "the biggest picture is chosen to keep"
        small = next(n for n, f in enumerate(row.files) if f.width == 400)
        row.choice.button(small).setChecked(True)
        monkeypatch.setattr(dialog, "confirm", lambda question: False)
        dialog.trash_others(row)
        assert len(list(photos.iterdir())) == 4, "'No' trashes nothing"
        monkeypatch.setattr(dialog, "confirm", lambda question: True)
        dialog.trash_others(row)
        qtbot.waitUntil(lambda: bool(trashed), timeout=10_000)
        assert sorted(p.name for p in photos.iterdir()) == ["blue-square.jpg",
                                                            "red-circle small.jpg"]  # fmt: skip
        trash = sorted(p.name for p in (tmp_path / "xdg" / "Trash" / "files").iterdir())
        assert trash == ["red-circle copy.jpg", "red-circle.jpg"]
        catalog = session.library.catalog
        assert len(trashed[0]) == 2 and not catalog.get_files(trashed[0])
        assert dialog.rows == [] and "No near-duplicates" in dialog.status.text()
        dialog.close()
    finally:
        session.close()


def _copies(photos: Path) -> Path:
    """A red circle, an exact copy and a smaller re-save (one group), and a blue square."""
    original = make_photo(photos / "red-circle.jpg", "red", "circle", seed=3, size=(800, 600))
    shutil.copy(original, photos / "red-circle copy.jpg")
    with Image.open(original) as img:
        img.resize((400, 300)).save(photos / "red-circle small.jpg", quality=90)
    make_photo(photos / "blue-square.jpg", "blue", "square", seed=4, size=(800, 600))
    return photos


def test_a_trash_still_reaches_the_window_after_the_dialog_closed(
    qtbot, tmp_path, tiny_model_dir, monkeypatch
) -> None:
    """The window opens the dialog, the person trashes a group's copies and closes the dialog
    while the trash is still moving them. The grid must still lose them, and the closed
    dialog must go (each opening left one behind, hidden, holding its thumbnails)."""
    from photofind.gui import duplicates_view

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    win = model_window(qtbot, tmp_path, tiny_model_dir)
    index_folder(qtbot, win, _copies(tmp_path / "photos"))
    qtbot.waitUntil(lambda: len(names(win)) == 4, timeout=TIMEOUT)
    release, real = threading.Event(), duplicates_view.move_to_trash
    monkeypatch.setattr(duplicates_view, "move_to_trash",
                        lambda paths: (release.wait(30), real(paths))[1])  # fmt: skip
    steps: list[str] = []

    def inside_the_dialog() -> None:
        dialog = next(d for d in win.findChildren(DuplicatesDialog) if d.isVisible())
        qtbot.waitUntil(lambda: bool(dialog.rows), timeout=TIMEOUT)
        monkeypatch.setattr(dialog, "confirm", lambda question: True)
        dialog.trash_others(dialog.rows[0])
        steps.append("trashing")
        dialog.reject()

    for _ in range(3):  # three openings; the first trashes, the others only look
        if not steps:
            QTimer.singleShot(0, inside_the_dialog)
        else:
            QTimer.singleShot(
                0,
                lambda: next(
                    d for d in win.findChildren(DuplicatesDialog) if d.isVisible()
                ).reject(),
            )
        win.show_duplicates()
    assert steps == ["trashing"]
    release.set()
    trash = tmp_path / "xdg" / "Trash" / "files"
    qtbot.waitUntil(lambda: trash.is_dir() and len(list(trash.iterdir())) == 2, timeout=TIMEOUT)
    gone = {p.name for p in trash.iterdir()}
    assert "blue-square.jpg" not in gone
    qtbot.waitUntil(lambda: len(names(win)) == 2 and not names(win) & gone, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: not win.findChildren(DuplicatesDialog), timeout=TIMEOUT)


def test_the_dialog_looks_at_the_threshold_it_was_given(qtbot, tmp_path, tiny_model_dir) -> None:
    session = open_session(tmp_path / "lib", tiny_model_dir)
    try:
        session.library.add_folder(_copies(tmp_path / "photos"))
        session.library.index()
        asked: list[float] = []
        real = session.searcher.duplicates
        session.searcher.duplicates = lambda t, **kw: (asked.append(t), real(t, **kw))[1]
        dialog = DuplicatesDialog(session, QThreadPool.globalInstance(), threshold=0.99)
        qtbot.addWidget(dialog)
        with qtbot.waitSignal(dialog.groups_loaded, timeout=30_000):
            dialog.show()
        assert asked == [0.99]
        dialog.close()
    finally:
        session.close()

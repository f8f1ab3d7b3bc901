"""The near-duplicates view: groups side by side, keep one, trash the rest (pytest-qt)."""

from __future__ import annotations

import shutil

from PIL import Image
from PySide6.QtCore import QThreadPool

from photofind.gui.duplicates_view import DuplicatesDialog
from photofind.session import open_session
from photofind.testing.synthetic import make_photo


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
        dialog = DuplicatesDialog(session, QThreadPool.globalInstance())
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
        with qtbot.waitSignal(dialog.trashed, timeout=10_000) as trashed:
            dialog.trash_others(row)
        assert sorted(p.name for p in photos.iterdir()) == ["blue-square.jpg",
                                                            "red-circle small.jpg"]  # fmt: skip
        trash = sorted(p.name for p in (tmp_path / "xdg" / "Trash" / "files").iterdir())
        assert trash == ["red-circle copy.jpg", "red-circle.jpg"]
        catalog = session.library.catalog
        assert len(trashed.args[0]) == 2 and not catalog.get_files(trashed.args[0])
        assert dialog.rows == [] and "No near-duplicates" in dialog.status.text()
        dialog.close()
    finally:
        session.close()

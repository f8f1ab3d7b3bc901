"""A big group's "Keep the chosen one, trash the others…" button is in view when the
near-duplicates view opens: it sat after the group's photos' full width, so a burst of eight
near-copies put the view's one action beyond its right edge (seen under Xvfb: groups of
nine with no button anywhere until scrolled sideways)."""

from __future__ import annotations

import shutil

from PySide6.QtCore import QPoint, QRect, QThreadPool

from photofind.gui.duplicates_view import DuplicatesDialog
from photofind.session import open_session
from photofind.testing.synthetic import make_photo


def test_a_big_groups_trash_button_is_in_view(qtbot, tmp_path, tiny_model_dir) -> None:
    photos = tmp_path / "photos"
    original = make_photo(photos / "burst-0.jpg", "red", "circle", seed=3, size=(800, 600))
    for n in range(1, 9):  # a burst: nine near-copies, wider than the view
        shutil.copy(original, photos / f"burst-{n}.jpg")
    session = open_session(tmp_path / "lib", tiny_model_dir)
    try:
        session.library.add_folder(photos)
        session.library.index()
        dialog = DuplicatesDialog(session, QThreadPool.globalInstance())
        qtbot.addWidget(dialog)
        with qtbot.waitSignal(dialog.groups_loaded, timeout=30_000):
            dialog.show()
        assert len(dialog.rows) == 1 and len(dialog.rows[0].files) == 9
        qtbot.wait(50)  # the layout settles
        row = dialog.rows[0]
        assert row.width() > dialog.area.viewport().width(), "the group is wider than the view"
        button = row.trash_button
        corner = button.mapTo(dialog.area.viewport(), QPoint(0, 0))
        shown = dialog.area.viewport().rect()
        assert shown.contains(QRect(corner, button.size())), (corner, shown)
        dialog.close()
    finally:
        session.close()

"""The preview: fits the window, Left/Right walk the results, 100% and fit, the facts."""

from __future__ import annotations

from PySide6.QtCore import Qt

from photofind.gui.preview import PreviewDialog
from tests.gui.grid_fixtures import framed_photo, hit_of

SIZES = [(3000, 2000), (600, 900), (4000, 1000)]


def test_preview_walks_zooms_and_fits(qtbot, tmp_path) -> None:
    hits = [hit_of(framed_photo(tmp_path / f"p{n}.jpg", s, exif_rotate=n == 1), n + 1, s,
                   score=0.5 - n / 10) for n, s in enumerate(SIZES)]  # fmt: skip
    dialog = PreviewDialog(hits[0], None, hits=hits, index=0)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: not dialog.shown_size().isEmpty(), timeout=10_000)
    box = dialog.area.viewport().size() * dialog.devicePixelRatioF()
    shown = dialog.shown_size()
    assert shown.width() <= box.width() + 1 and shown.height() <= box.height() + 1, "fits"
    assert abs(shown.width() / shown.height() - 1.5) < 0.02, "whole photo, its own shape"
    assert "3000 × 2000" in dialog.info.text() and "score 0.500" in dialog.info.text()
    assert str(tmp_path) in dialog.info.text() and "1 of 3" in dialog.info.text()

    qtbot.keyClick(dialog, Qt.Key.Key_Right)
    assert dialog.windowTitle() == "p1.jpg"
    qtbot.waitUntil(lambda: not dialog.shown_size().isEmpty(), timeout=10_000)
    shown = dialog.shown_size()
    assert shown.height() > shown.width(), "EXIF orientation applied: portrait"
    qtbot.keyClick(dialog, Qt.Key.Key_1)  # 100%
    qtbot.waitUntil(lambda: dialog.shown_size().width() == 600, timeout=10_000)
    assert dialog.shown_size().height() == 900
    qtbot.keyClick(dialog, Qt.Key.Key_0)  # fit again
    assert dialog.shown_size().height() <= box.height() + 1
    qtbot.keyClick(dialog, Qt.Key.Key_Right)
    qtbot.keyClick(dialog, Qt.Key.Key_Right)  # past the end: stays on the last
    assert dialog.windowTitle() == "p2.jpg" and "3 of 3" in dialog.info.text()
    qtbot.keyClick(dialog, Qt.Key.Key_Left)
    assert dialog.windowTitle() == "p1.jpg"
    with qtbot.waitSignal(dialog.finished, timeout=5_000):
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)


def test_an_unreadable_photo_says_so(qtbot, tmp_path) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 truncated")
    dialog = PreviewDialog(hit_of(broken, 1, (800, 600)), None)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: "broken.jpg" in dialog.picture.text(), timeout=10_000)

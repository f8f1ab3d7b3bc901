"""The timeline shows a folder's photos once they are scanned, while they are still encoded.

A first index of a large folder spends minutes encoding; the folder list says "1,200 photos ·
indexing" from the scan on, and the catalog's timeline includes pending photos (they are
shown while indexed, `search/timeline.py`). The grid must show them too, not "No photos yet"
until the pass reaches its labels phase.
"""

from __future__ import annotations

from photofind.library.indexer import Indexer
from tests.gui.shell_fixtures import TIMEOUT, gated, model_window, names, photos

KINDS = [("red", "circle"), ("blue", "square"), ("green", "star"), ("yellow", "heart")]


def test_scanned_photos_show_in_the_timeline_while_they_are_encoded(
    qtbot, tmp_path, tiny_model_dir, monkeypatch
) -> None:
    gate, reached = gated(monkeypatch, Indexer, "_encode")  # the pass stops at encoding
    window = model_window(qtbot, tmp_path, tiny_model_dir)
    try:
        folder = photos(tmp_path / "photos", KINDS)
        window.add_folder(folder)
        qtbot.waitUntil(reached.is_set, timeout=TIMEOUT)
        want = {f"{c}-{s}.jpg" for c, s in KINDS}
        qtbot.waitUntil(lambda: names(window) == want, timeout=TIMEOUT)
        assert window.indexing  # still encoding: nothing was stored yet
        assert window.hint.text() == "4 photos, newest first"
        gate.set()
        qtbot.waitUntil(lambda: not window.indexing, timeout=TIMEOUT)
        assert names(window) == want
    finally:
        gate.set()
        window.close()

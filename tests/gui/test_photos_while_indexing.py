"""The grid shows a first index's photos while the pass still works on them: once scanned,
while they are encoded, and while their labels are computed.

A first index of a large folder spends minutes encoding; the folder list says "1,200 photos ·
indexing" from the scan on, and the catalog's timeline includes pending photos (they are
shown while indexed, `search/timeline.py`). The grid must show them too, not "No photos yet"
until the pass reaches its labels phase, and the labels of a new model must not hold them.
"""

from __future__ import annotations

import pytest
from shell_fixtures import TIMEOUT, gated, model_window, names, photos

from photofind.library.indexer import Indexer
from photofind.search.tags import Tags

KINDS = [("red", "circle"), ("blue", "square"), ("green", "star"), ("yellow", "heart"),
         ("purple", "cross")]  # fmt: skip


@pytest.mark.parametrize(
    ("owner", "step", "held"),
    [(Indexer, "_encode", "indexing"), (Tags, "text_vectors", "up to date")],
    ids=["encoding", "labels"],
)
def test_the_photos_show_while_the_pass_is_held(
    qtbot, tmp_path, tiny_model_dir, monkeypatch, owner, step, held
) -> None:
    gate, reached = gated(monkeypatch, owner, step)  # the pass stops at this step
    window = model_window(qtbot, tmp_path, tiny_model_dir)
    try:
        folder = photos(tmp_path / "photos", KINDS)
        window.add_folder(folder)
        qtbot.waitUntil(reached.is_set, timeout=TIMEOUT)
        want = {f"{c}-{s}.jpg" for c, s in KINDS}
        qtbot.waitUntil(lambda: names(window) == want, timeout=TIMEOUT)
        assert window.indexing
        assert window.hint.text() == "5 photos, newest first"
        # Encoding: nothing stored yet. Labels: every photo stored, the folder up to date.
        qtbot.waitUntil(lambda: window.folder_state(folder) == held, timeout=TIMEOUT)
        assert window.indexing and names(window) == want
        gate.set()
        qtbot.waitUntil(lambda: not window.indexing, timeout=TIMEOUT)
        assert names(window) == want
    finally:
        gate.set()
        window.close()

"""The window shows a first index's photos while their labels are still being computed."""

from __future__ import annotations

from shell_fixtures import TIMEOUT, gated, model_window, names, photos

from photofind.search.tags import Tags

KINDS = [("red", "circle"), ("blue", "square"), ("green", "star"), ("yellow", "heart"),
         ("purple", "cross")]  # fmt: skip


def test_the_photos_show_before_the_labels_are_computed(qtbot, tmp_path, tiny_model_dir,
                                                         monkeypatch) -> None:  # fmt: skip
    # A new model's label texts: the gate holds them.
    gate, reached = gated(monkeypatch, Tags, "text_vectors")
    window = model_window(qtbot, tmp_path, tiny_model_dir)
    try:
        folder = photos(tmp_path / "photos", KINDS)
        window.add_folder(folder)
        qtbot.waitUntil(reached.is_set, timeout=TIMEOUT)
        assert window.indexing  # the labels phase of the first pass
        want = {f"{c}-{s}.jpg" for c, s in KINDS}
        qtbot.waitUntil(lambda: names(window) == want, timeout=TIMEOUT)
        assert window.folder_state(folder) == "up to date"
        gate.set()
        qtbot.waitUntil(lambda: not window.indexing, timeout=TIMEOUT)
        assert names(window) == want
    finally:
        gate.set()
        window.close()

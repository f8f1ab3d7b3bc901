"""While a first index encodes a new folder's photos, the folder list says it is indexing and
how many photos it holds, not "0 photos · not scanned yet" beside "Indexing 112 / 300"."""

from __future__ import annotations

from shell_fixtures import TIMEOUT, gated, model_window, photos

from photofind.clip.encoders import ImageEncoder

KINDS = [("red", "circle"), ("blue", "square"), ("green", "star"), ("yellow", "heart")]


def test_the_folder_list_follows_the_scan_before_the_photos_are_encoded(
    qtbot, tmp_path, tiny_model_dir, monkeypatch
) -> None:
    # The encoding of the first batch: the gate holds it.
    gate, reached = gated(monkeypatch, ImageEncoder, "encode_pixels")
    window = model_window(qtbot, tmp_path, tiny_model_dir)
    try:
        folder = photos(tmp_path / "photos", KINDS)
        window.add_folder(folder)
        qtbot.waitUntil(reached.is_set, timeout=TIMEOUT)  # scanned, now encoding
        qtbot.waitUntil(lambda: window.folder_state(folder) == "indexing", timeout=5000)
        text = window.folders.folder_list.item(0).text()
        assert "4 photos" in text, text
        gate.set()
        qtbot.waitUntil(lambda: window.folder_state(folder) == "up to date", timeout=TIMEOUT)
        qtbot.waitUntil(lambda: not window.indexing, timeout=TIMEOUT)
    finally:
        gate.set()
        window.close()

"""Changes made by the CLI while the window is open (a folder added, photos indexed) appear
in the window without a restart."""

from __future__ import annotations

import subprocess
import sys

from shell_fixtures import TIMEOUT, index_folder, model_window, photos, search


def _cli(lib, model, *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "photofind", "--library", str(lib), "--model", str(model), *args],
        capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_a_folder_the_cli_adds_and_indexes_shows_up(qtbot, tmp_path, tiny_model_dir):
    win = model_window(qtbot, tmp_path, tiny_model_dir)
    index_folder(qtbot, win, photos(tmp_path / "A", [("red", "circle")]))
    assert search(qtbot, win, "a photo of a blue square") == {"red-circle.jpg"}
    lib = tmp_path / "lib"
    other = photos(tmp_path / "B", [("blue", "square"), ("green", "triangle")], start=1)
    _cli(lib, tiny_model_dir, "folders", "add", str(other))
    _cli(lib, tiny_model_dir, "index")
    # No restart, no click: the window's poll sees the catalog change.
    qtbot.waitUntil(lambda: win.folder_list.count() == 2, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: win.folder_state(other) == "up to date", timeout=TIMEOUT)
    qtbot.waitUntil(lambda: "blue-square.jpg" in {h.file.path.name for h in win.results.hits},
                    timeout=TIMEOUT)  # fmt: skip
    assert win.results.hits[0].file.path.name == "blue-square.jpg"
    win.close()

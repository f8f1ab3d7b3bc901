"""A folder removed with `photofind folders remove` while `photofind index` encodes it: its
photos are gone, not unreadable (found by the journey helper: the run ended "indexed 80
photos, 259 could not be read" while status listed none; store_batch's missing rows were
counted as failures)."""

from __future__ import annotations

import contextlib
import json
import subprocess
import threading
from pathlib import Path

from library_journey import command, env, photofind

from photofind.testing.synthetic import make_photo


def test_photos_of_a_folder_removed_mid_index_are_not_counted_unreadable(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    big, small, library = tmp_path / "big", tmp_path / "small", tmp_path / "lib"
    for n in range(200):  # large enough that encoding them takes a few seconds
        make_photo(big / f"b{n:03}.jpg", "red", "circle", size=(1600, 1200), seed=n)
    make_photo(small / "s.jpg", "blue", "square")
    photofind(library, "folders", "add", str(big))
    photofind(library, "folders", "add", str(small))
    run = subprocess.Popen(
        command(library, "index", "--json", model=tiny_model_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env(),
    )
    encoding = threading.Event()

    def read() -> None:
        assert run.stderr is not None
        for line in run.stderr:
            with contextlib.suppress(json.JSONDecodeError, AttributeError):
                if json.loads(line).get("phase") == "index":
                    encoding.set()

    threading.Thread(target=read, daemon=True).start()
    assert encoding.wait(60)
    photofind(library, "folders", "remove", str(big))
    out, _ = run.communicate(timeout=120)
    outcome = json.loads(out)
    status = json.loads(photofind(library, "status", "--json").stdout)
    assert status["counts"]["error"] == 0
    assert outcome["failed"] == 0, outcome  # nothing was unreadable

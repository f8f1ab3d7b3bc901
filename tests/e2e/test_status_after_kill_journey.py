"""`photofind status` after an index run died (kill -9, power loss) says its photos wait for an
index run; it says "indexing" only while some process does index the library."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess

from library_journey import command, env, make_photos, photofind

from photofind.library.home import LibraryPaths
from photofind.library.indexlock import IndexLock


def folder_state(library, model) -> str:
    status = json.loads(photofind(library, "status", "--json", model=model).stdout)
    return status["folders"][0]["state"]


def test_status_does_not_say_indexing_after_the_indexer_was_killed(tmp_path, tiny_model_dir):
    library, photos = tmp_path / "lib", tmp_path / "photos"
    first = make_photos(photos, 1, size=(640, 480))[0]
    for i in range(1, 300):  # copies: many photos to encode, cheap to make
        shutil.copyfile(first, photos / f"copy{i:04}.jpg")
    photofind(library, "folders", "add", str(photos))
    run = subprocess.Popen(command(library, "index", "--json", model=tiny_model_dir),
                           env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           text=True)  # fmt: skip
    try:
        assert run.stderr is not None
        for line in run.stderr:  # killed as encoding starts: the scan has committed its rows
            if line.startswith("{") and json.loads(line).get("phase") == "index":
                break
        run.send_signal(signal.SIGKILL)
    finally:
        run.wait(timeout=60)
    shown = photofind(library, "status", model=tiny_model_dir).stdout
    assert "waiting" in shown and "indexing" not in shown, shown
    assert folder_state(library, tiny_model_dir) == "waiting"
    with IndexLock(LibraryPaths.at(library).index_lock).held():  # "another process" indexes
        assert folder_state(library, tiny_model_dir) == "indexing"
    photofind(library, "index", model=tiny_model_dir)
    assert folder_state(library, tiny_model_dir) == "up to date"

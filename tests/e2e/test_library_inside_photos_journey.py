"""A library folder kept inside a photo folder (a portable library on the photos' drive):
indexing leaves the library's own files alone (its models' reference pictures, thumbnails,
catalog), where it used to index them as photos and list the catalog as skipped files."""

from __future__ import annotations

import json

from library_journey import make_photos, photofind


def test_the_library_inside_a_photo_folder_is_not_indexed(tmp_path, tiny_model_dir):
    photos = tmp_path / "drive"
    library = photos / "photofind-library"
    make_photos(photos / "2024", 3)
    photofind(library, "model", "import", str(tiny_model_dir))  # its reference/*.png too
    photofind(library, "folders", "add", str(photos))
    photofind(library, "index")
    photofind(library, "search", "a photo of a red circle")  # thumbnails, caches
    photofind(library, "index")
    status = json.loads(photofind(library, "status", "--json").stdout)
    assert status["counts"]["files"] == 3, status["counts"]
    assert status["skipped"] == {}, status["skipped"]


def test_watching_a_folder_holding_the_library_does_not_wake_on_its_own_writes(
    tmp_path, tiny_model_dir
):
    import subprocess
    import time

    from library_journey import command, env

    photos = tmp_path / "drive"
    library = photos / "photofind-library"
    make_photos(photos / "2024", 3)
    photofind(library, "folders", "add", str(photos))
    watch = subprocess.Popen(command(library, "index", "--watch", model=tiny_model_dir),
                             env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)  # fmt: skip
    try:
        time.sleep(8.0)  # a pass writes the catalog and index: each write woke another pass
    finally:
        watch.terminate()
        out, err = watch.communicate(timeout=60)
    passes = [line for line in out.splitlines() if "changed photo" in line]
    assert "indexed 3 photos" in out, out + err
    assert len(passes) <= 1, out

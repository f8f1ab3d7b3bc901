"""A drive unplugged after its last scan: before any index or watch pass notices it, `status`
says it is missing and searches still find its photos, marked offline (they are not gone)."""

from __future__ import annotations

import json

from library_journey import cleanup_mounts, make_photos, mount, photofind, require_root, umount


def test_status_and_search_see_a_drive_unplugged_since_the_last_scan(tmp_path, tiny_model_dir):
    require_root()
    drive, library = tmp_path / "drive", tmp_path / "lib"
    drive.mkdir()
    with cleanup_mounts(drive):
        mount("-t", "tmpfs", "-o", "size=8m", "tmpfs", str(drive))
        make_photos(drive / "pics", 6)
        photofind(library, "folders", "add", str(drive / "pics"))
        photofind(library, "index", model=tiny_model_dir)
        umount(drive)  # no scan runs after this
        status = json.loads(photofind(library, "status", "--json").stdout)
        row = status["folders"][0]
        assert row["state"] == "offline" and "missing" in row["offline_reason"], row
        assert "offline" in photofind(library, "folders", "list").stdout
        found = json.loads(photofind(library, "search", "a photo of a red circle", "--all",
                                     "--json", model=tiny_model_dir).stdout)  # fmt: skip
        hits = found["hits"] + found["weaker"]
        assert len(hits) == 6 and all(h["offline"] for h in hits), hits
        similar = photofind(library, "similar", str(hits[0]["id"]), "--all", model=tiny_model_dir)
        assert similar.stdout.count("(offline)") == 5, similar.stdout
        mount("-t", "tmpfs", "-o", "size=8m", "tmpfs", str(drive))  # another, empty drive
        status = json.loads(photofind(library, "status", "--json").stdout)
        assert status["folders"][0]["state"] == "offline" and status["counts"]["files"] == 6

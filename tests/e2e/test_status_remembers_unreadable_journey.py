"""What the scan could not open stays visible in `photofind status` after the index run that met
it: a subfolder photofind may not list and a photo it may not read, seen by a person who comes
back later (text and --json), until a scan reads them again once their permissions are fixed."""

from __future__ import annotations

import json
from pathlib import Path

from library_journey import embeddings, index_as_a_user, make_photos, photofind


def status(library: Path, *args: str) -> str:
    return photofind(library, "status", *args).stdout


def test_status_names_what_the_last_scan_could_not_open_until_it_is_read(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    photos, library = tmp_path / "photos", tmp_path / "lib"
    private = photos / "private"
    make_photos(photos, 3)
    make_photos(private, 2, prefix="secret")
    locked = make_photos(photos, 1, prefix="locked")[0]
    photofind(library, "folders", "add", str(photos))
    private.chmod(0)
    locked.chmod(0)
    try:
        done = index_as_a_user(library, tiny_model_dir)
        assert done.returncode == 0, done.stderr
        text = status(library)
        lines = [line for line in text.splitlines() if str(private) in line]
        assert lines and "Permission denied" in lines[0], text
        assert any(str(locked) in line and "Permission denied" in line
                   for line in text.splitlines()), text  # fmt: skip
        data = json.loads(status(library, "--json"))
        assert data["unreadable"] == [
            {"folder_id": 1, "path": str(private), "error": "Permission denied"}
        ]
        assert data["folders"][0]["unreadable"] == 1
        assert [e["path"] for e in data["errors"]] == [str(locked)]
        # Another run meets the same: the list is replaced, not grown.
        assert index_as_a_user(library, tiny_model_dir).returncode == 0
        assert json.loads(status(library, "--json"))["unreadable"] == data["unreadable"]
    finally:
        private.chmod(0o755)
        locked.chmod(0o644)
    photofind(library, "index", model=tiny_model_dir)
    text = status(library)
    assert str(private) not in text and str(locked) not in text, text
    data = json.loads(status(library, "--json"))
    assert data["unreadable"] == [] and data["errors"] == []
    assert data["folders"][0]["unreadable"] == 0
    assert len(embeddings(library)) == 6  # the photos in both are indexed now


def test_a_linked_subfolder_away_is_named_once_with_one_reason(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    """`index` names a linked subfolder whose drive went away, and `status` keeps it; the
    line says once that its photos are kept (the reason says it already)."""
    library, folder, drive = tmp_path / "lib", tmp_path / "photos", tmp_path / "drive"
    make_photos(drive / "trip", 2)
    make_photos(folder, 2, prefix="home")
    (folder / "trip").symlink_to(drive / "trip", target_is_directory=True)
    photofind(library, "folders", "add", str(folder))
    photofind(library, "index", model=tiny_model_dir)
    (drive / "trip").rename(drive / "away")
    done = photofind(library, "index", model=tiny_model_dir)
    lines = [line for line in done.stderr.splitlines() if "trip" in line]
    assert len(lines) == 1 and "missing" in lines[0], done.stderr
    assert lines[0].count("kept") == 1, lines[0]
    text = status(library)
    assert str(folder / "trip") in text and "missing" in text, text
    assert [p["path"] for p in json.loads(status(library, "--json"))["unreadable"]] == [
        str(folder / "trip")
    ]

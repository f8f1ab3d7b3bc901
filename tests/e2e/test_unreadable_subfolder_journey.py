"""A subfolder photofind may not open (chmod 000, another user's), through `photofind index`
run with an ordinary user's rights: the command says which folder it could not open, and the
photos indexed from it before are kept, not deleted."""

from __future__ import annotations

import json
from pathlib import Path

from library_journey import embeddings, index_as_a_user, make_photos, photofind


def test_index_names_a_subfolder_it_cannot_open_and_keeps_its_photos(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    photos, library = tmp_path / "photos", tmp_path / "lib"
    private = photos / "private"
    make_photos(photos, 4)
    make_photos(private, 2, prefix="secret")
    photofind(library, "folders", "add", str(photos))
    photofind(library, "index", model=tiny_model_dir)
    assert len(embeddings(library)) == 6
    private.chmod(0)
    try:
        done = index_as_a_user(library, tiny_model_dir)
        assert done.returncode == 0, done.stderr
        said = [line for line in done.stderr.splitlines() if str(private) in line]
        assert said and "Permission denied" in said[0], done.stderr
        assert len(embeddings(library)) == 6  # its photos are not deleted
        outcome = json.loads(index_as_a_user(library, tiny_model_dir, "--json").stdout)
        assert outcome["unreadable"] == [{"path": str(private), "error": "Permission denied"}]
    finally:
        private.chmod(0o755)
    done = photofind(library, "index", model=tiny_model_dir)
    assert str(private) not in done.stderr and len(embeddings(library)) == 6

"""`photofind album export NAME DIR` into a folder the library indexes (~/Pictures/Albums is
where a person puts it): the links it makes point at photos the library already holds, so
each photo still counts once: in status, in search, in the album itself and in duplicates."""

from __future__ import annotations

import json
from pathlib import Path

from library_journey import photofind

from photofind.testing.synthetic import make_photo


def test_an_album_exported_as_links_into_the_library_adds_no_photo(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    photos, library = tmp_path / "Pictures", tmp_path / "lib"
    for n in range(4):
        make_photo(photos / f"red-{n}.jpg", "red", "circle", size=(160, 120), seed=n)
        make_photo(photos / "trip" / f"blue-{n}.jpg", "blue", "square", size=(160, 120),
                   seed=20 + n)  # fmt: skip

    def run(*args: str):
        return photofind(library, *args, model=tiny_model_dir)

    run("folders", "add", str(photos))
    run("index")
    run("album", "add", "Reds", "a photo of a red circle")
    before = json.loads(run("album", "show", "Reds", "--json").stdout)["hits"]
    assert before
    run("album", "export", "Reds", str(photos / "Albums" / "Reds"))
    assert any((photos / "Albums" / "Reds").iterdir())
    run("index")

    assert json.loads(run("status", "--json").stdout)["counts"]["ok"] == 8
    after = json.loads(run("album", "show", "Reds", "--json").stdout)["hits"]
    assert sorted(h["path"] for h in after) == sorted(h["path"] for h in before)
    found = json.loads(run("search", "a photo of a red circle", "--all", "--json").stdout)
    assert not [h["path"] for h in found["hits"] if "Albums" in h["path"]]
    assert "Albums" not in run("duplicates").stdout

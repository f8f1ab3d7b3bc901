"""`photofind model import` takes a folder in any published layout it can convert.

rclip's model repository (its model folder plus the BPE vocabulary at the root) imported
through the console script used to fail with "manifest.json is missing": the store only
recognised Immich's layout.
"""

from __future__ import annotations

import json
from pathlib import Path

from library_journey import photofind

from photofind.testing.synthetic import make_photo

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_an_rclip_repository_folder_imports_and_searches(tmp_path: Path):
    library, photos = tmp_path / "lib", tmp_path / "photos"
    photos.mkdir()
    for colour, shape in [("red", "circle"), ("blue", "square"), ("green", "triangle")]:
        make_photo(photos / f"{colour}-{shape}.jpg", colour, shape)
    done = photofind(library, "model", "import", str(FIXTURES / "tiny-clip-rclip"))
    assert "imported" in done.stdout
    photofind(library, "folders", "add", str(photos))
    photofind(library, "index")
    found = json.loads(photofind(library, "search", "a red circle", "--json").stdout)
    hits = found["hits"] if isinstance(found, dict) else found
    assert Path(hits[0]["path"]).name == "red-circle.jpg"

"""`photofind search --tag LABEL -k N` says how many photos carry the label, as a text search
says how many match, not the N it was asked to show ("2 matching photos" for a label that
`photofind tags` counts on eleven)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from library_journey import photofind

from photofind.testing.synthetic import make_photo


def test_a_label_search_counts_every_photo_carrying_it(tmp_path: Path, tiny_model_dir) -> None:
    photos, library = tmp_path / "photos", tmp_path / "lib"
    for n in range(8):
        make_photo(photos / f"red-{n}.jpg", "red", "circle", size=(160, 120), seed=n)
    for n in range(4):
        make_photo(photos / f"blue-{n}.jpg", "blue", "square", size=(160, 120), seed=50 + n)
    photofind(library, "folders", "add", str(photos), model=tiny_model_dir)
    photofind(library, "index", model=tiny_model_dir)
    added = photofind(library, "tags", "add", "reds=a photo of a red circle", model=tiny_model_dir)
    carrying = int(re.search(r"'reds': (\d+) photos", added.stdout + added.stderr)[1])
    assert carrying > 2, added.stdout
    done = photofind(library, "search", "--tag", "reds", "-k", "2", model=tiny_model_dir)
    assert len(done.stdout.splitlines()) == 2
    said = f"{carrying} matching photos, the best 2 shown"
    assert said in done.stderr, done.stderr
    found = json.loads(photofind(library, "search", "--tag", "reds", "-k", "2", "--json",
                                 model=tiny_model_dir).stdout)  # fmt: skip
    assert found["matches"] == carrying and len(found["hits"]) == 2

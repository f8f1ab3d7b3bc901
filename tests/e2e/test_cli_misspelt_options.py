"""A misspelt long option of `search` or `album add` (`--jsn`, `--folders DIR`, `--limit 5`)
is an error naming it, not a word silently left out of the query (`-word` is how a query
leaves a word out, and still works)."""

from __future__ import annotations

import json

from library_journey import make_photos, photofind


def test_a_misspelt_option_is_refused_and_negatives_still_work(tmp_path, tiny_model_dir):
    library, photos = tmp_path / "lib", tmp_path / "photos"
    make_photos(photos, 4)
    photofind(library, "folders", "add", str(photos))
    photofind(library, "index", model=tiny_model_dir)
    for wrong in (["--jsn"], ["--folders", str(photos)], ["--limit", "5"]):
        done = photofind(library, "search", "red", *wrong, model=tiny_model_dir, check=False)
        assert done.returncode == 2 and done.stdout == "", (wrong, done.stdout)
        assert wrong[0] in done.stderr and "Traceback" not in done.stderr, done.stderr
    done = photofind(library, "album", "add", "reds", "red", "--minscore", "0.5",
                     model=tiny_model_dir, check=False)  # fmt: skip
    assert done.returncode == 2 and "--minscore" in done.stderr, done.stderr
    assert "reds" not in photofind(library, "album", "list", model=tiny_model_dir).stdout
    found = photofind(library, "search", "red", "-circle", "--json", model=tiny_model_dir)
    assert json.loads(found.stdout)["query"]["negative"] == ["circle"]
    found = photofind(library, "search", "red", "--fold", str(photos), "--json",
                      model=tiny_model_dir)  # fmt: skip
    assert json.loads(found.stdout)["query"]["folders"] == [1]  # argparse's abbreviation

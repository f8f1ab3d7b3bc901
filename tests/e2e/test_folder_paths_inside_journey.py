"""A path inside a library folder, given where a command means a folder: `folders remove`
refuses it (it used to forget the whole library folder around it, every photo of it), and
`search --folder` keeps to that subfolder (it used to search the whole library folder)."""

from __future__ import annotations

import json

from library_journey import make_photos, photofind


def test_removing_a_subfolder_is_refused_and_forgets_nothing(tmp_path, tiny_model_dir):
    library, photos = tmp_path / "lib", tmp_path / "photos"
    make_photos(photos / "2023" / "holiday", 3)
    make_photos(photos / "2024", 3)
    photofind(library, "folders", "add", str(photos))
    photofind(library, "index", model=tiny_model_dir)
    done = photofind(library, "folders", "remove", str(photos / "2023" / "holiday"), check=False)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "inside" in done.stderr and str(photos) in done.stderr, done.stderr
    status = json.loads(photofind(library, "status", "--json").stdout)
    assert status["counts"]["ok"] == 6 and len(status["folders"]) == 1
    assert "removed" in photofind(library, "folders", "remove", str(photos)).stdout


def test_search_within_a_subfolder_finds_only_its_photos(tmp_path, tiny_model_dir):
    library, photos = tmp_path / "lib", tmp_path / "photos"
    make_photos(photos / "2023" / "holiday", 4)
    make_photos(photos / "2023" / "holiday-other", 4)  # a sibling whose name extends it
    make_photos(photos / "2024", 4)
    photofind(library, "folders", "add", str(photos))
    photofind(library, "index", model=tiny_model_dir)

    def found(*args: str) -> set[str]:
        done = photofind(library, "search", "a photo of a red circle", "--all", "--json", *args,
                         model=tiny_model_dir)  # fmt: skip
        data = json.loads(done.stdout)
        return {h["path"] for h in data["hits"] + data["weaker"]}

    holiday = str(photos / "2023" / "holiday")
    inside = found("--folder", holiday)
    assert len(inside) == 4 and all(p.startswith(holiday + "/") for p in inside), inside
    assert len(found("--folder", str(photos / "2023"))) == 8
    assert len(found("--folder", str(photos))) == 12
    both = found("--folder", holiday, "--folder", str(photos / "2024"))
    assert len(both) == 8 and not any("holiday-other" in p for p in both)
    photofind(library, "album", "add", "holiday", "a photo of a red circle", "--folder", holiday,
              "--min-score", "-1", model=tiny_model_dir)  # fmt: skip
    shown = photofind(library, "album", "show", "holiday", "--json", model=tiny_model_dir)
    paths = [h["path"] for h in json.loads(shown.stdout)["hits"]]
    assert len(paths) == 4 and all(p.startswith(holiday + "/") for p in paths), paths

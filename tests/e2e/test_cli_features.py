"""Query arithmetic, unquoted negatives, marks, tags and albums through the `photofind` script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from photofind.testing.synthetic import make_photo

ROOT = Path(__file__).resolve().parents[2]
COLOURS = ("red", "blue", "green", "yellow")
SHAPES = ("circle", "square", "triangle")


def run(library: Path, model: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "photofind", "--library", str(library), "--model", str(model)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([*command, *args], capture_output=True, text=True, env=env, timeout=240)
    if check and done.returncode != 0:
        raise AssertionError(f"{args} failed ({done.returncode}):\n{done.stderr}")
    return done


def names(done: subprocess.CompletedProcess) -> list[str]:
    return [Path(h["path"]).stem for h in json.loads(done.stdout)["hits"]]


@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path):
    photos = tmp_path_factory.mktemp("photos")
    for n, colour in enumerate(COLOURS):
        for m, shape in enumerate(SHAPES):
            make_photo(photos / f"{colour}-{shape}.jpg", colour, shape, seed=10 * n + m)
    library = tmp_path_factory.mktemp("library")

    def call(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        return run(library, tiny_model_dir, *args, check=check)

    call("folders", "add", str(photos))
    call("index")
    return call, photos


def test_unquoted_negative_terms_and_not(lib) -> None:
    call, _ = lib
    plain = names(call("search", "a", "photo", "of", "a", "circle", "-k", "4", "--all", "--json"))
    assert plain[0].endswith("circle")
    seen = []
    for words in (["-red", "-blue"], ["--not", "red", "--not", "blue"], ["-red", "--not", "blue"]):
        done = call(
            "search", "a", "photo", "of", "a", "circle", *words, "-k", "4", "--all", "--json"
        )
        assert json.loads(done.stdout)["query"]["negative"] == ["red", "blue"]
        seen.append(names(done))
    assert seen[0] == seen[1] == seen[2]
    assert not seen[0][0].startswith(("red", "blue")) and seen[0] != plain
    # A negative word that starts like an option (-k, -v) is still a word, not `-k ids`.
    done = call("search", "circle", "-kids", "-verbose", "-k", "3", "--all", "--json")
    assert json.loads(done.stdout)["query"]["negative"] == ["kids", "verbose"]
    assert len(json.loads(done.stdout)["hits"]) == 3


def test_rclip_arithmetic_on_the_command_line(lib) -> None:
    call, photos = lib
    picture = str(photos / "green-circle.jpg")
    done = call("search", "2:a photo of a square", "+", picture, "-k", "3", "--json")
    assert [t["weight"] for t in json.loads(done.stdout)["query"]["terms"]] == [2.0, 1.0]
    hits = names(done)
    assert "green-circle" not in hits  # a query photo is left out, as with `similar`
    assert hits[0] == "green-square"
    done = call("search", "a photo of a triangle", "-", "0.5:a photo of something blue",
                "-k", "3", "--json")  # fmt: skip
    assert [t["weight"] for t in json.loads(done.stdout)["query"]["terms"]] == [-0.5]
    assert not any(h.startswith("blue") for h in names(done))
    done = call("search", "red", "+", check=False)
    assert done.returncode == 1 and "needs a term after it" in done.stderr
    done = call("search", "a photo of a red circle", "+", "./missing.jpg", check=False)
    assert done.returncode == 1 and "missing.jpg" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_marks_move_the_search(lib) -> None:
    call, photos = lib
    base = names(call("search", "a photo of a circle", "-k", "4", "--all", "--json"))
    liked = str(photos / "yellow-square.jpg")
    moved = names(
        call("search", "a photo of a circle", "--like", liked, "-k", "4", "--all", "--json")
    )
    assert moved != base and "yellow-circle" in moved[:2]
    first = json.loads(call("search", "a photo of a circle", "-k", "1", "--json").stdout)["hits"][0]
    done = call(
        "search", "a photo of a circle", "--unlike", str(first["id"]), "-k", "12", "--all", "--json"
    )
    assert base[0] not in names(done)  # a rejected photo leaves the results
    done = call("search", "--like", liked, "-k", "3", "--json")  # marks alone are a query
    assert names(done)[0] == "yellow-square"


def test_tags_add_list_search_remove(lib) -> None:
    call, _ = lib
    done = call("tags", "add", "my circles=a circle", "reds=a red shape", "--json")
    added = {row["name"]: row for row in json.loads(done.stdout)["added"]}
    assert added["my circles"]["count"] == 4 and added["reds"]["count"] == 3
    assert not added["reds"]["builtin"] and Path(added["reds"]["sample"]).stem.startswith("red")
    listed = {row["name"]: row for row in json.loads(call("tags", "--json").stdout)["labels"]}
    assert listed["my circles"]["count"] == 4
    assert all(row["count"] > 0 or not row["builtin"] for row in listed.values())
    everything = json.loads(call("tags", "--all", "--json").stdout)["labels"]
    assert len(everything) > 300  # the built-in vocabulary, zero counts included
    hits = names(call("search", "--tag", "my circles", "--json"))
    assert sorted(hits) == sorted(f"{c}-circle" for c in COLOURS)
    hits = names(call("search", "a photo of something red", "--tag", "my circles", "-k", "1",
                      "--json"))  # fmt: skip
    assert hits == ["red-circle"]
    done = call("tags", "remove", "reds", "--json")
    assert json.loads(done.stdout) == {"removed": ["reds"]}
    done = call("search", "--tag", "reds", check=False)
    assert done.returncode == 1 and "no label 'reds'" in done.stderr
    human = call("tags").stdout
    assert "my circles  (yours)" in human


def test_albums_from_the_command_line(lib, tmp_path: Path) -> None:
    call, _ = lib
    # Twelve photos are too few to read a cut-off off their scores: the album takes one.
    done = call("album", "add", "Squares", "a", "photo", "of", "a", "square", "-yellow",
                "--min-score", "0.45", "--json")  # fmt: skip
    album = json.loads(done.stdout)["album"]
    assert album["query"]["negative"] == ["yellow"] and album["count"] == 3
    shown = names(call("album", "show", "squares", "--json"))
    assert shown and all(s.endswith("square") for s in shown) and "yellow-square" not in shown
    listed = json.loads(call("album", "list", "--json").stdout)["albums"]
    assert [(a["name"], a["count"]) for a in listed] == [("Squares", len(shown))]
    done = call("album", "export", "Squares", str(tmp_path / "out"), "--json")
    written = [Path(p) for p in json.loads(done.stdout)["written"]]
    assert sorted(p.stem for p in written) == sorted(shown) and all(p.is_symlink() for p in written)
    done = call("album", "add", "squares", "x", check=False)
    assert done.returncode == 1 and "already an album" in done.stderr
    assert json.loads(call("album", "remove", "Squares", "--json").stdout) == {"removed": "Squares"}
    done = call("album", "show", "Squares", check=False)
    assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1


def test_an_album_whose_picture_is_gone_is_listed_with_why(lib, tmp_path: Path) -> None:
    call, _ = lib
    picture = tmp_path / "outside.jpg"
    make_photo(picture, "red", "circle", seed=99)
    call("album", "add", "like it", "a photo of a circle", "+", str(picture), "--min-score", "0.3")
    picture.unlink()
    listed = json.loads(call("album", "list", "--json").stdout)["albums"]
    (row,) = [a for a in listed if a["name"] == "like it"]
    assert row["count"] is None and "outside.jpg" in row["problem"]
    assert "cannot run" in call("album", "list").stdout
    done = call("album", "show", "like it", check=False)
    assert done.returncode == 1 and "outside.jpg" in done.stderr
    call("album", "remove", "like it")


def test_index_shows_the_labels_being_read_after_the_pass(lib, tmp_path: Path, tiny_model_dir):
    _, photos = lib
    library = tmp_path / "fresh"
    run(library, tiny_model_dir, "folders", "add", str(photos))
    done = run(library, tiny_model_dir, "index")
    lines = done.stderr.splitlines()
    index = max(n for n, line in enumerate(lines) if line.startswith("index:"))
    labels = [n for n, line in enumerate(lines) if line.startswith("labels:")]
    # The first pass encodes the 365 built-in labels and reads their cut-offs: not in silence.
    assert labels and labels[0] > index, done.stderr
    assert "(100%)" in lines[labels[-1]], done.stderr
    assert json.loads(run(library, tiny_model_dir, "tags", "--json").stdout)["labels"]

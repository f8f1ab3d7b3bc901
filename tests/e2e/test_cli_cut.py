"""`photofind search` and `similar` return the photos that match, through the console script.

A mixed library (every colour with every shape, busy scenes, a picture of nothing, a broken
file); the truth is in the file names, never in the tiny model's scores.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from library_journey import photofind

from photofind.testing.synthetic import BUSY_BACKGROUNDS, draw, make_photo, random_scene

COLOURS = ("red", "blue", "green", "yellow")
SHAPES = ("circle", "square", "triangle")


def truth(path: str) -> tuple[str, str]:
    colour, shape = Path(path).name.split("-")[:2]
    return colour, shape


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path):
    photos = tmp_path_factory.mktemp("photos")
    n = 0
    for colour in COLOURS:
        for shape in SHAPES:
            for seed in range(2):
                make_photo(photos / f"{colour}-{shape}-{seed}.jpg", colour, shape,
                           size=(320, 240), seed=n)  # fmt: skip
                n += 1
    rng = random.Random(3)
    for i in range(6):
        scene = random_scene(rng, backgrounds=BUSY_BACKGROUNDS)
        draw(scene, (320, 240)).save(photos / f"{scene.colour}-{scene.shape}-busy{i}.png")
    (photos / "broken.jpg").write_bytes(b"\xff\xd8\xff not a picture")
    library = tmp_path_factory.mktemp("library")
    photofind(library, "folders", "add", str(photos))
    photofind(library, "index", model=tiny_model_dir)

    def search(*args: str, check: bool = True):
        return photofind(library, *args, model=tiny_model_dir, check=check)

    return search, photos, n + 6


def hits(done) -> list[str]:
    return [h["path"] for h in json.loads(done.stdout)["hits"]]


def test_red_circle_returns_the_red_circles_and_not_the_blue_squares(mixed) -> None:
    search, photos, total = mixed
    done = search("search", "a photo of a red circle", "--json")
    found = hits(done)
    assert str(photos / "red-circle-0.jpg") in found and str(photos / "red-circle-1.jpg") in found
    assert not any(truth(p) == ("blue", "square") for p in found)
    assert len(found) < total / 4
    data = json.loads(done.stdout)
    assert data["matches"] == len(found) and data["searched"] == total
    assert data["weaker"] and not set(found) & {h["path"] for h in data["weaker"]}
    human = search("search", "a photo of a red circle")
    assert human.stdout.count("\n") == len(found)
    assert f"{len(found)} matching photos" in human.stderr


def test_all_returns_every_photo_ranked_and_k_bounds_it(mixed) -> None:
    search, _, total = mixed
    everything = hits(search("search", "a photo of a red circle", "--all", "-k", "500", "--json"))
    assert len(everything) == total
    assert len(hits(search("search", "a photo of a circle", "-k", "2", "--json"))) <= 2
    assert len(hits(search("search", "a photo of a circle", "--all", "-k", "2", "--json"))) == 2
    bounded = search("search", "a photo of a circle", "-k", "1")
    assert bounded.stdout.count("\n") == 1 and "-k " in bounded.stderr  # says how to see all


def test_fewer_and_more_nest(mixed) -> None:
    search, _, _ = mixed
    sizes = [
        json.loads(search("search", "a photo of a red shape", *flag, "-k", "500", "--json").stdout)[
            "matches"
        ]
        for flag in (["--fewer"], [], ["--more"])
    ]
    assert 1 <= sizes[0] <= sizes[1] <= sizes[2]
    done = search("search", "red", "--more", "--all", check=False)
    assert done.returncode == 2 and "not allowed with" in done.stderr


def test_empty_and_nonsense_queries(mixed) -> None:
    search, _, total = mixed
    for words in ([], [""], ["  "]):
        done = search("search", *words, check=False)
        assert done.returncode == 2, done
        assert done.stderr.strip().splitlines()[-1].startswith("photofind: ")
        assert "nothing to search for" in done.stderr
    nonsense = search("search", "xyzzy qwertyuiop", "--json")
    assert len(hits(nonsense)) < total / 4  # a few closest photos at most, never the library


def test_similar_returns_its_near_copies_first_and_cuts_the_rest(mixed, tmp_path: Path) -> None:
    search, photos, total = mixed
    done = search("similar", str(photos / "green-triangle-0.jpg"), "--json")
    found = hits(done)
    assert found[0] == str(photos / "green-triangle-1.jpg")
    assert str(photos / "green-triangle-0.jpg") not in found  # the photo itself is left out
    assert len(found) < total / 4
    outside = make_photo(tmp_path / "q.jpg", "yellow", "square", size=(500, 400), seed=99)
    found = hits(search("similar", str(outside), "--json"))
    assert found and truth(found[0]) == ("yellow", "square")
    assert len(found) < total / 4


def test_one_match_and_one_weaker_photo_are_counted_in_the_singular(tmp_path, tiny_model_dir):
    photos = tmp_path / "photos"
    make_photo(photos / "red-circle.jpg", "red", "circle", seed=1)
    make_photo(photos / "blue-square.jpg", "blue", "square", seed=2)
    library = tmp_path / "library"
    photofind(library, "folders", "add", str(photos), model=tiny_model_dir)
    photofind(library, "index", model=tiny_model_dir)
    done = photofind(library, "search", "a photo of a red circle", model=tiny_model_dir)
    assert "1 matching photo; 1 weaker one with --more or --all" in done.stderr, done.stderr


def test_most_of_a_small_library_matching_shows_them_all(tmp_path: Path, tiny_model_dir) -> None:
    """Six blue stars and four red circles: "blue star" shows the six (it showed one: with the
    matches in the majority the median lay among them, so no gap below them was a candidate)."""
    photos, library = tmp_path / "photos", tmp_path / "lib"
    for n in range(6):
        make_photo(photos / f"blue-star-{n}.jpg", "blue", "star", seed=100 + n)
    for n in range(4):
        make_photo(photos / f"red-circle-{n}.jpg", "red", "circle", seed=n)
    photofind(library, "folders", "add", str(photos), model=tiny_model_dir)
    photofind(library, "index", model=tiny_model_dir)
    found = json.loads(photofind(library, "search", "blue star", "--json",
                                 model=tiny_model_dir).stdout)  # fmt: skip
    names = sorted(Path(h["path"]).name for h in found["hits"])
    assert names == [f"blue-star-{n}.jpg" for n in range(6)], names

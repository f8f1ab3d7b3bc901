"""The per-query cut: on drawn score distributions, then on a mixed library and the tiny model.

The library tests read the truth off the file names, never the model's scores.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from photofind.clip import ClipModel
from photofind.library.home import LibraryPaths
from photofind.library.library import Library
from photofind.search import STRICTNESS, Query, QueryError, Searcher, Term
from photofind.search.cut import cut
from photofind.testing.synthetic import BUSY_BACKGROUNDS, draw, make_photo, random_scene


def _bulk(rng: np.random.Generator, n: int, centre: float = 0.1, sd: float = 0.08) -> list:
    return list(rng.normal(centre, sd, n))


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("group", [1, 3, 12, 40])
def test_a_group_above_a_gap_is_cut_where_the_gap_is(seed: int, group: int) -> None:
    rng = np.random.default_rng(seed)
    matches = list(rng.normal(0.7, 0.01, group))
    scores = np.array(matches + _bulk(rng, 300))
    assert cut(scores).matches == group


@pytest.mark.parametrize("seed", range(10))
def test_one_group_keeps_only_clear_outliers_and_at_least_the_best(seed: int) -> None:
    scores = np.array(_bulk(np.random.default_rng(seed), 400))
    assert 1 <= cut(scores).matches <= 4  # the far tail of one bell, never a crowd


def test_small_libraries_and_edge_cases() -> None:
    assert cut(np.array([])).matches == 0
    assert cut(np.array([0.3])).matches == 1
    assert cut(np.array([0.66, 0.2, 0.1])).matches == 1  # one photo stands out
    assert cut(np.array([0.66, 0.65, 0.64])).matches == 3  # no gap in three: all of them
    assert cut(np.array([0.5] * 30)).matches >= 1  # copies of one photo
    assert cut(np.array([0.1, 0.7, 0.2, 0.68])).matches == 2  # any order is sorted


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize(("above", "below"), [(6, 4), (30, 10), (200, 100), (5, 3)])
def test_two_clean_groups_split_where_they_part_even_with_the_matches_the_majority(
    seed: int, above: int, below: int
) -> None:
    rng = np.random.default_rng(seed)
    scores = np.array(list(rng.normal(0.62, 0.03, above)) + list(rng.normal(-0.44, 0.02, below)))
    assert cut(scores).matches == above


@pytest.mark.parametrize("seed", range(5))
def test_a_few_odd_photos_far_below_do_not_make_the_rest_a_match(seed: int) -> None:
    """One bell and two pictures of nothing far under it: the bell is not "the matches"."""
    rng = np.random.default_rng(seed)
    scores = np.array([*_bulk(rng, 60), -0.6, -0.62])
    assert cut(scores).matches <= 4


@pytest.mark.parametrize("seed", range(5))
def test_two_overlapping_crowds_are_not_a_split(seed: int) -> None:
    """Two kinds of photo a query half likes, their scores overlapping: no clean split."""
    rng = np.random.default_rng(seed)
    scores = np.array(_bulk(rng, 120, 0.20, 0.03) + _bulk(rng, 80, 0.14, 0.03))
    assert cut(scores).matches <= 8


@pytest.mark.parametrize("seed", range(5))
def test_fewer_and_more_nest(seed: int) -> None:
    """A tight group inside a looser one: fewer <= normal <= more, each a real boundary."""
    rng = np.random.default_rng(seed)
    scores = np.array(
        list(rng.normal(0.8, 0.005, 3)) + list(rng.normal(0.6, 0.03, 25)) + _bulk(rng, 300)
    )
    sizes = [cut(scores, level).matches for level in STRICTNESS]
    assert sizes == sorted(sizes)
    assert sizes[0] == 3 and sizes[1] == 28 and sizes[2] <= 35


def test_an_unknown_strictness_is_a_query_error() -> None:
    with pytest.raises(QueryError, match="strictness"):
        cut(np.array([0.1]), "lots")
    with pytest.raises(QueryError, match="cut"):
        Query(text="x", cut="lots")


# -- on a library ---------------------------------------------------------------------------

COLOURS = ("red", "blue", "green", "yellow")
SHAPES = ("circle", "square", "triangle", "star")


def truth(name: str) -> tuple[str, str]:
    colour, shape = name.split("-")[:2]
    return colour, shape


@pytest.fixture(scope="module")
def model(tiny_model_dir: Path) -> ClipModel:
    return ClipModel.load(tiny_model_dir)


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory, model: ClipModel) -> Searcher:
    """Two of every colour and shape, busy scenes, and pictures of nothing."""
    folder = tmp_path_factory.mktemp("mixed")
    n = 0
    for colour in COLOURS:
        for shape in SHAPES:
            for seed in range(2):
                when = f"20{10 + n % 12}:01:01 10:00:00"
                make_photo(folder / f"{colour}-{shape}-{seed}.jpg", colour, shape,
                           size=(240, 180), seed=n, exif_datetime=when)  # fmt: skip
                n += 1
    rng = random.Random(5)
    for i in range(12):
        scene = random_scene(rng, backgrounds=BUSY_BACKGROUNDS)
        draw(scene, (240, 180)).save(folder / f"{scene.colour}-{scene.shape}-busy{i}.jpg")
    pixels = np.random.default_rng(1).integers(0, 256, (180, 240, 3), dtype=np.uint8)
    from PIL import Image

    Image.fromarray(pixels).save(folder / "none-none-noise.jpg")
    library = Library(LibraryPaths.resolve(tmp_path_factory.mktemp("home")), model)
    library.add_folder(folder)
    library.index()
    return Searcher(library)


def names(hits) -> list[str]:
    return [h.file.path.name for h in hits]


def test_a_colour_and_shape_query_returns_those_photos_and_not_the_library(mixed) -> None:
    result = mixed.find(Query(text="a photo of a red circle", cut="normal", k=500))
    found = names(result.hits)
    assert found, "the red circles are found"
    assert all(truth(n) == ("red", "circle") for n in found)
    assert {"red-circle-0.jpg", "red-circle-1.jpg"} <= set(found)
    assert result.matches == len(found) < result.searched
    assert result.weaker and not set(names(result.weaker)) & set(found)
    everything = mixed.find(Query(text="a photo of a red circle", k=500))
    assert everything.matches == everything.searched == len(everything.hits)


def test_k_bounds_the_matches_shown_not_the_count(mixed) -> None:
    wide = mixed.find(Query(text="a photo of a circle", cut="normal", k=500))
    assert wide.matches >= 4
    bounded = mixed.find(Query(text="a photo of a circle", cut="normal", k=2))
    assert len(bounded.hits) == 2 and bounded.matches == wide.matches and bounded.truncated
    assert names(bounded.hits) == names(wide.hits)[:2]


def test_sort_by_date_orders_the_matches_only(mixed) -> None:
    best = mixed.find(Query(text="a photo of a blue shape", cut="normal", k=500))
    dated = mixed.find(Query(text="a photo of a blue shape", cut="normal", k=500, sort="date"))
    assert set(names(dated.hits)) == set(names(best.hits))
    dates = [h.date for h in dated.hits]
    assert dates == sorted(dates, reverse=True)
    assert all(truth(n)[0] == "blue" for n in names(dated.hits))


def test_find_similar_returns_the_near_copies_and_cuts_the_rest(mixed, tmp_path: Path) -> None:
    picture = make_photo(tmp_path / "q.jpg", "green", "star", size=(300, 300), seed=77)
    result = mixed.find(Query(image=picture, cut="normal", k=500))
    assert names(result.hits)[:2] and all(truth(n) == ("green", "star") for n in names(result.hits))
    assert result.matches < result.searched / 4
    own = next(h for h in mixed.search(Query(text="green star", k=1)))
    similar = mixed.find(Query(image=own.file.id, cut="normal"))
    assert own.file.id not in {h.file.id for h in similar.hits + similar.weaker}


def test_query_arithmetic_is_cut_too(mixed) -> None:
    terms = (Term(1.0, text="a photo of a square"), Term(1.0, text="a photo of a yellow shape"))
    result = mixed.find(Query(terms=terms, cut="normal", k=500))
    assert result.hits and all(truth(n) == ("yellow", "square") for n in names(result.hits))


def test_filters_cut_within_what_they_let_through(mixed) -> None:
    folder = mixed.catalog.folders()[0].id
    inside = mixed.find(Query(text="a photo of a red circle", cut="normal", folders=(folder,)))
    assert (
        names(inside.hits)
        and inside.searched == mixed.find(Query(text="x", cut="normal", k=500)).searched
    )


@pytest.mark.parametrize("count", [3, 12])
def test_a_library_where_every_photo_matches(tmp_path: Path, model: ClipModel, count: int) -> None:
    folder = tmp_path / "reds"
    for n in range(count):
        make_photo(folder / f"red-circle-{n}.jpg", "red", "circle", size=(200, 150), seed=n)
    library = Library(LibraryPaths.resolve(tmp_path / "home"), model)
    library.add_folder(folder)
    library.index()
    result = Searcher(library).find(Query(text="a photo of a red circle", cut="normal"))
    assert result.searched == count
    assert result.matches >= (count if count < 8 else 1)
    library.close()


def test_the_matches_of_a_large_library_of_many_kinds_are_cut_below_them() -> None:
    """Scores the window saw (tiny-clip, 1,200 photos of eight colours and six shapes): the
    25 blue stars stand 0.045 above the blue crosses, 0.13 robust deviations of a library
    whose many kinds spread it wide, and 15 times the gaps between neighbours up there. The
    cut is below the 25, not at the best photo alone (it was: no gap reached 0.15)."""
    import json

    saved = json.loads(
        (Path(__file__).parent.parent / "fixtures/cut/blue-star-1200.json").read_text()
    )
    scores, kinds = np.array(saved["scores"]), saved["kinds"]
    assert kinds[:25] == ["blue-star"] * 25 and "blue-star" not in kinds[25:]
    assert cut(scores).matches == 25
    assert cut(scores, "fewer").matches <= 25 <= cut(scores, "more").matches

"""Query arithmetic: rclip's term syntax, and what `+ red - blue` does to a ranking."""

from __future__ import annotations

from pathlib import Path

import pytest
from shapes_library import open_shapes_library, truth, write_shapes

from photofind.clip import ClipModel
from photofind.search import Query, QueryError, Searcher, Term
from photofind.search.expression import parse_expression


def test_a_plain_query_parses_as_before() -> None:
    e = parse_expression(["red", "car", "-people", '-"blue sky"'])
    assert (e.text, e.negative, e.terms) == ("red car", ("people", "blue sky"), ())


@pytest.mark.parametrize("name", ["photo.avif", "holiday.HEIF", "scan.jpe", "old.jfif", "a.jpg"])
def test_a_bare_picture_name_of_any_format_the_library_reads_is_an_image(name) -> None:
    assert parse_expression(["cat", "+", name]).terms == (Term(1.0, image=Path(name)),)


def test_rclip_terms_weights_and_images(tmp_path: Path) -> None:
    e = parse_expression(["2:golden retriever", "+", "./pool.jpg", "-", "fruit", "-x"])
    assert e.text is None
    assert e.terms == (
        Term(2.0, text="golden retriever"),
        Term(1.0, image=Path("pool.jpg")),
        Term(-1.0, text="fruit"),
    )
    assert e.negative == ("x",)
    e = parse_expression(["dog", "on", "grass", "-", "0.5:green"])
    assert e.text == "dog on grass" and e.terms == (Term(-0.5, text="green"),)
    picture = tmp_path / "photo"  # no suffix, but an existing file given as a path
    picture.write_bytes(b"x")
    assert parse_expression(["cat", "+", str(picture)]).terms == (Term(1.0, image=picture),)
    assert parse_expression(["t-shirt"]).text == "t-shirt"


@pytest.mark.parametrize(
    "words", [["dog", "+"], ["-", "+", "cat"], ["cat", "-", "-", "dog"], ["3:", "+", "x"]]
)
def test_an_operator_without_a_term_is_refused(words) -> None:
    with pytest.raises(QueryError, match="needs a term"):
        parse_expression(words)


def test_bad_terms_are_refused() -> None:
    with pytest.raises(QueryError):
        Term(1.0)
    with pytest.raises(QueryError):
        Term(float("nan"), text="x")


@pytest.fixture(scope="module")
def searcher(tmp_path_factory, tiny_model_dir: Path):
    folder = tmp_path_factory.mktemp("shapes")
    write_shapes(folder, ("red", "blue", "green"), ("circle", "square", "triangle"), (0, 1))
    library = open_shapes_library(
        tmp_path_factory.mktemp("lib"), ClipModel.load(tiny_model_dir), folder
    )
    yield Searcher(library)
    library.close()


def _ranks(hits, colour: str) -> list[int]:
    return [n for n, h in enumerate(hits) if truth(h.file.path)[0] == colour]


def test_plus_red_minus_blue_moves_red_up_and_blue_down(searcher: Searcher) -> None:
    base = searcher.search(Query(text="a photo of a circle", k=18))
    moved = searcher.search(
        Query(
            text="a photo of a circle",
            terms=(Term(1.0, text="red"), Term(-1.0, text="blue")),
            k=18,
        )
    )
    assert sum(_ranks(moved, "red")) < sum(_ranks(base, "red"))
    assert sum(_ranks(moved, "blue")) > sum(_ranks(base, "blue"))
    assert truth(moved[0].file.path) == ("red", "circle")
    assert all(truth(h.file.path)[0] != "blue" for h in moved[:6])


def test_weights_scale_a_term(searcher: Searcher) -> None:
    def greens(weight: float) -> int:
        terms = (Term(weight, text="a photo of something green"),)
        hits = searcher.search(Query(text="a photo of a square", terms=terms, k=6))
        return sum(truth(h.file.path)[0] == "green" for h in hits)

    assert greens(0.1) < greens(1.0) < greens(5.0)
    assert greens(5.0) == 6  # colour outweighs shape


def test_an_image_term_adds_what_the_picture_shows(searcher: Searcher, tmp_path: Path) -> None:
    from photofind.testing.synthetic import make_photo

    picture = tmp_path / "q.png"
    make_photo(picture, "green", "triangle", seed=7)
    hits = searcher.search(
        Query(text="a photo of a green square", terms=(Term(1.0, image=picture),), k=4)
    )
    assert {truth(h.file.path)[0] for h in hits} == {"green"}


def test_subtracting_everything_is_refused(searcher: Searcher) -> None:
    with pytest.raises(QueryError, match="nothing to search for"):
        searcher.search(Query(terms=(Term(-1.0, text="red"),)))

"""Search on a real library indexed with the tiny trained CLIP and synthetic photos.

One library is indexed per module (read-only tests share it); tests that change files build
their own small one.
"""

from __future__ import annotations

import shutil
import threading
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image

from photofind.clip import ClipModel
from photofind.library.home import LibraryPaths
from photofind.library.library import Library
from photofind.search import Query, Searcher
from photofind.testing.synthetic import make_photo

# (folder, colour, shape, format, EXIF date)
PHOTOS = [
    ("a", "red", "circle", "jpg", "2020:01:10 10:00:00"),
    ("a", "red", "square", "jpg", "2020:03:10 10:00:00"),
    ("a", "red", "triangle", "jpg", "2020:05:10 10:00:00"),
    ("a", "blue", "circle", "jpg", "2021:01:10 10:00:00"),
    ("a", "blue", "square", "jpg", "2021:03:10 10:00:00"),
    ("b", "blue", "triangle", "png", None),
    ("b", "green", "circle", "png", "2022:01:10 10:00:00"),
    ("b", "green", "square", "jpg", "2022:03:10 10:00:00"),
    ("b", "green", "triangle", "jpg", "2022:05:10 10:00:00"),
]


def name(colour: str, shape: str, fmt: str) -> str:
    return f"{colour}-{shape}.{fmt}"


def names(hits) -> list[str]:
    return [h.file.path.name for h in hits]


def stamp(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%d").astimezone().timestamp()


def write_photos(root: Path, photos=PHOTOS) -> None:
    for n, (folder, colour, shape, fmt, when) in enumerate(photos):
        (root / folder).mkdir(parents=True, exist_ok=True)
        make_photo(
            root / folder / name(colour, shape, fmt),
            colour,
            shape,
            size=(320 + 16 * n, 240),
            fmt=fmt,
            seed=n,
            exif_datetime=when if fmt == "jpg" else None,
        )


@pytest.fixture(scope="module")
def model(tiny_model_dir: Path) -> ClipModel:
    return ClipModel.load(tiny_model_dir)


def open_library(home: Path, model: ClipModel, *folders: Path) -> Library:
    library = Library(LibraryPaths.resolve(home), model)
    for folder in folders:
        library.add_folder(folder)
    library.index()
    return library


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory, model: ClipModel):
    root = tmp_path_factory.mktemp("photos")
    write_photos(root)
    library = open_library(tmp_path_factory.mktemp("lib"), model, root / "a", root / "b")
    yield library, Searcher(library), root
    library.close()


@pytest.mark.parametrize(("colour", "shape", "fmt"), [p[1:4] for p in PHOTOS])
def test_text_query_finds_the_described_photo_first(shared, colour, shape, fmt) -> None:
    _, searcher, _ = shared
    hits = searcher.search(Query(text=f"a photo of a {colour} {shape}", k=3))
    assert names(hits)[0] == name(colour, shape, fmt)


def test_image_query_and_similar_find_the_same_looking_photo(shared, tmp_path: Path) -> None:
    _, searcher, root = shared
    outside = tmp_path / "query.jpg"
    make_photo(outside, "green", "square", size=(500, 500), seed=99)
    assert names(searcher.similar(outside, k=3))[0] == "green-square.jpg"
    assert names(searcher.search(Query(image=outside, k=3)))[0] == "green-square.jpg"
    # A library photo as the query: itself left out, same colour or shape next.
    own = root / "a" / "red-circle.jpg"
    hits = searcher.similar(own, k=8)
    assert "red-circle.jpg" not in names(hits)
    assert len(hits) == 8


def test_text_and_image_combined(shared, tmp_path: Path) -> None:
    _, searcher, _ = shared
    query_image = tmp_path / "q.jpg"
    make_photo(query_image, "blue", "circle", seed=5)
    # The image says blue circle, the text says square: blue square shares both halves.
    both = searcher.search(Query(text="a photo of a blue square", image=query_image, k=3))
    assert names(both)[0] in ("blue-circle.jpg", "blue-square.jpg")
    text_heavy = searcher.search(
        Query(text="a photo of a green triangle", image=query_image, image_weight=0.2, k=1)
    )
    image_heavy = searcher.search(
        Query(text="a photo of a green triangle", image=query_image, image_weight=0.9, k=1)
    )
    assert names(text_heavy) == ["green-triangle.jpg"]
    assert names(image_heavy) == ["blue-circle.jpg"]


def test_negative_terms_demote_red_circles(shared) -> None:
    _, searcher, _ = shared
    plain = names(searcher.search(Query(text="a photo of a circle", k=9)))
    negative = names(searcher.search(Query.parse("a photo of a circle -red", k=9)))

    def red_ranks(ranked: list[str]) -> int:
        return sum(i for i, n in enumerate(ranked) if n.startswith("red-"))

    assert red_ranks(negative) > red_ranks(plain), "red photos as a whole move down"
    assert negative.index("red-circle.jpg") > negative.index("blue-circle.jpg")
    assert negative.index("red-circle.jpg") > negative.index("green-circle.png")
    assert set(negative[:2]) == {"blue-circle.jpg", "green-circle.png"}


def test_filters_folder_kind_and_date(shared) -> None:
    library, searcher, root = shared
    b = library.catalog.folder_for_path(root / "b").id
    in_b = searcher.search(Query(text="a photo of a red circle", folders=(b,), k=9))
    assert len(in_b) == 4 and all(h.file.folder_id == b for h in in_b)
    pngs = searcher.search(Query(text="a photo of a red circle", kinds=("png",), k=9))
    assert sorted(names(pngs)) == ["blue-triangle.png", "green-circle.png"]
    in_2021 = searcher.search(
        Query(
            text="a photo of a circle",
            date_from=stamp("2021-01-01"),
            date_to=stamp("2022-01-01"),
            k=9,
        )
    )
    assert sorted(names(in_2021)) == ["blue-circle.jpg", "blue-square.jpg"]


def test_min_score_and_sort_by_date(shared) -> None:
    _, searcher, _ = shared
    ranked = searcher.search(Query(text="a photo of a red triangle", k=9))
    cut = (ranked[0].score + ranked[1].score) / 2
    assert names(searcher.search(Query(text="a photo of a red triangle", min_score=cut))) == [
        "red-triangle.jpg"
    ]
    by_date = searcher.search(Query(text="a photo of a red shape", k=9, sort="date"))
    dates = [h.date for h in by_date]
    assert dates == sorted(dates, reverse=True) and len(by_date) == 9


def test_duplicates_group_resized_copies_only(tmp_path: Path, model: ClipModel) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    original = make_photo(photos / "beach.jpg", "red", "circle", size=(640, 480), seed=1)
    with Image.open(original) as img:
        img.resize((320, 240), Image.LANCZOS).save(photos / "beach-small.jpg", quality=70)
        img.save(photos / "beach-copy.png")
    make_photo(photos / "other-1.jpg", "blue", "square", seed=2)
    make_photo(photos / "other-2.jpg", "green", "triangle", seed=3)
    library = open_library(tmp_path / "lib", model, photos)
    try:
        groups = Searcher(library).duplicates()
        assert [sorted(f.path.name for f in g) for g in groups] == [
            ["beach-copy.png", "beach-small.jpg", "beach.jpg"]
        ]
        assert groups[0][0].path.name in ("beach.jpg", "beach-copy.png")  # biggest first
    finally:
        library.close()


def test_deleted_photos_leave_the_results(tmp_path: Path, model: ClipModel) -> None:
    root = tmp_path / "photos"
    write_photos(root, PHOTOS[:5])
    library = open_library(tmp_path / "lib", model, root / "a")
    try:
        searcher = Searcher(library)
        query = Query(text="a photo of a red circle", k=9)
        assert names(searcher.search(query))[0] == "red-circle.jpg"
        (root / "a" / "red-circle.jpg").unlink()
        assert "red-circle.jpg" not in names(searcher.search(query))  # before any rescan
        library.index()
        assert "red-circle.jpg" not in names(searcher.search(query))
        assert len(searcher.search(query)) == 4
        library.remove_folder(root / "a")
        assert searcher.search(query) == []
    finally:
        library.close()


def test_search_while_indexing(tmp_path: Path, model: ClipModel) -> None:
    root = tmp_path / "photos"
    write_photos(root, PHOTOS[:3])
    library = open_library(tmp_path / "lib", model, root / "a")
    try:
        more = root / "a" / "more"
        more.mkdir()
        for n in range(24):
            shutil.copy(root / "a" / "red-square.jpg", more / f"copy-{n}.jpg")
            make_photo(more / f"blue-{n}.jpg", "blue", "triangle", seed=100 + n)
        searcher = Searcher(library)
        errors: list[BaseException] = []

        def index() -> None:
            try:
                library.index()
            except BaseException as exc:
                errors.append(exc)

        worker = threading.Thread(target=index)
        worker.start()
        searches = 0
        while worker.is_alive() or searches < 3:
            hits = searcher.search(Query(text="a photo of a red circle", k=3))
            assert names(hits)[0] == "red-circle.jpg"
            searches += 1
        worker.join()
        assert not errors
        assert len(searcher.search(Query(text="a photo of a blue triangle", k=100))) == 51
    finally:
        library.close()

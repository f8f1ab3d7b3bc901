"""Searcher logic on a real catalog and vector index with a fake encoder of fixed vectors.

The fake model knows a few words as directions (colours, shapes), so every expected ranking
follows from the vectors; tests/core/test_search_model.py does the same on the tiny CLIP.
"""

from __future__ import annotations

import itertools
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from photofind.errors import ImageLoadError, ModelError
from photofind.library import vectorsync
from photofind.library.catalog import Catalog, NewFile
from photofind.library.home import LibraryPaths
from photofind.library.metadata import ImageFacts
from photofind.library.vectors import VectorIndex
from photofind.search import Query, QueryError, Searcher, find_duplicates, parse_query

DIM = 8
AXES = {"red": 0, "blue": 1, "green": 2, "circle": 3, "square": 4, "triangle": 5}
DAY = 86400.0
T0 = 1_600_000_000.0


def concept(*words: str, noise: np.ndarray | None = None) -> np.ndarray:
    v = np.zeros(DIM, dtype=np.float32)
    for w in words:
        v[AXES[w]] += 1.0
    if noise is not None:
        v = v + noise
    return (v / np.linalg.norm(v)).astype(np.float32)


class FakeText:
    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def encode_texts(self, texts):
        self.calls.append(list(texts))
        return np.stack([concept(*[w for w in t.split() if w in AXES]) for t in texts])


class FakeImage:
    """Encodes a picture file whose name is like "red-circle.x.jpg"."""

    def encode_images(self, items):
        out = []
        for item in items:
            words = Path(item).name.split(".")[0].split("-")
            out.append(concept(*words))
        return np.stack(out)


@dataclass
class FakeModel:
    name: str = "fake"
    embed_dim: int = DIM
    text: FakeText = field(default_factory=FakeText)
    image: FakeImage = field(default_factory=FakeImage)


@dataclass
class FakeLibrary:
    """What Searcher uses of Library: catalog and the active (model, vectors) pair."""

    paths: LibraryPaths
    catalog: Catalog
    model: FakeModel | None
    vectors: VectorIndex | None
    folder_ids: dict[str, int] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)

    def active(self) -> tuple[FakeModel | None, VectorIndex | None]:
        return self.model, self.vectors

    def refresh(self) -> None:
        """Nothing to catch up with: no other process writes this catalog."""

    def add(self, folder: str, name: str, vector: np.ndarray, taken_at: float | None = None,
            mtime: float = T0) -> int:  # fmt: skip
        root = self.paths.home.parent / folder
        root.mkdir(exist_ok=True)
        if folder not in self.folder_ids:
            self.folder_ids[folder] = self.catalog.add_folder(root).id
        path = root / name
        path.write_bytes(b"x")
        os.utime(path, (mtime, mtime))
        (file_id,) = self.catalog.add_files(
            [NewFile(self.folder_ids[folder], path, 1, int(mtime * 1e9))]
        )
        facts = ImageFacts(width=64, height=48, taken_at=taken_at)
        stored = self.catalog.store_results("fake", [(file_id, vector, facts)], [])
        assert self.vectors is not None
        self.vectors.add(np.asarray(stored), vector[None, :])
        self.ids[name] = file_id
        return file_id


@pytest.fixture
def library(tmp_path: Path):
    paths = LibraryPaths.resolve(tmp_path / "lib")
    catalog = Catalog(paths.catalog)
    vectors = vectorsync.open_index(paths.vector_file("fake"), DIM, catalog, "fake")
    lib = FakeLibrary(paths, catalog, FakeModel(), vectors)
    rng = np.random.default_rng(7)
    n = 0
    for colour in ("red", "blue", "green"):
        for shape in ("circle", "square", "triangle"):
            noise = 0.05 * rng.standard_normal(DIM).astype(np.float32)
            folder = "a" if colour != "green" else "b"
            kind = "png" if shape == "square" else "jpg"
            lib.add(
                folder,
                f"{colour}-{shape}.{kind}",
                concept(colour, shape, noise=noise),
                taken_at=T0 + n * DAY if shape != "triangle" else None,
                mtime=T0 + 100 * DAY + n,
            )
            n += 1
    yield lib
    catalog.close()


def names(hits) -> list[str]:
    return [h.file.path.name for h in hits]


# -- query text --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "positive", "negative"),
    [
        ("beach -people", "beach", ("people",)),
        ('a  dog -"red car" -cat', "a dog", ("red car", "cat")),
        ("t-shirt on x-ray - plain", "t-shirt on x-ray - plain", ()),
        ("-only", "", ("only",)),
        ("a -b -b", "a", ("b",)),
        ('-"unclosed quote', "", ("unclosed quote",)),
    ],
)
def test_parse_query(text: str, positive: str, negative: tuple[str, ...]) -> None:
    assert parse_query(text) == (positive, negative)


@pytest.mark.parametrize(
    "fields",
    [
        {"k": 0},
        {"image_weight": 1.5},
        {"sort": "size"},
        {"min_score": 2.0},
        {"date_from": 10.0, "date_to": 5.0},
    ],
)
def test_bad_queries_are_refused(fields: dict) -> None:
    with pytest.raises(QueryError):
        Query(text="x", **fields)


def test_query_parse_and_normalise() -> None:
    q = Query.parse("circle -red", kinds=[".JPG"], folders=["2"], k=3)
    assert (q.text, q.negative, q.kinds, q.folders, q.k) == ("circle", ("red",), ("jpg",), (2,), 3)
    assert Query.parse("-red").text is None


# -- ranking -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "first"),
    [("red circle", "red-circle.jpg"), ("blue square", "blue-square.png"),
     ("green triangle", "green-triangle.jpg")],
)  # fmt: skip
def test_text_query_finds_the_matching_photo_first(library, text: str, first: str) -> None:
    hits = Searcher(library).search(Query(text=text, k=5))
    assert names(hits)[0] == first
    assert len(hits) == 5
    assert all(a.score >= b.score for a, b in itertools.pairwise(hits))


def test_negative_terms_demote_matching_photos(library) -> None:
    searcher = Searcher(library)
    plain = names(searcher.search(Query(text="circle", k=3)))
    assert set(plain) == {"red-circle.jpg", "blue-circle.jpg", "green-circle.jpg"}
    ranked = names(searcher.search(Query.parse("circle -red", k=9)))
    assert ranked.index("red-circle.jpg") > ranked.index("blue-circle.jpg")
    assert ranked.index("red-circle.jpg") > ranked.index("green-circle.jpg")
    assert ranked[:2] in (["blue-circle.jpg", "green-circle.jpg"],
                          ["green-circle.jpg", "blue-circle.jpg"])  # fmt: skip


def test_only_negative_terms_is_an_error(library) -> None:
    with pytest.raises(QueryError, match="nothing to search"):
        Searcher(library).search(Query.parse("-red"))


def test_image_query_by_id_and_path_leaves_the_photo_itself_out(library) -> None:
    searcher = Searcher(library)
    own = library.ids["red-circle.jpg"]
    by_id = searcher.similar(own, k=4)
    assert own not in [h.file.id for h in by_id]
    path = library.paths.home.parent / "a" / "red-circle.jpg"
    by_path = searcher.search(Query(image=path, k=4))
    assert [h.file.id for h in by_path] == [h.file.id for h in by_id]
    # Sharing the colour or the shape beats sharing neither.
    assert set(names(by_id)) == {
        "red-square.png", "red-triangle.jpg", "blue-circle.jpg", "green-circle.jpg"
    }  # fmt: skip


def test_image_query_with_an_outside_file_encodes_it(library, tmp_path: Path) -> None:
    outside = tmp_path / "blue-triangle.query.jpg"
    outside.write_bytes(b"x")
    hits = Searcher(library).similar(outside, k=1)
    assert names(hits) == ["blue-triangle.jpg"]
    with pytest.raises(ImageLoadError, match="no such file"):
        Searcher(library).similar(tmp_path / "missing.jpg")
    with pytest.raises(QueryError, match="no photo with id"):
        Searcher(library).similar(99999)


def test_text_and_image_together(library) -> None:
    searcher = Searcher(library)
    red_square = library.ids["red-square.png"]
    # "circle" + the look of a red square: the red circle shares something with both.
    both = searcher.search(Query(text="circle", image=red_square, k=3))
    assert names(both)[0] == "red-circle.jpg"
    # Weight 1 is the image alone, weight 0 the text alone.
    image_only = searcher.search(Query(text="circle", image=red_square, image_weight=1.0, k=2))
    assert set(names(image_only)) <= {"red-circle.jpg", "red-triangle.jpg", "blue-square.png",
                                      "green-square.png"}  # fmt: skip
    assert "red-square.png" not in names(image_only)
    text_only = searcher.search(Query(text="circle", image=red_square, image_weight=0.0, k=3))
    assert all(n.endswith("circle.jpg") for n in names(text_only))


def test_text_vectors_are_cached(library) -> None:
    searcher = Searcher(library)
    searcher.search(Query(text="red circle"))
    searcher.search(Query(text="red circle"))
    assert library.model.text.calls == [["red circle"]]


# -- filters -----------------------------------------------------------------------------------


def test_filter_by_folder_kind_and_date(library) -> None:
    searcher = Searcher(library)
    in_b = searcher.search(Query(text="red circle", folders=(library.folder_ids["b"],), k=9))
    assert names(in_b)[0] == "green-circle.jpg"
    assert all(h.file.folder_id == library.folder_ids["b"] for h in in_b)
    assert len(in_b) == 3
    pngs = searcher.search(Query(text="red circle", kinds=("PNG",), k=9))
    assert sorted(names(pngs)) == ["blue-square.png", "green-square.png", "red-square.png"]
    # Taken on days 0..8 (triangles have no EXIF date: their mtime is ~day 100).
    early = searcher.search(Query(text="circle", date_to=T0 + 3.5 * DAY, k=9))
    assert sorted(names(early)) == ["blue-circle.jpg", "red-circle.jpg", "red-square.png"]
    late = searcher.search(Query(text="triangle", date_from=T0 + 50 * DAY, k=9))
    assert sorted(names(late)) == ["blue-triangle.jpg", "green-triangle.jpg", "red-triangle.jpg"]
    assert searcher.search(Query(text="circle", kinds=("gif",))) == []


def test_min_score_cuts_weak_matches(library) -> None:
    searcher = Searcher(library)
    all_hits = searcher.search(Query(text="red circle", k=9))
    cut = (all_hits[0].score + all_hits[1].score) / 2
    hits = searcher.search(Query(text="red circle", k=9, min_score=cut))
    assert names(hits) == ["red-circle.jpg"]


def test_sort_by_date_newest_first(library) -> None:
    hits = Searcher(library).search(Query(text="circle", k=3, sort="date"))
    assert names(hits) == ["green-circle.jpg", "blue-circle.jpg", "red-circle.jpg"]
    assert [h.date for h in hits] == sorted((h.date for h in hits), reverse=True)


# -- what never / always appears ---------------------------------------------------------------


def test_deleted_files_never_appear(library) -> None:
    searcher = Searcher(library)
    gone = library.ids["red-circle.jpg"]
    library.catalog.delete_files([gone])  # the vector is still in the index
    assert gone in library.vectors
    assert gone not in [h.file.id for h in searcher.search(Query(text="red circle", k=9))]
    # Removed from disk but not rescanned yet: left out too.
    (library.paths.home.parent / "a" / "blue-circle.jpg").unlink()
    hits = searcher.search(Query(text="circle", k=2))
    assert names(hits) == ["green-circle.jpg", names(hits)[1]]
    assert "blue-circle.jpg" not in names(searcher.search(Query(text="circle", k=9)))


def test_offline_folders_stay_in_results_flagged(library) -> None:
    searcher = Searcher(library)
    library.catalog.set_folder_online(library.folder_ids["b"], False)
    (library.paths.home.parent / "b" / "green-circle.jpg").unlink()  # unplugged drive
    hits = searcher.search(Query(text="green circle", k=9))
    assert names(hits)[0] == "green-circle.jpg"
    assert len(hits) == 9
    assert all(h.offline == (h.file.folder_id == library.folder_ids["b"]) for h in hits)


def test_failed_files_do_not_appear(library) -> None:
    bad = library.ids["blue-square.png"]
    library.catalog.store_results("fake", [], [(bad, "cannot identify image file")])
    hits = Searcher(library).search(Query(text="blue square", k=9))
    assert bad not in [h.file.id for h in hits]


def test_without_a_model_searching_says_how_to_get_one(library) -> None:
    library.model = None
    library.vectors = None
    with pytest.raises(ModelError, match="photofind model install"):
        Searcher(library).search(Query(text="red"))


def test_k_larger_than_library(library) -> None:
    assert len(Searcher(library).search(Query(text="red", k=500))) == 9


def test_search_while_vectors_are_added(library) -> None:
    """Queries run while another thread adds (the vector index lets changes run alone)."""
    searcher = Searcher(library)
    rng = np.random.default_rng(3)
    errors: list[BaseException] = []
    stop = threading.Event()

    def search_loop() -> None:
        try:
            while not stop.is_set():
                assert names(searcher.search(Query(text="red circle", k=3)))[0] == "red-circle.jpg"
        except BaseException as exc:
            errors.append(exc)
            raise

    thread = threading.Thread(target=search_loop)
    thread.start()
    try:
        for n in range(60):
            noise = 0.3 * rng.standard_normal(DIM).astype(np.float32)
            library.add("c", f"blue-square.{n}.jpg", concept("blue", "square", noise=noise))
    finally:
        stop.set()
        thread.join()
    assert not errors


# -- duplicates --------------------------------------------------------------------------------


def test_duplicates_group_near_identical_vectors(library) -> None:
    base = concept("red", "circle")
    library.add("a", "copy-1.jpg", base)
    library.add("a", "copy-2.jpg", (base + 0.01 * concept("blue")) / 1.0)
    library.add("b", "pair-1.jpg", concept("green", "square", noise=np.full(DIM, 0.3)))
    library.add("b", "pair-2.jpg", concept("green", "square", noise=np.full(DIM, 0.3)))
    groups = Searcher(library).duplicates(threshold=0.999)
    as_names = [sorted(f.path.name for f in g) for g in groups]
    assert as_names == [["copy-1.jpg", "copy-2.jpg"], ["pair-1.jpg", "pair-2.jpg"]]
    loose = Searcher(library).duplicates(threshold=0.99)
    assert sorted(f.path.name for f in loose[0]) == ["copy-1.jpg", "copy-2.jpg", "red-circle.jpg"]


def test_duplicates_do_not_chain_and_big_groups_are_whole(library) -> None:
    """A drifting series (each vector a near-copy of the next, the ends far apart) is split
    into groups whose every photo is a near-copy of the group's first; twenty copies of one
    picture make one group of twenty."""
    drift = {}
    for n in range(20):
        v = concept("blue", "triangle", noise=np.eye(DIM, dtype=np.float32)[7] * (n * 0.004))
        drift[library.add("c", f"many-{n}.jpg", v)] = v
    for n in range(20):
        v = concept("red", "square", noise=np.eye(DIM, dtype=np.float32)[6] * (n * 1e-5))
        drift[library.add("d", f"copy-{n}.jpg", v)] = v
    threshold = 0.9995
    assert float(drift[library.ids["many-0.jpg"]] @ drift[library.ids["many-19.jpg"]]) < threshold
    groups = find_duplicates(library.catalog, library.vectors, "fake", threshold)
    assert {f.path.name for f in groups[0]} == {f"copy-{n}.jpg" for n in range(20)}
    series = [g for g in groups if g[0].path.name.startswith("many-")]
    assert len(series) >= 2 and sum(map(len, series)) >= 19
    for kept, *others in groups:
        assert all(drift[kept.id] @ drift[f.id] >= threshold - 1e-6 for f in others)
    names = [f.path.name for g in groups for f in g]
    assert len(names) == len(set(names))
    with pytest.raises(ValueError):
        find_duplicates(library.catalog, library.vectors, "fake", 0.0)


def test_duplicates_report_progress_and_can_cancel(library) -> None:
    from photofind.errors import Cancelled
    from photofind.tasks import TaskControl

    seen = []
    Searcher(library).duplicates(0.99, progress=seen.append)
    assert seen and seen[-1].done == seen[-1].total == 9
    control = TaskControl()
    control.cancel()
    with pytest.raises(Cancelled):
        Searcher(library).duplicates(0.99, control=control)

"""Zero-shot tags on the tiny CLIP: accuracy, per-label cut-offs, tagging as photos arrive."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from shapes_library import truth, write_shapes

from photofind.clip import ClipModel
from photofind.library.home import LibraryPaths
from photofind.library.library import Library
from photofind.search import Query, QueryError, Searcher
from photofind.search.tags import Tags
from photofind.search.thresholds import NEVER, cut_off_of
from photofind.search.vocabulary import Vocabulary
from photofind.testing.synthetic import COLORS, SHAPES

TEMPLATES = ("a photo of {}", "a picture of {}", "an image of {}", "{}", "a drawing of {}")
SHAPES_VOCABULARY = Vocabulary(
    TEMPLATES,
    tuple((c, f"a {c} shape") for c in COLORS) + tuple((s, f"a {s}") for s in SHAPES),
)


@pytest.fixture(scope="module")
def model(tiny_model_dir: Path) -> ClipModel:
    return ClipModel.load(tiny_model_dir)


def tagged_library(home: Path, model: ClipModel, folder: Path, vocabulary=SHAPES_VOCABULARY):
    library = Library(LibraryPaths.resolve(home), model)
    tags = Tags(library, vocabulary)
    library.add_index_listener(tags)
    library.add_folder(folder)
    library.index()
    return library, tags


def accuracy(library: Library, tags: Tags) -> tuple[float, float]:
    """(share of photo x label decisions right, share of photos with exactly their labels)."""
    ids = library.vectors.ids().tolist()
    files = library.catalog.get_files(ids)
    labels = tags.labels_of(ids)
    names = [n for n, _ in SHAPES_VOCABULARY.labels]
    right = exact = 0
    for file_id in ids:
        want, got = set(truth(files[file_id].path)), set(labels[file_id])
        right += sum((n in want) == (n in got) for n in names)
        exact += want == got
    return right / (len(ids) * len(names)), exact / len(ids)


def test_colour_and_shape_labels_are_right(tmp_path: Path, model: ClipModel) -> None:
    write_shapes(tmp_path / "p", COLORS, SHAPES, (0, 1))
    library, tags = tagged_library(tmp_path / "lib", model, tmp_path / "p")
    try:
        pairs, exact = accuracy(library, tags)
        assert pairs >= 0.95 and exact >= 0.9, (pairs, exact)
        counts = {c.label.name: c.count for c in tags.counts()}
        assert counts["red"] == 12 and counts["circle"] == 16
        # The cut-offs are per label, read off this library: they differ.
        cutoffs = sorted(c for c, _ in tags.store.cutoffs(model.name).values())
        assert cutoffs[-1] - cutoffs[0] > 0.05
        hits = Searcher(library, tags).search(Query(tag="heart", k=100))
        assert len(hits) == 16 and all(truth(h.file.path)[1] == "heart" for h in hits)
        scores = [h.score for h in hits]
        assert scores == sorted(scores, reverse=True)
    finally:
        library.close()


def test_new_photos_are_tagged_as_they_are_indexed(tmp_path: Path, model: ClipModel) -> None:
    write_shapes(tmp_path / "p", COLORS, SHAPES, (0, 1))
    library, tags = tagged_library(tmp_path / "lib", model, tmp_path / "p")
    try:
        before = tags.store.cutoffs(model.name)
        write_shapes(tmp_path / "p" / "new", ("blue",), ("heart",), (7,))
        library.index()
        # Too few new photos to read the cut-offs again: the indexer's batch hook tagged it.
        assert tags.store.cutoffs(model.name) == before
        new = library.catalog.file_by_path((tmp_path / "p/new/blue-heart-7.jpg").absolute())
        got = set(tags.labels_of([new.id])[new.id])
        assert {"blue", "heart"} <= got
        ids, matrix = tags.label_matrix(model)
        scores = library.vectors.get_vectors([new.id])[0] @ matrix.T
        names = {lab.id: lab.name for lab in tags.store.labels()}
        expected = {
            names[int(i)] for i, s in zip(ids, scores, strict=True) if s >= before[int(i)][0]
        }
        assert got == expected  # what the whole-library pass would give with these cut-offs
        # A library a quarter bigger reads them again.
        write_shapes(tmp_path / "p" / "more", ("green", "red"), SHAPES, (8, 9))
        library.index()
        after = tags.store.cutoffs(model.name)
        assert {photos for _, photos in after.values()} == {len(library.vectors)}
    finally:
        library.close()


def test_user_labels_and_hidden_builtin_ones(tmp_path: Path, model: ClipModel) -> None:
    write_shapes(tmp_path / "p", ("red", "blue", "green"), ("circle", "square", "triangle"), (0, 1))
    library, tags = tagged_library(tmp_path / "lib", model, tmp_path / "p")
    try:
        (mine,) = tags.add(["my reds=a red shape"])
        assert not mine.builtin
        assert len(tags.tagged("my reds")) == 6  # tagged at once across the library
        tags.remove(["red"])  # a built-in label is hidden, not deleted
        assert "red" not in {c.label.name for c in tags.counts()}
        with pytest.raises(QueryError, match="no label"):
            tags.tagged("red")
        # The vocabulary does not bring a hidden label back; adding it does.
        Tags(library, SHAPES_VOCABULARY)
        assert tags.store.get("red").hidden
        tags.add(["red=a red shape"])
        assert len(tags.tagged("red")) == 6
        tags.remove(["my reds"])
        assert tags.store.get("my reds") is None
        assert len(tags.label_matrix(model)[0]) == len(SHAPES_VOCABULARY.labels)
    finally:
        library.close()


def test_label_vectors_are_computed_once_per_model(tmp_path: Path, model: ClipModel) -> None:
    library = Library(LibraryPaths.resolve(tmp_path / "lib"), model)
    try:
        tags = Tags(library, SHAPES_VOCABULARY)
        first = tags.label_matrix(model)[1]
        calls = []
        original = model.text.encode_texts
        model.text.encode_texts = lambda texts: calls.append(texts) or original(texts)
        try:
            again = Tags(library, SHAPES_VOCABULARY).label_matrix(model)[1]  # from the catalog
        finally:
            model.text.encode_texts = original
        assert calls == [] and np.allclose(first, again)
    finally:
        library.close()


def test_cut_offs_from_score_distributions() -> None:
    rng = np.random.default_rng(0)
    absent = rng.normal(0.2, 0.02, 500)
    assert cut_off_of(absent) > absent.max() - 0.01  # at most the odd outlier
    present = np.concatenate([absent, rng.normal(0.3, 0.01, 25)])
    assert 0.24 < cut_off_of(present) < 0.28
    assert cut_off_of(np.array([0.3, 0.2])) == NEVER  # too few photos to say


def test_dropping_a_model_drops_its_labels_data(tmp_path: Path, model: ClipModel) -> None:
    write_shapes(tmp_path / "p", ("red", "blue"), ("circle", "square"), (0, 1))
    library, tags = tagged_library(tmp_path / "lib", model, tmp_path / "p")
    try:
        catalog = library.catalog

        def rows(name: str) -> dict[str, int]:
            return {
                table: catalog.select(f"SELECT count(*) FROM {table} WHERE model = ?", (name,))[0][
                    0
                ]
                for table in ("file_labels", "label_cutoffs", "label_vectors")
            }

        # Another model's rows, which must stay.
        (label_id,) = [lab.id for lab in tags.store.labels() if lab.name == "red"]
        (file_id,) = library.vectors.ids()[:1].tolist()
        tags.store.store_vectors("other", [(label_id, "x", np.ones(4, np.float32))])
        tags.store.replace_labels("other", {label_id: 0.5}, 8, [(label_id, file_id, 0.9)])
        assert all(rows(model.name).values()) and rows("other") == dict.fromkeys(rows("other"), 1)
        catalog.drop_model(model.name)
        assert rows(model.name) == dict.fromkeys(rows(model.name), 0)
        assert rows("other") == dict.fromkeys(rows("other"), 1)
    finally:
        library.close()

"""Smart albums on the tiny CLIP: saved queries that grow as the watcher indexes photos."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
from shapes_library import truth, write_shapes

from photofind.clip import ClipModel
from photofind.errors import LibraryError
from photofind.library.home import LibraryPaths
from photofind.library.library import Library
from photofind.search import Query, QueryError, Searcher, Term
from photofind.search.albums import Albums
from photofind.search.tags import Tags
from photofind.testing.synthetic import make_photo


@pytest.fixture(scope="module")
def model(tiny_model_dir: Path) -> ClipModel:
    return ClipModel.load(tiny_model_dir)


def open_library(tmp_path: Path, model: ClipModel) -> tuple[Library, Albums]:
    photos = tmp_path / "photos"
    write_shapes(photos, ("red", "blue", "green"), ("circle", "square", "triangle"), (0, 1))
    library = Library(LibraryPaths.resolve(tmp_path / "lib"), model)
    tags = Tags(library)
    library.add_index_listener(tags)
    library.add_folder(photos)
    library.index()
    return library, Albums(Searcher(library, tags))


def stems(hits) -> set[str]:
    return {h.file.path.stem for h in hits}


def test_an_album_gains_the_matching_photo_the_watcher_indexes(tmp_path, model) -> None:
    library, albums = open_library(tmp_path, model)
    try:
        album = albums.add("Circles", Query(text="a photo of a circle"))
        before = albums.photos("circles")  # names are case-insensitive
        assert {truth(h.file.path)[1] for h in before} == {"circle"} and len(before) == 6
        indexed = threading.Event()
        library.watch(on_indexed=lambda report: indexed.set(), debounce=0.2, poll=0.5)
        make_photo(tmp_path / "photos" / "new-circle.jpg", "red", "circle", seed=41)
        make_photo(tmp_path / "photos" / "new-square.jpg", "green", "square", seed=42)
        deadline = time.monotonic() + 30
        while len(library.vectors) < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert indexed.wait(30) and len(library.vectors) == 20
        after = stems(albums.photos(album.name))
        assert "new-circle" in after and "new-square" not in after
        assert after == stems(before) | {"new-circle"}
    finally:
        library.close()


def test_albums_keep_the_whole_query_and_are_listed(tmp_path, model) -> None:
    library, albums = open_library(tmp_path, model)
    try:
        query = Query(
            text="a photo of a square",
            negative=("blue",),
            terms=(Term(0.5, text="a photo of something green"),),
            kinds=("jpg",),
        )
        albums.add("green squares", query)
        album = albums.get("green squares")
        assert album.query == query and not album.taught
        assert "green-square-0" in stems(albums.photos(album))
        liked = library.catalog.file_by_path((tmp_path / "photos/red-circle-0.jpg").absolute())
        other = library.catalog.file_by_path((tmp_path / "photos/blue-square-0.jpg").absolute())
        taught = albums.add("taught", Query(like=(liked.id,), unlike=(other.id,)))
        assert taught.taught and taught.cutoff is not None
        taught_stems = stems(albums.photos(taught))
        assert "red-circle-0" in taught_stems and "blue-square-0" not in taught_stems
        assert [a.name for a in albums.albums()] == ["green squares", "taught"]
        with pytest.raises(LibraryError, match="already an album"):
            albums.add("Taught", Query(text="x"))
        with pytest.raises(QueryError, match="needs something"):
            albums.add("empty", Query(negative=("x",)))
        albums.remove("taught")
        with pytest.raises(QueryError, match="no album"):
            albums.get("taught")
    finally:
        library.close()


def test_export_as_links_and_copies(tmp_path, model) -> None:
    library, albums = open_library(tmp_path, model)
    try:
        albums.add("circles", Query(text="a photo of a circle"))
        links = albums.export("circles", tmp_path / "out")
        assert len(links) == 6 and all(p.is_symlink() and p.resolve().is_file() for p in links)
        assert albums.export("circles", tmp_path / "out") == []  # nothing new the second time
        copies = albums.export("circles", tmp_path / "copies", "copy")
        assert len(copies) == 6 and not any(p.is_symlink() for p in copies)
        assert {p.read_bytes() for p in copies} == {p.resolve().read_bytes() for p in links}
    finally:
        library.close()


def test_an_albums_cut_off_is_not_read_again_on_every_listing(tmp_path, model) -> None:
    photos = tmp_path / "photos"
    write_shapes(photos, ("red",), ("circle", "square", "triangle"), (0,))  # too few to cut
    library = Library(LibraryPaths.resolve(tmp_path / "lib"), model)
    try:
        library.add_folder(photos)
        library.index()
        searcher = Searcher(library)
        albums = Albums(searcher)
        circles = albums.add("Circles", Query(text="a photo of a circle"))
        shown = searcher.find(Query(text="a photo of a circle", cut="normal"))
        assert len(albums.photos(circles)) == shown.matches == 3  # a handful is shown whole
        # No JPEG passes a PNG-only album's filter: no cut-off, read off nothing.
        assert albums.add("PNG circles", Query(text="a circle", kinds=("png",))).cutoff is None
        cutoffs = [a.cutoff for a in albums.albums()]
        read = []
        original = searcher.find
        searcher.find = lambda *a, **k: read.append(a) or original(*a, **k)
        for _ in range(3):
            assert [a.cutoff for a in albums.albums()] == cutoffs
            assert albums.get("PNG circles").cutoff is None
        assert read == []  # "none" stays fresh like a number does
    finally:
        library.close()


def test_an_album_on_a_read_only_library_still_shows_its_photos(
    tmp_path, model, monkeypatch
) -> None:
    from photofind.library import catalogfile

    library, albums = open_library(tmp_path, model)
    try:
        albums.add("Circles", Query(text="a photo of a circle"))
        # The library grows by more than a quarter: the stored cut-off is out of date.
        write_shapes(
            tmp_path / "photos" / "more", ("yellow",), ("circle", "square", "triangle"), (3, 4)
        )
        library.index()
    finally:
        library.close()
    monkeypatch.setattr(catalogfile, "writable", lambda path: (False, False))
    library = Library(LibraryPaths.resolve(tmp_path / "lib"), model)
    try:
        assert library.catalog.read_only
        albums = Albums(Searcher(library, Tags(library)))
        album = albums.get("Circles")
        assert album.problem is None and album.cutoff is not None
        hits = albums.photos(album)
        assert hits and all(s.endswith(("circle-0", "circle-1", "circle-3", "circle-4"))
                            for s in stems(hits))  # fmt: skip
        assert albums.count(album) == (len(hits), None)
    finally:
        library.close()


def test_album_counts_come_off_the_index_without_building_hits(tmp_path, model) -> None:
    library, albums = open_library(tmp_path, model)
    try:
        query = Query(text="a photo of a circle", negative=("red",))
        album = albums.add("Circles", query)
        filtered = albums.add(
            "Folder circles", replace(query, folders=(library.catalog.folders()[0].id,))
        )
        albums.searcher.tags.add(["blues=a blue shape"])
        label = albums.add("Blue things", Query(tag="blues"))
        wanted = {a.name: len(albums.photos(a)) for a in (album, filtered, label)}
        checked = []
        original = os.path.exists
        os.path.exists = lambda p: checked.append(p) or original(p)
        try:
            counted = {a.name: albums.count(a)[0] for a in (album, filtered, label)}
        finally:
            os.path.exists = original
        assert counted == wanted and wanted["Circles"] > 0 and wanted["Blue things"] > 0
        assert checked == []
    finally:
        library.close()

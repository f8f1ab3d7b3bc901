"""A damaged vector index file through the `photofind` command: rebuilt, never fatal or wrong."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from test_cli import run

from photofind.library import LibraryPaths
from photofind.library.catalog import Catalog, NewFile
from photofind.library.vectorfile import sidecar_path
from photofind.library.vectors import VectorIndex
from photofind.testing.synthetic import make_photo

MODEL = "tiny-clip"


def _grow_catalog(library: Path, photos: Path, n: int, dim: int) -> None:
    """n more stored vectors (files that are not on disk, so searches skip them): enough to
    make the index file several MiB, so that it has a middle beyond its first and last MiB."""
    catalog = Catalog(LibraryPaths.resolve(library).catalog)
    folder = next(f for f in catalog.folders() if Path(f.path) == photos)
    rows = [NewFile(folder.id, photos / f"gone-{i}.jpg", 1000, 1) for i in range(n)]
    ids = catalog.add_files(rows)
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    catalog.store_results(MODEL, [(i, vectors[k], None) for k, i in enumerate(ids)], [])
    catalog.close()


def grown_library(tmp_path: Path, model: Path, extra: int) -> tuple[Path, Path, int]:
    """(library, photos, vector size): three photos indexed through `photofind`, then
    `extra` more stored vectors (`_grow_catalog`) that the next command's index catches up on."""
    photos = tmp_path / "photos"
    photos.mkdir(exist_ok=True)
    make_photo(photos / "red-circle.jpg", "red", "circle", seed=1)
    make_photo(photos / "blue-square.jpg", "blue", "square", seed=2)
    make_photo(photos / "green-triangle.png", "green", "triangle", fmt="png", seed=3)
    library = tmp_path / "library"
    run("folders", "add", str(photos), library=library)
    run("index", library=library, model=model)
    dim = json.loads((model / "manifest.json").read_text())["embed_dim"]
    _grow_catalog(library, photos, extra, dim)
    return library, photos, dim


def test_search_rebuilds_an_index_damaged_in_its_middle(tmp_path: Path, tiny_model_dir: Path):
    library, photos, dim = grown_library(tmp_path, tiny_model_dir, 14_000)
    query = ("search", "a photo of a red circle", "-k", "2", "--all", "--json")
    run(*query, library=library, model=tiny_model_dir)  # the index catches up and is saved
    path = LibraryPaths.resolve(library).vector_file(MODEL)
    size = path.stat().st_size
    assert size > 3 << 20, "the file must be larger than the part the old check read"

    with open(path, "r+b") as fh:  # damage 4 KiB in the middle, size unchanged
        fh.seek(size // 2)
        fh.write(b"\xff" * 4096)

    for _ in range(2):  # the first search rebuilds, the second loads the rebuilt file
        done = run(*query, library=library, model=tiny_model_dir)
        assert "Traceback" not in done.stderr
        hits = json.loads(done.stdout)["hits"]
        assert hits[0]["path"] == str(photos / "red-circle.jpg")
        assert len(hits) == 2
    rebuilt = VectorIndex.load_file(path, dim, MODEL)  # the saved file is whole again
    assert len(rebuilt) == 14_003
    assert json.loads(sidecar_path(path).read_text())["current"]["file_size"] == size


def test_commands_that_change_no_vector_leave_the_file_as_it_is(tmp_path: Path, tiny_model_dir):
    """Every command closes its library with a save; a search, `similar`, `status` or an index
    with nothing new must not rewrite the file (at 1M photos it is 2.5 GB). New photos do."""
    photos = tmp_path / "photos"
    make_photo(photos / "red-circle.jpg", "red", "circle", seed=1)
    make_photo(photos / "blue-square.jpg", "blue", "square", seed=2)
    library = tmp_path / "library"
    run("folders", "add", str(photos), library=library)
    run("index", library=library, model=tiny_model_dir)
    path = LibraryPaths.resolve(library).vector_file(MODEL)

    def written() -> tuple[int, int, int, str]:
        stat = path.stat()
        return stat.st_ino, stat.st_mtime_ns, stat.st_size, sidecar_path(path).read_text()

    before = written()
    run("search", "a red circle", library=library, model=tiny_model_dir)
    run("similar", str(photos / "red-circle.jpg"), library=library, model=tiny_model_dir)
    run("status", library=library, model=tiny_model_dir)
    run("index", library=library, model=tiny_model_dir)  # nothing new
    assert written() == before
    make_photo(photos / "green-triangle.png", "green", "triangle", fmt="png", seed=3)
    run("index", library=library, model=tiny_model_dir)
    assert written() != before
    dim = json.loads((tiny_model_dir / "manifest.json").read_text())["embed_dim"]
    assert len(VectorIndex.load_file(path, dim, MODEL)) == 3

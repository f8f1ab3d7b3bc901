"""The int8 sketch through the `photofind` command: a library over the sketch threshold is
searched through it, and an index file saved by the version before it (a float32 sketch,
PFVECS2) still answers and is rewritten once in the new format."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from test_cli import run
from test_cli_vector_file import MODEL, grown_library

from photofind.library import LibraryPaths, vectorbackend, vectorfile, vectorsketch
from photofind.library.vectorbackend import VectorStore


def _write_previous_format(path: Path, dim: int) -> None:
    """Rewrite the index file as the previous version saved it, its sidecar vouching for it."""
    store = VectorStore.load(path, dim)
    ids = store.ids()
    rows = store.get(ids)
    with open(path, "wb") as fh:
        fh.write(b"PFVECS2\n")
        np.lib.format.write_array(fh, ids, allow_pickle=False)
        np.lib.format.write_array(fh, rows, allow_pickle=False)
        basis = vectorsketch.fit_basis(rows)
        for array in (basis, *vectorsketch.project(basis, rows)):
            np.lib.format.write_array(fh, array, allow_pickle=False)
    side = json.loads(vectorfile.sidecar_path(path).read_text())
    size, crc = vectorfile.file_print(path)
    side["current"].update(file_size=size, file_crc=crc, backend="numpy-sketch 2.3.5")
    vectorfile.sidecar_path(path).write_text(json.dumps(side))


def test_a_large_library_is_searched_through_the_sketch_and_an_old_file_upgraded(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    library, photos, dim = grown_library(tmp_path, tiny_model_dir, vectorbackend.SKETCH_MIN + 1000)
    path = LibraryPaths.resolve(library).vector_file(MODEL)
    query = ("search", "a photo of a red circle", "-k", "2", "--all", "--json")

    def search() -> list[str]:
        done = run(*query, library=library, model=tiny_model_dir)
        assert "Traceback" not in done.stderr
        return [hit["path"] for hit in json.loads(done.stdout)["hits"]]

    first = search()  # the index catches up (a sketch: over SKETCH_MIN vectors) and is saved
    assert first[0] == str(photos / "red-circle.jpg") and len(first) == 2
    assert path.read_bytes()[:8] == b"PFVECS3\n"
    assert VectorStore.load(path, dim)._basis is not None

    log = LibraryPaths.resolve(library).log_file

    def rebuilds() -> int:
        text = log.read_text(encoding="utf-8")
        return sum(text.count(word) for word in ("building", "rebuilding", "damaged", "sidecar"))

    built = rebuilds()
    assert built >= 1  # the catch-up above built it (the log is where this test can tell)
    _write_previous_format(path, dim)
    assert search() == first  # the old file loads and answers the same, not rebuilt
    assert rebuilds() == built
    assert path.read_bytes()[:8] == b"PFVECS3\n"  # and is rewritten once, as the new format
    stat = path.stat()
    assert search() == first
    assert (path.stat().st_ino, path.stat().st_mtime_ns) == (stat.st_ino, stat.st_mtime_ns)

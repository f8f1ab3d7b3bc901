"""The indexer's pipeline: photos decode while the image session loads, pending files stream
through one pipeline across catalog chunks, and the last batches shrink."""

from __future__ import annotations

import random
import threading
from pathlib import Path

import pytest

import photofind.library.indexer as indexer_module
from photofind.clip import ClipModel
from photofind.clip.pipeline import tapered_batch
from photofind.library.home import LibraryPaths
from photofind.library.library import Library
from photofind.testing.synthetic import draw, random_scene


def _photos(folder: Path, count: int) -> list[Path]:
    folder.mkdir()
    paths = []
    for n in range(count):
        path = folder / f"p{n:02}.jpg"
        draw(random_scene(random.Random(n)), (320, 240)).save(path, quality=90)
        paths.append(path)
    return paths


def test_photos_decode_while_the_image_session_loads(tiny_model_dir, tmp_path, monkeypatch):
    """The session's load waits until a photo has decoded: decoding that needed the session
    first (as it once did, through `model.image`) would never get there."""
    model = ClipModel.load(tiny_model_dir)
    decoded = threading.Event()
    real_open, real_decode = ClipModel._open, indexer_module.Indexer._decode

    def slow_open(self, kind):
        if kind == "image":
            assert decoded.wait(20), "no photo decoded while the image session was loading"
        return real_open(self, kind)

    def decode(self, path):
        out = real_decode(self, path)
        decoded.set()
        return out

    monkeypatch.setattr(ClipModel, "_open", slow_open)
    monkeypatch.setattr(indexer_module.Indexer, "_decode", decode)
    _photos(tmp_path / "photos", 6)
    with Library(LibraryPaths.resolve(tmp_path / "lib"), model) as library:
        library.add_folder(tmp_path / "photos")
        report = library.index()
    assert (report.indexed, report.failed) == (6, 0)
    assert not [t for t in threading.enumerate() if t.name == "load-image"]


def test_pending_files_stream_through_one_pipeline_across_chunks(
    tiny_model_dir, tmp_path, monkeypatch
):
    """With the catalog read 3 files at a time, 11 photos still go through one decode pool
    (no drain between chunks), each indexed exactly once, one broken file recorded."""
    monkeypatch.setattr(indexer_module, "CHUNK", 3)
    pipelines = []
    real = indexer_module.iter_decoded

    def counting(*args, **kwargs):
        pipelines.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(indexer_module, "iter_decoded", counting)
    photos = _photos(tmp_path / "photos", 10)
    (tmp_path / "photos" / "broken.jpg").write_bytes(photos[0].read_bytes()[:300])
    model = ClipModel.load(tiny_model_dir)
    with Library(LibraryPaths.resolve(tmp_path / "lib"), model) as library:
        library.add_folder(tmp_path / "photos")
        report = library.index()
        assert (report.indexed, report.failed) == (10, 1)
        assert len(pipelines) == 1
        ids = [library.catalog.file_by_path(p).id for p in photos]
        assert len(library.catalog.get_embeddings(model.name, ids)) == 10
        assert library.catalog.pending_count(model.name) == 0
        assert library.index().indexed == 0


@pytest.mark.parametrize("total,workers", [(48, 2), (1000, 2), (37, 1), (5, 4), (1, 2)])
def test_batches_shrink_towards_the_end(total, workers):
    sizes, left = [], total
    while left > 0:
        sizes.append(tapered_batch(left, 16, workers))
        left -= sizes[-1]
    assert sum(sizes) == total and max(sizes) <= 16
    assert sizes == sorted(sizes, reverse=True)  # full batches first, then smaller ones
    assert sizes[-1] <= 4  # the last batch leaves no core waiting long
    if total >= 64 * workers:
        assert sizes[: total // 32] == [16] * (total // 32)  # a long run keeps full batches

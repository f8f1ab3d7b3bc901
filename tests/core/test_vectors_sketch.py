"""The sketch search of large stores: the same top k as brute force for queries near the data
and across a modality gap, through adds, replacements, removals and a memory-mapped reload."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from photofind.library import vectorbackend
from photofind.library.vectors import VectorIndex

DIM = 512
N = 6000


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def _clip_like(n: int, seed: int) -> np.ndarray:
    """A shared direction plus clusters in a low-rank subspace and full-rank noise: the shape
    of CLIP image embeddings (bench/clipdata.py does the same at scale)."""
    world = np.random.default_rng(99)
    mean = world.standard_normal(DIM)
    basis = np.linalg.qr(world.standard_normal((DIM, 48)))[0].T
    centres = world.standard_normal((300, 48))
    rng = np.random.default_rng(seed)
    z = centres[rng.integers(0, 300, n)] + 0.8 * rng.standard_normal((n, 48))
    x = (z * np.arange(1, 49) ** -0.5) @ basis + 2.0 * mean / np.linalg.norm(mean)
    return _unit(x + 0.05 * rng.standard_normal((n, DIM)))


def _text_like(n: int, seed: int) -> np.ndarray:
    gap = np.random.default_rng(5).standard_normal(DIM)
    return _unit(_clip_like(n, seed) + 2.2 * gap / np.linalg.norm(gap))


@pytest.fixture(autouse=True)
def small_sketch_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vectorbackend, "SKETCH_MIN", 1000)


def _check_exact(index: VectorIndex, model: dict[int, np.ndarray], queries: np.ndarray) -> None:
    ids = np.array(sorted(model))
    matrix = np.stack([model[i] for i in ids.tolist()])
    for q in queries:
        sims = matrix @ q
        exact = ids[np.argsort(-sims, kind="stable")[:50]]
        hits = index.query(q, 50)
        assert {i for i, _ in hits} == set(exact.tolist())
        np.testing.assert_allclose([s for _, s in hits], np.sort(sims)[::-1][:50], atol=1e-5)


def test_sketch_search_finds_the_exact_top_k_for_image_and_text_queries() -> None:
    data = _clip_like(N, seed=1)
    index = VectorIndex(DIM)
    index.add(np.arange(N), data)
    assert index._store._basis is not None  # the sketch is in use, not a plain scan
    model = dict(enumerate(data))
    _check_exact(index, model, _clip_like(20, seed=2))
    _check_exact(index, model, _text_like(20, seed=3))
    # a filter allowing most rows goes through the sketch too
    allowed = set(range(0, N, 3)) | set(range(1, N, 3))
    q = _text_like(1, seed=4)[0]
    keep = np.array(sorted(allowed))
    exact = keep[np.argsort(-(data[keep] @ q), kind="stable")[:20]]
    assert [i for i, _ in index.query(q, 20, filter_ids=allowed)] == exact.tolist()


def test_changes_and_a_mapped_reload_keep_exact_results(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    index = VectorIndex(DIM, path=tmp_path / "m.index", model="m")
    data = _clip_like(N, seed=8)
    index.add(np.arange(N), data)
    model = dict(enumerate(data))
    index.save()
    index = VectorIndex.load_file(index.path, DIM, "m")
    assert isinstance(index._store._base, np.memmap) == vectorbackend.MAP_FILES
    for step in range(6):
        fresh = rng.integers(0, N + 500, 300)  # replaces (mapped rows and new ones) and adds
        vectors = _clip_like(len(fresh), seed=100 + step)
        index.add(fresh, vectors)
        model.update({int(i): vectors[n] for n, i in enumerate(fresh)})
        gone = rng.choice(sorted(model), 200, replace=False)
        index.remove(gone)
        for i in gone.tolist():
            model.pop(i)
        if step == 2:
            index.save()
            index = VectorIndex.load_file(index.path, DIM, "m")
    assert index.ids().tolist() == sorted(model)
    some = sorted(model)[::97]
    np.testing.assert_allclose(
        index.get_vectors(some), np.stack([model[i] for i in some]), atol=1e-6
    )
    _check_exact(index, model, np.vstack([_clip_like(10, seed=50), _text_like(10, seed=51)]))
    before = (tmp_path / "m.index").read_bytes()
    index.add(np.array([0]), _clip_like(1, seed=60))  # a mapped row changes in memory only
    assert (tmp_path / "m.index").read_bytes() == before


def test_a_rebuilt_index_holds_its_vectors_in_the_saved_file(tmp_path: Path) -> None:
    """A rebuild fills memory; the save that follows swaps it for the mapped file, so an app
    opened after a rebuild is as small as one that loaded the file."""
    from photofind.library import vectorsync
    from photofind.library.catalog import Catalog, NewFile

    catalog = Catalog(tmp_path / "catalog.sqlite")
    folder = catalog.add_folder(tmp_path / "photos")
    data = _clip_like(5000, seed=70)
    ids = catalog.add_files([NewFile(folder.id, tmp_path / f"{i}.jpg", 1, 1) for i in range(5000)])
    catalog.store_results("m", [(i, data[n], None) for n, i in enumerate(ids)], [])
    index = vectorsync.open_index(tmp_path / "m.index", DIM, catalog, "m")
    assert index.open_report.action == "rebuilt"
    assert index._store.unmapped_rows() == (0 if vectorbackend.MAP_FILES else 5000)
    q = _text_like(1, seed=71)[0]
    exact = np.array(ids)[np.argsort(-(data @ q), kind="stable")[:50]]
    assert {i for i, _ in index.query(q, 50)} == set(exact.tolist())
    catalog.close()

"""The sketch search of large stores: the same top k as brute force for queries near the data
and across a modality gap, through adds, replacements, removals and a memory-mapped reload."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from photofind.library import vectorbackend, vectorfile
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


# -- the int8 sketch ----------------------------------------------------------------------


def test_the_int8_kernel_is_a_valid_graph_and_exact_at_the_extremes() -> None:
    """The hand-written ModelProto passes onnx's full check, and its sums equal numpy's int64
    product, codes and query at the ends of their ranges included."""
    import threading

    import onnx

    from photofind.library import int8scan, vectorsketch

    onnx.checker.check_model(onnx.load_model_from_string(int8scan.model_bytes()), full_check=True)
    rng = np.random.default_rng(0)
    codes = rng.integers(0, vectorsketch.LEVELS + 1, (3000, 128), dtype=np.uint8)
    codes[0], codes[1] = vectorsketch.LEVELS, 0
    query = rng.integers(-128, 128, 128).astype(np.int8)
    query[:64] = 127
    query[64:] = -128
    expect = (codes.astype(np.int64) @ query.astype(np.int64)).astype(np.float32)
    np.testing.assert_array_equal(int8scan.scan(codes, query), expect)
    assert int8scan.scan(codes[:0], query).shape == (0,)
    # parallel searches share the one session
    results: list[bool] = []

    def run() -> None:
        results.extend(np.array_equal(int8scan.scan(codes, query), expect) for _ in range(20))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [True] * 80


def test_the_rounding_the_margin_allows_for_matches_the_real_error() -> None:
    """query_code's standard deviation is the spread of (int8 sketch score - float sketch
    score) over the rows, for image and text queries: what keeps the margin honest."""
    from photofind.library import int8scan, vectorsketch

    data = _clip_like(N, seed=11)
    basis = vectorsketch.fit_basis(data)
    y, rest = vectorsketch.project(basis, data)
    book = vectorsketch.fit_codebook(y)
    codes, loose = vectorsketch.encode(book, y, rest)
    assert codes.dtype == np.uint8 and int(codes.max()) <= vectorsketch.LEVELS  # no saturation
    assert not np.isinf(loose).any()  # the fitted range holds the rows it was fitted on
    for q in np.vstack([_clip_like(5, seed=12), _text_like(5, seed=13)]):
        qy = q @ basis
        code, scale, offset, rounding = vectorsketch.query_code(book, qy)
        error = offset + scale * int8scan.scan(codes, code) - y @ qy
        assert abs(float(error.mean())) < rounding
        assert 0.6 * rounding < float(error.std()) < 1.4 * rounding


def test_vectors_outside_the_fitted_range_are_found_and_many_refit_the_sketch() -> None:
    """Adds far from the vectors the codebook was fitted on clip their codes: they are still
    found (rescored by every search), a filter still excludes them, and once they are over
    1/256 of the rows the sketch is fitted again."""
    index = VectorIndex(DIM)
    data = _clip_like(N, seed=20)
    index.add(np.arange(N), data)
    basis = index._store._basis
    odd = -_clip_like(10, seed=21)  # opposite the common direction
    index.add(np.arange(N, N + 10), odd)
    assert index._store._loose == 10 and index._store._basis is basis  # few: kept, rescored
    model = dict(enumerate(np.vstack([data, odd])))
    _check_exact(index, model, np.vstack([odd[:3], _unit(odd[3:6] + odd[6:9])]))
    q = odd[0]
    allowed = set(range(N - 2000, N + 5))
    keep = np.array(sorted(allowed))
    full = np.vstack([data, odd])  # the filter keeps 5 of them
    exact = keep[np.argsort(-(full[keep] @ q), kind="stable")[:30]]
    assert [i for i, _ in index.query(q, 30, filter_ids=allowed)] == exact.tolist()
    many = -_clip_like(60, seed=22)
    index.add(np.arange(N + 10, N + 70), many)
    assert index._store._basis is not basis and index._store._loose == 0
    model.update(enumerate(many, start=N + 10))
    _check_exact(index, model, np.vstack([many[:3], data[:3], _text_like(3, seed=23)]))


def _write_v2(path: Path, ids: np.ndarray, rows: np.ndarray) -> None:
    """A vector file as photofind wrote it before the int8 sketch (PFVECS2: a float32
    sketch), and before any sketch (PFVECS1) when the path ends in .v1."""
    from photofind.library import vectorsketch

    with open(path, "wb") as fh:
        fh.write(b"PFVECS1\n" if path.suffix == ".v1" else b"PFVECS2\n")
        np.lib.format.write_array(fh, ids, allow_pickle=False)
        np.lib.format.write_array(fh, rows, allow_pickle=False)
        if path.suffix != ".v1":
            basis = vectorsketch.fit_basis(rows)
            for array in (basis, *vectorsketch.project(basis, rows)):
                np.lib.format.write_array(fh, array, allow_pickle=False)


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_a_file_in_an_older_format_loads_answers_and_saves_as_the_new_one(
    tmp_path: Path, version: str
) -> None:
    data = _clip_like(N, seed=30)
    ids = np.arange(5, N + 5, dtype=np.int64)
    path = tmp_path / f"m.{version}"
    first = VectorIndex(DIM, path=path, model="m")
    first.add(ids, data)
    first.save()  # the sidecar, then the file as the older version wrote it, vouched for
    _write_v2(path, ids, data)
    side = json.loads(vectorfile.sidecar_path(path).read_text())
    size, crc = vectorfile.file_print(path)
    side["current"].update(file_size=size, file_crc=crc, backend="numpy-sketch 2.3.5")
    vectorfile.sidecar_path(path).write_text(json.dumps(side))
    index = VectorIndex.load_file(path, DIM, "m")
    assert index._store._codes.dtype == np.uint8
    model = {int(i): data[n] for n, i in enumerate(ids)}
    _check_exact(index, model, np.vstack([_clip_like(5, seed=31), _text_like(5, seed=32)]))
    index.add(np.array([1]), _clip_like(1, seed=33))  # an add after the load
    model[1] = _clip_like(1, seed=33)[0]
    _check_exact(index, model, _text_like(5, seed=34))
    index.save()
    assert path.read_bytes()[:8] == b"PFVECS3\n"
    again = VectorIndex.load_file(path, DIM, "m")
    np.testing.assert_array_equal(
        again._store._codes[: len(model)], index._store._codes[: len(model)]
    )
    _check_exact(again, model, _text_like(5, seed=35))


# -- the packed scan ------------------------------------------------------------------------


def test_the_packed_kernel_gives_the_plain_kernels_sums_or_steps_aside() -> None:
    """MatMulNBits over prepacked codes: the same exact sums as int8scan for queries whose
    largest entry is +-127 (what query_code makes), None for any other."""
    from photofind.library import int8scan, packedscan, vectorsketch

    rng = np.random.default_rng(11)
    codes = rng.integers(0, vectorsketch.LEVELS + 1, (5000, 128), dtype=np.uint8)
    codes[0], codes[1] = vectorsketch.LEVELS, 0
    block = packedscan.pack(codes)
    assert block is not None, "this ONNX Runtime packs (1.32 here)"
    for sign in (1, -1, 1, -1):
        query = rng.integers(-127, 128, 128).astype(np.int8)
        query[rng.integers(128)] = 127 * sign
        np.testing.assert_array_equal(block.sums(query), int8scan.scan(codes, query))
    assert block.sums(np.full(128, 100, np.int8)) is None
    assert block.sums(np.full(128, -128, np.int8)) is None
    assert packedscan.pack(codes[:, :96].copy()) is None  # a block is a power of two wide


def test_a_store_packs_after_a_few_searches_and_stays_exact_through_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Searches 4 on pack the store's blocks in the background (the last one with what rows
    there are); results stay the exact top 50 while it packs, once it has, and after
    replacements and removals (the blocks they touch go back to the plain scan, the others
    stay packed) and adds past a block's packed rows (it stays); the next quiet spell of
    searches packs the dropped blocks and the new ones again."""
    from photofind.library import packedscan

    monkeypatch.setattr(packedscan, "BLOCK", 1024)
    monkeypatch.setattr(packedscan, "PACK_MIN", 2048)
    data = _clip_like(N, seed=21)
    index = VectorIndex(DIM)
    index.add(np.arange(N), data)
    model = dict(enumerate(data))
    queries = np.vstack([_clip_like(6, seed=22), _text_like(6, seed=23)])
    _check_exact(index, model, queries)  # 12 searches: packing starts at the 4th
    packed = index._store._packed
    assert packed.wait()
    assert sorted(packed._blocks) == list(range(6)), "5 whole blocks and the last 880 rows"
    assert packed._blocks[5].rows == N - 5 * 1024
    _check_exact(index, model, queries)
    rng = np.random.default_rng(24)
    fresh = np.concatenate([rng.integers(0, 1024, 5), np.arange(N, N + 100)])
    vectors = _clip_like(len(fresh), seed=25)
    index.add(fresh, vectors)  # replaces in block 0; adds into block 5's range, past its rows
    model.update({int(i): vectors[n] for n, i in enumerate(fresh)})
    assert 0 not in packed._blocks and 1 in packed._blocks
    assert packed._blocks[5].rows == N - 5 * 1024, "rows added past its packed rows: it stays"
    _check_exact(index, model, queries)  # a quiet spell: block 0 packs again
    assert packed.wait()
    assert sorted(packed._blocks) == list(range(6))
    index.add(np.arange(N + 100, N + 2000), _clip_like(1900, seed=26))  # into blocks 6 and 7
    model.update({N + 100 + n: v for n, v in enumerate(_clip_like(1900, seed=26))})
    gone = np.array([3000, 3001])  # block 2: the last rows move into their places
    index.remove(gone)
    for i in gone.tolist():
        model.pop(i)
    assert 2 not in packed._blocks and 1 in packed._blocks
    _check_exact(index, model, queries)
    assert packed.wait()
    assert sorted(packed._blocks) == list(range(8)), "block 2 again, and the new blocks 6, 7"
    assert packed._blocks[5].rows == N - 5 * 1024, "880 of its 1024 rows: enough to keep"
    assert packed._blocks[7].rows == N + 1998 - 7 * 1024
    _check_exact(index, model, queries)
    store = index._store
    last = store._ids[store._n - 10 : store._n][::-1].copy()  # the last rows, last first
    for i in last.tolist():  # one at a time, the last row each: no row moves, and block 7
        index.remove([i])  # now holds more rows than its range has
        model.pop(int(i))
    assert packed._blocks[7].rows == store._n - 7 * 1024 + 10
    _check_exact(index, model, queries)  # the plain scan for them, then packed again
    assert packed.wait()
    assert packed._blocks[7].rows == store._n - 7 * 1024


def test_changes_while_the_blocks_pack_never_leave_a_stale_block(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A block copied for packing and changed before its packing ends is not used: looped,
    with the change landing at varying points of the build."""
    from photofind.library import packedscan

    monkeypatch.setattr(packedscan, "BLOCK", 1024)
    monkeypatch.setattr(packedscan, "PACK_MIN", 2048)
    data = _clip_like(N, seed=31)
    queries = _text_like(4, seed=32)
    for round_ in range(8):
        index = VectorIndex(DIM)
        index.add(np.arange(N), data)
        model = dict(enumerate(data))
        for q in queries:
            index.query(q, 50)  # the 4th starts the build
        rows = np.arange(round_ * 600, round_ * 600 + 3) % N
        vectors = _clip_like(3, seed=40 + round_)
        index.add(rows, vectors)  # lands before, during or after the block's packing
        model.update({int(i): vectors[n] for n, i in enumerate(rows)})
        assert index._store._packed.wait()
        assert int(rows[0]) // 1024 not in index._store._packed._blocks
        _check_exact(index, model, queries)

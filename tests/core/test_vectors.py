"""VectorIndex: exact results, deletes, growth, filters, atomic saves, open-time checks."""

from __future__ import annotations

import functools
import os
import threading
from pathlib import Path

import numpy as np
import pytest

from photofind.errors import LibraryError
from photofind.library import vectorfile, vectorsync
from photofind.library.catalog import Catalog, NewFile
from photofind.library.vectors import VectorIndex

DIM = 16
MODEL = "m"


def _unit(rows: np.ndarray) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.float32)
    return rows / np.linalg.norm(rows, axis=-1, keepdims=True)


def _random(n: int, dim: int = DIM, seed: int = 0) -> np.ndarray:
    return _unit(np.random.default_rng(seed).standard_normal((n, dim)))


def _clustered(n: int, dim: int, seed: int) -> np.ndarray:
    """Random vectors around random centres: embeddings of real photos cluster like this."""
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(1234).standard_normal((200, dim))
    return _unit(centres[rng.integers(0, 200, n)] + 0.5 * rng.standard_normal((n, dim)))


def _recall(index: VectorIndex, data: np.ndarray, queries: np.ndarray, k: int) -> float:
    exact = np.argsort(-(queries @ data.T), axis=1)[:, :k]
    hits = [
        len({i for i, _ in index.query(q, k)} & set(exact[n].tolist())) / k
        for n, q in enumerate(queries)
    ]
    return float(np.mean(hits))


@pytest.fixture
def catalog(tmp_path: Path):
    cat = Catalog(tmp_path / "catalog.sqlite")
    yield cat
    cat.close()


def _fill(cat: Catalog, n: int, seed: int = 0, start: int = 0) -> tuple[list[int], np.ndarray]:
    """n files with stored vectors; returns their ids and vectors."""
    root = cat.path.parent / "photos"
    folder = cat.add_folder(root)
    ids = cat.add_files([NewFile(folder.id, root / f"{start + i}.jpg", 1, 1) for i in range(n)])
    data = _random(n, seed=seed)
    cat.store_results(MODEL, [(i, data[n_], None) for n_, i in enumerate(ids)], [])
    return ids, data


def _open(cat: Catalog, progress=None) -> VectorIndex:
    return vectorsync.open_index(cat.path.parent / "vectors" / "m.index", DIM, cat, MODEL, progress)


def test_recall_on_clustered_vectors_with_default_params() -> None:
    data, queries = _clustered(20_000, 64, seed=1), _clustered(50, 64, seed=2)
    index = VectorIndex(64)
    index.add(np.arange(20_000), data)
    assert _recall(index, data, queries, k=50) >= 0.95


def test_recall_on_uniform_vectors() -> None:
    data, queries = _random(20_000, 64, seed=3), _random(50, 64, seed=4)
    index = VectorIndex(64)
    index.add(np.arange(20_000), data)
    # iid uniform vectors are the worst case for a graph index; an exact search does not care
    assert _recall(index, data, queries, k=50) >= 0.95


def test_query_scores_order_and_small_cases() -> None:
    index = VectorIndex(DIM)
    assert index.query(_random(1)[0], 5) == []
    data = _random(50)
    index.add(np.arange(100, 150), data)
    hits = index.query(data[7], 10)
    assert hits[0][0] == 107 and hits[0][1] == pytest.approx(1.0, abs=1e-5)
    scores = [s for _, s in hits]
    assert scores == sorted(scores, reverse=True)
    assert scores[3] == pytest.approx(
        float(data[[i - 100 for i, _ in hits]][3] @ data[7]), abs=1e-5
    )
    assert len(index.query(data[0], 500)) == 50  # k > live count
    assert index.query(data[0], 0) == []
    with pytest.raises(ValueError, match="dims"):
        index.query(np.ones(DIM + 1), 3)
    with pytest.raises(ValueError, match="finite"):
        index.query(np.full(DIM, np.nan), 3)
    with pytest.raises(ValueError, match="dims"):
        index.add(np.array([1]), np.ones((1, DIM + 1)))


def test_remove_hides_ids_and_frees_their_room() -> None:
    index = VectorIndex(DIM)
    data = _random(300)
    index.add(np.arange(300), data)
    index.remove([5, 6, 7, 999])
    assert len(index) == 297 and 5 not in index and 8 in index
    assert {i for i, _ in index.query(data[5], 300)}.isdisjoint({5, 6, 7})
    assert len(index._store) == 297  # removed vectors are gone, not tombstones
    index.add(np.array([1000, 1001, 1002]), _random(3, seed=9))
    assert len(index._store) == 300
    assert len(index) == 300 and 1001 in index
    assert index.query(_random(3, seed=9)[1], 1)[0][0] == 1001


def test_readding_replaces_the_vector() -> None:
    index = VectorIndex(DIM)
    data = _random(100)
    index.add(np.arange(100), data)
    new = _random(1, seed=42)
    index.add(np.array([10]), new)  # live id: updated in place
    assert index.query(new[0], 1)[0][0] == 10
    np.testing.assert_allclose(index.get_vectors([10])[0], new[0], atol=1e-6)
    index.remove([20])
    index.add(np.array([20]), data[20:21])  # deleted id: back to life
    assert 20 in index and index.query(data[20], 1)[0][0] == 20
    index.add(np.array([30, 30]), np.stack([data[0], new[0]]))  # repeated id: last one wins
    np.testing.assert_allclose(index.get_vectors([30])[0], new[0], atol=1e-6)
    assert len(index) == 100
    with pytest.raises(KeyError):
        index.get_vectors([5000])


def test_deleted_slot_taken_by_another_id_then_old_id_comes_back() -> None:
    index = VectorIndex(DIM)
    data = _random(10)
    index.add(np.arange(10), data)
    index.remove([3])
    index.add(np.array([50]), _random(1, seed=5))  # takes 3's slot
    index.add(np.array([3]), data[3:4])  # 3 was removed: added anew
    assert 3 in index and 50 in index and len(index) == 11
    assert index.query(data[3], 1)[0][0] == 3


def test_many_small_adds_grow_the_index() -> None:
    index = VectorIndex(DIM)
    data = _random(5000)
    for start in range(0, 5000, 250):
        index.add(np.arange(start, start + 250), data[start : start + 250])
    assert len(index) == 5000 and index.ids().tolist() == list(range(5000))
    assert index.query(data[4321], 1)[0][0] == 4321
    index.add(np.array([10**7]), data[:1])  # a far id grows the id mask, not the vectors
    assert 10**7 in index and len(index._store) == 5001


def test_filters_small_and_large() -> None:
    index = VectorIndex(DIM)
    data = _random(3000)
    index.add(np.arange(3000), data)
    index.remove([2])
    small = {1, 2, 3, 77, 999_999}
    hits = index.query(data[2], 10, filter_ids=small)
    assert {i for i, _ in hits} == {1, 3, 77}  # deleted and unknown ids left out
    exact = sorted(((float(data[i] @ data[2]), i) for i in (1, 3, 77)), reverse=True)
    assert [i for i, _ in hits] == [i for _, i in exact]
    large = set(range(0, 3000, 3))  # a third of the ids: one scan that skips the others
    hits = index.query(data[9], 50, filter_ids=large)
    allowed = np.array(sorted(large))
    exact = allowed[np.argsort(-(data[allowed] @ data[9]), kind="stable")[:50]]
    assert [i for i, _ in hits] == exact.tolist()
    assert len(index.query(data[9], 50, filter_ids=set(range(2, 40)))) == 37
    assert index.query(data[9], 5, filter_ids=set()) == []
    assert index.query(data[9], 3, filter_ids=sorted(large))[0][0] == 9  # any iterable


def test_query_survives_mostly_deleted_index() -> None:
    index = VectorIndex(DIM)
    data = _random(2000)
    index.add(np.arange(2000), data)
    index.remove(np.arange(0, 1990))
    hits = index.query(data[0], 50)
    assert sorted(i for i, _ in hits) == list(range(1990, 2000))


def test_results_are_the_exact_ranking_for_queries_far_from_the_data() -> None:
    """Text vectors sit across CLIP's modality gap from image vectors, where graph indexes
    lose recall; every query gets the exact top k."""
    data = _clustered(20_000, 64, seed=5)
    gap = _unit(np.random.default_rng(6).standard_normal(64))
    queries = _unit(_clustered(30, 64, seed=7) + 2.0 * gap)
    index = VectorIndex(64)
    index.add(np.arange(20_000), data)
    for q in queries:
        exact = np.argsort(-(data @ q), kind="stable")[:50]
        hits = index.query(q, 50)
        assert [i for i, _ in hits] == exact.tolist()
        assert hits[-1][1] == pytest.approx(float(data[exact[-1]] @ q), abs=1e-5)


def test_open_builds_then_loads(catalog: Catalog) -> None:
    ids, data = _fill(catalog, 500)
    calls: list[tuple[int, int]] = []
    index = _open(catalog, lambda done, total: calls.append((done, total)))
    assert index.open_report.action == "rebuilt" and len(index) == 500
    assert calls[-1] == (500, 500)
    path = index.path
    assert path.is_file() and vectorfile.sidecar_path(path).is_file()
    again = _open(catalog)
    assert again.open_report.action == "loaded"
    assert again.query(data[10], 1)[0][0] == ids[10]
    again.remove([ids[0]])
    again.save()
    assert VectorIndex.load_file(path, DIM, MODEL).ids().tolist() == ids[1:]


def test_open_syncs_changes_made_behind_its_back(catalog: Catalog) -> None:
    ids, _ = _fill(catalog, 400)
    _open(catalog)
    new_ids, new_data = _fill(catalog, 20, seed=7, start=1000)
    catalog.delete_files(ids[:15])
    changed = _random(1, seed=99)
    catalog.store_results(MODEL, [(ids[100], changed[0], None)], [])  # re-encoded
    index = _open(catalog)
    report = index.open_report
    assert (report.action, report.added, report.removed) == ("synced", 21, 15)
    assert len(index) == 405
    assert all(i not in index for i in ids[:15]) and all(i in index for i in new_ids)
    assert index.query(new_data[3], 1)[0][0] == new_ids[3]
    assert index.query(changed[0], 1)[0][0] == ids[100]
    assert _open(catalog).open_report.action == "loaded"


def test_a_save_records_the_stamp_of_what_the_index_holds(catalog: Catalog) -> None:
    ids, _ = _fill(catalog, 50)
    index = _open(catalog)
    changed = _random(1, seed=5)
    catalog.store_results(MODEL, [(ids[3], changed[0], None)], [])  # another process
    index.save()  # this process never saw that vector: its file must not claim it
    again = _open(catalog)
    assert (again.open_report.action, again.open_report.added) == ("synced", 1)
    assert again.query(changed[0], 1)[0][0] == ids[3]
    assert again.stamp == catalog.embedding_stamp(MODEL)


def test_a_batch_moves_the_stamp_on_only_for_an_index_that_was_in_line(catalog: Catalog) -> None:
    ids, _ = _fill(catalog, 10)
    index = _open(catalog)
    behind = _open(catalog)
    other, _ = _fill(catalog, 3, seed=2, start=100)  # stored by someone else: `behind` lacks it
    newer = catalog.embedding_stamp(MODEL)
    index.mirror(newer, catalog.embedding_removals(MODEL))  # pretend `index` synced it
    vector = _random(1, seed=8)
    batch = catalog.store_batch(MODEL, [(ids[0], vector[0], None)], [])
    assert (batch.ids, batch.before) == ([ids[0]], newer) and batch.after > newer
    for held in (index, behind):
        held.add(np.array(batch.ids), vector)
        held.advance(batch.before, batch.after)
    assert index.stamp == batch.after == catalog.embedding_stamp(MODEL)
    assert behind.stamp < newer, "it never held the other vectors"
    behind.save()
    again = _open(catalog)
    assert again.open_report.action == "synced" and all(i in again for i in other)


def test_large_difference_rebuilds(catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    ids, _ = _fill(catalog, 200)
    _open(catalog)
    catalog.delete_files(ids[:150])
    monkeypatch.setattr(vectorsync, "REBUILD_MIN", 10)
    index = _open(catalog)
    assert index.open_report.action == "rebuilt" and len(index) == 50
    assert len(index._store) == 50


@pytest.mark.parametrize("damage", ["missing", "truncated", "garbage", "no-sidecar", "sidecar"])
def test_damaged_files_are_rebuilt(catalog: Catalog, damage: str) -> None:
    ids, data = _fill(catalog, 300)
    path = _open(catalog).path
    side = vectorfile.sidecar_path(path)
    if damage == "missing":
        path.unlink()
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:5000])
    elif damage == "garbage":
        path.write_bytes(os.urandom(path.stat().st_size))
    elif damage == "no-sidecar":
        side.unlink()
    else:
        side.write_text("{not json")
    index = _open(catalog)
    assert index.open_report.action == "rebuilt"
    assert len(index) == 300 and index.query(data[5], 1)[0][0] == ids[5]


def test_wrong_dimension_file_is_rebuilt(catalog: Catalog, tmp_path: Path) -> None:
    _ids, _data = _fill(catalog, 50)
    path = tmp_path / "vectors" / "m.index"
    other = VectorIndex(DIM * 2, path=path, model=MODEL)
    other.add(np.arange(5), _random(5, DIM * 2))
    other.save()
    index = _open(catalog)
    assert index.open_report.action == "rebuilt" and index.dim == DIM and len(index) == 50


def test_catalog_vectors_of_another_size_are_a_clear_error(catalog: Catalog) -> None:
    _fill(catalog, 5)
    with pytest.raises(LibraryError, match="16-d vectors"):
        vectorsync.open_index(catalog.path.parent / "x.index", 32, catalog, MODEL)


def test_crash_before_rename_keeps_the_old_file(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids, _data = _fill(catalog, 300)
    index = _open(catalog)
    index.remove(ids[:10])

    def crash(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(vectorfile.os, "replace", crash)
    with pytest.raises(LibraryError, match="No space left"):
        index.save()
    monkeypatch.undo()
    assert list(index.path.parent.glob("*.tmp-*")) == []
    old = VectorIndex.load_file(index.path, DIM, MODEL)
    assert len(old) == 300  # the file from before the failed save, intact


def test_kill_between_the_two_renames_is_harmless(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ids, _data = _fill(catalog, 300)
    index = _open(catalog)
    new_ids, new_data = _fill(catalog, 5, seed=3, start=500)
    index.add(np.array(new_ids), new_data)
    real_replace = os.replace
    calls = []

    def replace_then_die(src: str, dst: str) -> None:
        calls.append(dst)
        if len(calls) == 2:
            raise KeyboardInterrupt  # killed after the sidecar rename
        real_replace(src, dst)

    monkeypatch.setattr(vectorfile.os, "replace", replace_then_die)
    with pytest.raises(KeyboardInterrupt):
        index.save()
    monkeypatch.undo()
    reopened = _open(catalog)  # new sidecar, old index: its "previous" entry still matches
    assert reopened.open_report.action == "synced"
    assert reopened.open_report.added == 5 and len(reopened) == 305
    assert reopened.query(new_data[2], 1)[0][0] == new_ids[2]


def test_temp_files_of_a_killed_save_are_cleaned(catalog: Catalog) -> None:
    _fill(catalog, 20)
    path = _open(catalog).path
    stale = path.with_name(path.name + ".tmp-123-456")
    stale.write_bytes(b"half written")
    assert _open(catalog).open_report.action == "loaded"
    assert not stale.exists()


def test_brute_force_uses_catalog_vectors(catalog: Catalog) -> None:
    ids, data = _fill(catalog, 200)
    index = _open(catalog)
    hits = index.query(data[0], 3, filter_ids=set(ids[:20]))
    sims = data[:20] @ data[0]
    assert [i for i, _ in hits] == [ids[n] for n in np.argsort(-sims)[:3]]
    assert hits[1][1] == pytest.approx(float(np.sort(sims)[-2]), abs=1e-5)


def test_adds_and_queries_from_threads(race) -> None:
    index = VectorIndex(DIM)
    data = _random(4000)
    index.add(np.arange(500), data[:500])
    errors: list[BaseException] = []
    stop = threading.Event()

    def writer() -> None:
        try:
            n = 500
            while not stop.is_set() and n < 4000:
                index.add(np.arange(n, n + 50), data[n : n + 50])
                index.remove([n - 400])
                n += 50
        except BaseException as exc:
            errors.append(exc)

    def reader(seed: int) -> None:
        rng = np.random.default_rng(seed)
        try:
            while not stop.is_set():
                hits = index.query(data[rng.integers(0, 500)], 20)
                assert len(hits) == 20 and len({i for i, _ in hits}) == 20
                index.query(data[1], 5, filter_ids={1, 2, 3})
        except BaseException as exc:
            errors.append(exc)

    race([writer, *(functools.partial(reader, s) for s in range(3))], stop)
    assert not errors, errors


def test_random_adds_replaces_and_removes_match_a_plain_dict(tmp_path: Path) -> None:
    """Removal moves the last stored vector into the hole: ids, vectors and rankings must stay
    those of a plain {id: vector} model through any sequence of changes and a save/load."""
    rng = np.random.default_rng(11)
    index = VectorIndex(DIM, path=tmp_path / "m.index", model=MODEL)
    model: dict[int, np.ndarray] = {}
    for step in range(300):
        if rng.random() < 0.6 or not model:
            ids = rng.integers(0, 400, int(rng.integers(1, 30)))
            data = _random(len(ids), seed=step)
            index.add(ids, data)
            model.update({int(i): data[n] for n, i in enumerate(ids)})
        else:
            gone = rng.choice(list(model), int(rng.integers(1, 10)))
            index.remove(gone)
            for i in gone.tolist():
                model.pop(i, None)
        if step % 50 == 49:
            index.save()
            index = VectorIndex.load_file(index.path, DIM, MODEL)
        assert index.ids().tolist() == sorted(model)
    ids = sorted(model)
    np.testing.assert_allclose(index.get_vectors(ids), np.stack([model[i] for i in ids]), atol=1e-6)
    matrix = np.stack([model[i] for i in ids])
    for q in _random(20, seed=99):
        exact = [ids[n] for n in np.argsort(-(matrix @ q), kind="stable")[:10]]
        assert [i for i, _ in index.query(q, 10)] == exact
        some = np.array(ids[::3])
        exact_some = some[np.argsort(-(matrix[::3] @ q), kind="stable")[:10]].tolist()
        assert [i for i, _ in index.query(q, 10, filter_ids=set(some.tolist()))] == exact_some


def test_neighbours_are_every_id_above_the_threshold() -> None:
    data = _clustered(3000, DIM, seed=8)
    index = VectorIndex(DIM)
    index.add(np.arange(3000) * 2, data)  # ids unlike rows
    index.remove([0, 2])
    queries = np.vstack([data[:40], data[5:6]])
    found = index.neighbours(queries, 0.9)
    live = np.arange(2, 3000)
    for q, got in zip(queries, found, strict=True):
        expected = live[(data[2:] @ q) >= 0.9 - 1e-6] * 2
        assert sorted(got.tolist()) == sorted(expected.tolist())
    assert 10 in index.neighbours(data[5:6], 1.0)[0]  # its own copy, despite float rounding

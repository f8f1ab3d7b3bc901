"""Duplicate detection by cells finds exactly the pairs an all-pairs comparison finds: near-copies
planted at the threshold's edge among clustered vectors, and none below it; whether a block's
pairs are screened on the 128-d sketches or scored whole. It reads the vectors from the index,
stops on a cancel, and a photo removed meanwhile matches nothing."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest

from photofind.errors import Cancelled
from photofind.library import vectorsync
from photofind.library.catalog import Catalog, NewFile
from photofind.library.vectors import VectorIndex
from photofind.search import closepairs, duplicates
from photofind.tasks import Progress, TaskControl

DIM = 256  # more than the sketch's 128: what it leaves out matters
THRESHOLD = 0.95


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def _planted(n: int, pairs: int, seed: int) -> np.ndarray:
    """Clustered vectors, the last `pairs` of them near-copies of earlier ones at cosine 0.95
    to 0.97, and as many more just below the threshold (cosine ~0.93)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((400, DIM))
    base = _unit(3 * centres[rng.integers(0, 400, n)] + rng.standard_normal((n, DIM)) + 4.0)
    originals = rng.choice(n - 2 * pairs, 2 * pairs, replace=False)
    noise = rng.standard_normal((2 * pairs, DIM))
    noise -= (noise * base[originals]).sum(axis=1, keepdims=True) * base[originals]
    noise = _unit(noise)
    sigma = np.concatenate(
        [rng.uniform(0.25, 0.328, pairs), np.full(pairs, 0.4)]
    )  # cos 1/sqrt(1+s^2)
    base[n - 2 * pairs :] = _unit(base[originals] + sigma[:, None] * noise)
    return base


def _pairs(run, matrix: np.ndarray) -> set[tuple[int, int]]:
    found: set[tuple[int, int]] = set()

    def joined(rows: np.ndarray, cols: np.ndarray, done: int) -> None:
        found.update(
            (min(a, b), max(a, b))
            for a, b in zip(rows.tolist(), cols.tolist(), strict=True)
            if a != b
        )

    run(matrix.__getitem__, len(matrix), THRESHOLD, joined)
    return found


@functools.cache
def _planted_and_exact() -> tuple[np.ndarray, set[tuple[int, int]]]:
    matrix = _planted(8000, 100, seed=1)
    return matrix, _pairs(closepairs.all_pairs, matrix)


@pytest.mark.parametrize("dense", [0, 10**9], ids=["screened-on-sketches", "blocks-whole"])
def test_cells_find_every_pair_all_pairs_finds(dense: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(closepairs, "_DENSE", dense)
    matrix, exact = _planted_and_exact()
    by_cells = _pairs(closepairs.pairs_by_cells, matrix)
    planted = {(a, b) for a, b in exact if b >= 8000 - 200}
    assert len(planted) >= 100  # the near-copies above the threshold, the near misses not
    assert by_cells == exact


def _library(tmp_path: Path, matrix: np.ndarray) -> tuple[Catalog, VectorIndex, list[int]]:
    catalog = Catalog(tmp_path / "catalog.sqlite")
    root = tmp_path / "photos"
    folder = catalog.add_folder(root)
    files = [NewFile(folder.id, root / f"{i}.jpg", 1, 1) for i in range(len(matrix))]
    ids = catalog.add_files(files)
    catalog.store_results("m", [(i, matrix[n], None) for n, i in enumerate(ids)], [])
    return catalog, vectorsync.open_index(tmp_path / "m.index", DIM, catalog, "m"), ids


def test_find_duplicates_by_cells_groups_the_planted_copies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    matrix = _planted(2000, 30, seed=2)
    catalog, index, ids = _library(tmp_path, matrix)
    exact = duplicates.find_duplicates(catalog, index, "m", THRESHOLD)  # all pairs
    monkeypatch.setattr(closepairs, "EXACT_MAX", 100)  # cells even for this small library
    groups = duplicates.find_duplicates(catalog, index, "m", THRESHOLD)
    as_ids = [[f.id for f in g] for g in groups]
    assert as_ids == [[f.id for f in g] for g in exact] and len(groups) >= 30
    row = {file_id: n for n, file_id in enumerate(ids)}
    for kept, *others in as_ids:  # each a near-copy of the photo to keep
        assert all(matrix[row[kept]] @ matrix[row[o]] >= THRESHOLD - 1e-6 for o in others)
    grouped = {i for g in as_ids for i in g}
    assert len(grouped) == sum(map(len, as_ids))  # one group per photo at most
    leaders = [row[g[0]] for g in as_ids]
    for a, b in _pairs(closepairs.all_pairs, matrix):  # no near-copy of a kept photo left out
        for x, y in ((a, b), (b, a)):
            assert not (x in leaders and ids[y] not in grouped), (x, y)
    catalog.close()


def test_star_groups_split_a_chain_and_pick_the_nearer_leader() -> None:
    """Ranks 0..4: 0~1, 1~2, 2~3 (a chain), and 4 near both 0 and 2 but nearer 2."""
    upper, lower = np.array([0, 1, 2, 0, 2]), np.array([1, 2, 3, 4, 4])
    near = {(4, 0): 0.96, (4, 2): 0.99}
    asked: list[tuple[int, int]] = []

    def score(who: np.ndarray, lead: np.ndarray) -> np.ndarray:
        asked.extend(zip(who.tolist(), lead.tolist(), strict=True))
        return np.array([near[p] for p in zip(who.tolist(), lead.tolist(), strict=True)])

    leader_of = duplicates.star_groups(5, upper, lower, score)
    # 0 leads {0, 1}; 2 (not a near-copy of 0) leads {2, 3, 4}: 4 is nearer 2 than 0.
    assert leader_of.tolist() == [0, 0, 2, 2, 2]
    assert sorted(asked) == [(4, 0), (4, 2)]  # only a photo with a choice is scored


def test_a_cancel_stops_the_cells_between_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(closepairs, "EXACT_MAX", 100)
    monkeypatch.setattr(closepairs, "READ", 500)  # several blocks before the cells start
    catalog, index, _ = _library(tmp_path, _planted(2000, 30, seed=3))
    control = TaskControl()
    calls: list[Progress] = []

    def progress(update: Progress) -> None:
        calls.append(update)
        control.cancel()

    with pytest.raises(Cancelled):
        duplicates.find_duplicates(
            catalog, index, "m", THRESHOLD, progress=progress, control=control
        )
    assert len(calls) == 1 and calls[0].done == 0  # stopped in the first pass over the vectors
    catalog.close()


def test_a_photo_removed_from_the_index_meanwhile_reads_as_matching_nothing(
    tmp_path: Path,
) -> None:
    matrix = _planted(50, 5, seed=4)
    catalog, index, ids = _library(tmp_path, matrix)
    read = duplicates._reader(index, index.ids())
    index.remove([ids[7]])
    rows = read(np.arange(10))
    assert not rows[7].any()
    np.testing.assert_allclose(rows[[0, 9]], matrix[[0, 9]], atol=1e-6)
    catalog.close()

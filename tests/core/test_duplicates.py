"""Duplicate detection by cells finds exactly the pairs an all-pairs comparison finds: near-copies
planted at the threshold's edge among clustered vectors, and none below it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from photofind.library import vectorsync
from photofind.library.catalog import Catalog, NewFile
from photofind.search import duplicates

DIM = 128
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

    run(matrix, THRESHOLD, joined)
    return found


def test_cells_find_every_pair_all_pairs_finds() -> None:
    matrix = _planted(12_000, 150, seed=1)
    exact = _pairs(duplicates._all_pairs, matrix)
    by_cells = _pairs(duplicates._pairs_by_cells, matrix)
    planted = {(a, b) for a, b in exact if b >= 12_000 - 300}
    assert len(planted) >= 150  # the near-copies above the threshold, the near misses not
    assert by_cells == exact


def test_find_duplicates_by_cells_groups_the_planted_copies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(duplicates, "EXACT_MAX", 100)  # cells even for this small library
    catalog = Catalog(tmp_path / "catalog.sqlite")
    root = tmp_path / "photos"
    folder = catalog.add_folder(root)
    matrix = _planted(3000, 40, seed=2)
    ids = catalog.add_files([NewFile(folder.id, root / f"{i}.jpg", 1, 1) for i in range(3000)])
    catalog.store_results("m", [(i, matrix[n], None) for n, i in enumerate(ids)], [])
    index = vectorsync.open_index(tmp_path / "m.index", DIM, catalog, "m")
    groups = duplicates.find_duplicates(catalog, index, "m", THRESHOLD)
    got = {frozenset(f.id for f in g) for g in groups}
    exact = _pairs(duplicates._all_pairs, matrix)
    sets = duplicates._UnionFind()
    for a, b in exact:
        sets.union(ids[a], ids[b])
    assert got == {frozenset(g) for g in sets.groups()}
    assert len(got) >= 40
    catalog.close()

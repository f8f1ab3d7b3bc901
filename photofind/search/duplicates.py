"""Near-duplicate groups: photos whose vectors are nearly identical (copies, resizes, re-saves).

Every pair at or above the threshold is found by matrix products over blocks, never one query
per photo. Up to EXACT_MAX photos, every block of photos meets every other (exact, n^2). Above
that, the vectors are split into cells around k-means centres (about sqrt(n) of them) and each
cell's photos meet the photos of the PROBES cells whose centres are nearest to each of them
(about PROBES/sqrt(n) of the n^2 work): a copy within the threshold (cosine 0.95 is 18 degrees)
sits in a cell among the nearest few of its original's, so the pairs are those of the exact
search (tests/core/test_duplicates.py plants near-copies at the threshold's edge to check).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from photofind.clip.vectormath import unit
from photofind.library.events import ProgressMeter

if TYPE_CHECKING:
    from photofind.library import Catalog, FileRecord, Progress, TaskControl, VectorIndex

_CHUNK = 20_000  # vectors read from the catalog at a time
EXACT_MAX = 30_000  # up to this many vectors every pair is compared
PROBES = 8  # cells each photo is compared with, above EXACT_MAX
_BLOCK = 4096  # photos per matrix product
_ROUNDING = 1e-6  # float32 dot products of equal unit vectors can fall just short of 1.0
_KMEANS_ROUNDS = 6


class _UnionFind:
    """Disjoint sets over the ids that have at least one duplicate (others take no memory)."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while x != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent.setdefault(ra, ra)
            self.parent.setdefault(rb, rb)
            self.parent[max(ra, rb)] = min(ra, rb)

    def groups(self) -> list[list[int]]:
        members: dict[int, list[int]] = defaultdict(list)
        for x in list(self.parent):
            members[self.find(x)].append(x)
        return [sorted(m) for m in members.values() if len(m) > 1]


def find_duplicates(
    catalog: Catalog,
    vectors: VectorIndex,
    model: str,
    threshold: float = 0.95,
    *,
    progress: Callable[[Progress], None] | None = None,
    control: TaskControl | None = None,
) -> list[list[FileRecord]]:
    """Group photos whose cosine similarity is >= `threshold`, largest group first.

    Each pair at or above the threshold is joined (union-find, so A~B and B~C make one group);
    see the module docstring for how the pairs are found. Within a group the biggest picture
    comes first (the one to keep). Only 'ok' files appear. `progress` is called from this
    thread; `control.checkpoint()` runs between blocks (raises Cancelled). Holds the vectors
    in memory meanwhile (2 KB per 512-d photo).
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    ids, matrix = _read_vectors(catalog, vectors, model, control)
    meter = ProgressMeter("duplicates", total=len(ids), control=control)
    sets = _UnionFind()

    def joined(rows: np.ndarray, cols: np.ndarray, done: int) -> None:
        for a, b in zip(ids[rows].tolist(), ids[cols].tolist(), strict=True):
            if a != b:
                sets.union(a, b)
        if control is not None:
            control.checkpoint()
        meter.done += done
        if progress is not None:
            progress(meter.update(meter.done))

    if len(ids) <= EXACT_MAX:
        _all_pairs(matrix, float(threshold), joined)
    else:
        _pairs_by_cells(matrix, float(threshold), joined)
    groups = sets.groups()
    records = catalog.get_files([i for group in groups for i in group])
    result: list[list[FileRecord]] = []
    for group in groups:
        files = [records[i] for i in group if i in records and records[i].status == "ok"]
        if len(files) > 1:
            files.sort(key=lambda f: (-(f.width or 0) * (f.height or 0), -f.size, str(f.path)))
            result.append(files)
    result.sort(key=lambda files: (-len(files), str(files[0].path)))
    return result


def _read_vectors(
    catalog: Catalog, vectors: VectorIndex, model: str, control: TaskControl | None
) -> tuple[np.ndarray, np.ndarray]:
    """(ids, unit vectors) of the catalog's vectors that the index holds, in id order."""
    id_parts, parts = [], []
    for ids, matrix in catalog.iter_embeddings(model, _CHUNK):
        if control is not None:
            control.checkpoint()
        known = np.fromiter((i in vectors for i in ids.tolist()), dtype=bool, count=len(ids))
        id_parts.append(ids[known])
        parts.append(unit(matrix[known]))
    if not parts:
        return np.zeros(0, np.int64), np.zeros((0, 1), np.float32)
    return np.concatenate(id_parts), np.concatenate(parts)


Joined = Callable[[np.ndarray, np.ndarray, int], None]


def _close(left: np.ndarray, right: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """(rows of left, rows of right) of the pairs whose inner product is >= threshold."""
    rows, cols = np.nonzero(left @ right.T >= threshold - _ROUNDING)
    return rows, cols


def _all_pairs(matrix: np.ndarray, threshold: float, joined: Joined) -> None:
    """Every block of rows against every later block (and itself)."""
    n = len(matrix)
    for start in range(0, n, _BLOCK):
        block = matrix[start : start + _BLOCK]
        rows, cols = _close(block, matrix[start:], threshold)
        joined(rows + start, cols + start, len(block))


def _centres(matrix: np.ndarray, count: int) -> np.ndarray:
    """`count` unit k-means centres (spherical k-means on a sample, a few rounds)."""
    rng = np.random.default_rng(0)
    sample = matrix[np.sort(rng.choice(len(matrix), min(len(matrix), 32 * count), replace=False))]
    centres = sample[rng.choice(len(sample), count, replace=False)]
    for _ in range(_KMEANS_ROUNDS):
        nearest = np.argmax(sample @ centres.T, axis=1)
        sums = np.zeros_like(centres)
        np.add.at(sums, nearest, sample)
        empty = np.bincount(nearest, minlength=count) == 0
        sums[empty] = sample[rng.choice(len(sample), int(empty.sum()))]
        centres = unit(sums)
    return centres


def _pairs_by_cells(matrix: np.ndarray, threshold: float, joined: Joined) -> None:
    """Each row against the rows of the cells of its PROBES nearest centres, cell by cell."""
    n = len(matrix)
    centres = _centres(matrix, max(PROBES, int(np.sqrt(n))))
    probes = min(PROBES, len(centres))
    home = np.empty(n, dtype=np.int64)  # the cell each row belongs to
    near = np.empty((n, probes), dtype=np.int64)  # the cells each row is compared with
    for start in range(0, n, _BLOCK):
        scores = matrix[start : start + _BLOCK] @ centres.T
        near[start : start + len(scores)] = np.argpartition(-scores, probes - 1, axis=1)[:, :probes]
        home[start : start + len(scores)] = np.argmax(scores, axis=1)
    members = np.argsort(home, kind="stable")
    bounds = np.searchsorted(home[members], np.arange(len(centres) + 1))
    flat = near.reshape(-1)
    order = np.argsort(flat, kind="stable")
    askers = order // probes
    ask_bounds = np.searchsorted(flat[order], np.arange(len(centres) + 1))
    for cell in range(len(centres)):
        own = members[bounds[cell] : bounds[cell + 1]]
        asking = askers[ask_bounds[cell] : ask_bounds[cell + 1]]
        if len(own) == 0 or len(asking) == 0:
            joined(own[:0], own[:0], len(own))
            continue
        cell_rows = matrix[own]
        for start in range(0, len(asking), _BLOCK):
            who = asking[start : start + _BLOCK]
            rows, cols = _close(matrix[who], cell_rows, threshold)
            last = start + _BLOCK >= len(asking)
            joined(who[rows], own[cols], len(own) if last else 0)

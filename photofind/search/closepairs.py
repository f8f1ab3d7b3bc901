"""Every pair of unit vectors whose inner product reaches a threshold, by float32 matrix products
over blocks, never one query per vector. The vectors are read a block at a time (`Reader`): a
memory-mapped store is never copied whole into memory.

Up to EXACT_MAX vectors, every block meets every later block (exact, n^2 / 2 products). Above,
one pass over the vectors keeps each one's 128-d sketch (`library.vectorsketch`: a projection
onto a basis fitted on a sample, and the length it leaves out; 0.5 KB a vector) and its nearest
cell centres (spherical k-means on the sketches of a sample, sqrt(CELL_FACTOR * n) cells). Each
vector then meets the vectors of its PROBES nearest cells, on their sketches: for unit a, b,
a.b <= ya.yb + |ra||rb| (Cauchy-Schwarz), so a pair whose bound falls short cannot reach the
threshold, and the few that pass are scored on their full vectors. A near-copy (cosine 0.95 is
18 degrees) lies in a cell among the nearest few of its original's, and the pair is found from
either side; bench/duplicates.py measures the pairs against all pairs at 100k and against brute
force for a sample of rows at 1M, tests/core/test_duplicates.py plants copies at the edge.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from photofind.clip.vectormath import unit
from photofind.library import vectorsketch

Reader = Callable[[np.ndarray], np.ndarray]  # positions 0..n-1 -> float32 unit rows [m, dim]
Joined = Callable[[np.ndarray, np.ndarray, int], None]  # (positions, positions, vectors done)

EXACT_MAX = 30_000  # up to this many vectors every pair is compared
PROBES = 8  # cells each vector is compared with, above EXACT_MAX
BLOCK = 4096  # vectors per matrix product
READ = 65_536  # vectors read at a time when every vector is read in turn
_ROUNDING = 1e-6  # float32 dot products of equal unit vectors can fall just short of 1.0
_KMEANS_ROUNDS = 6
CELL_FACTOR = 10  # cells: sqrt(CELL_FACTOR * n) (see cell_count)
# Allowance for float32 rounding in a sketch bound: a left-out length is a square root of a
# difference (|x|^2 - |y|^2, off by ~1e-6), so a length near 0 can be off by ~1e-3.
_SCREEN_MARGIN = 2e-3
_DENSE = 16  # a block where over 1/_DENSE of the pairs pass the sketch is scored whole
_SAMPLE_PER_CENTRE = 16
# Pairs that pass the sketches are scored together, this many at a time: one large read
# rather than many small ones, which would leave the mapped file's pages resident
# (VectorStore unmaps them after each large read).
_SCORED_TOGETHER = 8192
_NONE = np.zeros(0, np.int64)  # no pairs (a call of `joined` that only reports progress)


def close_pairs(read: Reader, n: int, threshold: float, joined: Joined) -> None:
    """Report every pair of positions (a, b), a != b, with inner product >= threshold through
    `joined` (each pair at least once, in either order); `joined` also hears how many vectors
    are done, and may raise to stop (a cancel)."""
    if n <= EXACT_MAX:
        all_pairs(read, n, threshold, joined)
    else:
        pairs_by_cells(read, n, threshold, joined)


def _close(left: np.ndarray, right: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """(rows of left, rows of right) of the pairs whose inner product is >= threshold."""
    rows, cols = np.nonzero(left @ right.T >= threshold - _ROUNDING)
    return rows, cols


def _exact(
    read: Reader, a: np.ndarray, b: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """The pairs (a[i], b[i]) whose full vectors' inner product reaches the threshold (each
    vector read once)."""
    if len(a) == 0:
        return a, b
    rows, where = np.unique(np.concatenate([a, b]), return_inverse=True)
    vectors = read(rows)
    dots = np.einsum("ij,ij->i", vectors[where[: len(a)]], vectors[where[len(a) :]])
    keep = dots >= threshold - _ROUNDING
    return a[keep], b[keep]


def _distinct(joined: Joined, a: np.ndarray, b: np.ndarray, done: int) -> None:
    """`joined` without the pairs of a vector with itself (every vector meets its own cell)."""
    other = a != b
    joined(a[other], b[other], done)


def all_pairs(read: Reader, n: int, threshold: float, joined: Joined) -> None:
    """Every block of rows against every later block (and itself): exact."""
    matrix = read(np.arange(n))
    for start in range(0, n, BLOCK):
        block = matrix[start : start + BLOCK]
        rows, cols = _close(block, matrix[start:], threshold)
        _distinct(joined, rows + start, cols + start, len(block))


def centres(
    sample: np.ndarray, count: int, between: Callable[[], None] = lambda: None
) -> np.ndarray:
    """`count` unit k-means centres of `sample` (spherical k-means, a few rounds; `between`
    runs before each round: a chance to cancel)."""
    rng = np.random.default_rng(0)
    found = sample[rng.choice(len(sample), count, replace=False)]
    for _ in range(_KMEANS_ROUNDS):
        between()
        nearest = np.argmax(sample @ found.T, axis=1)
        sums = np.zeros_like(found)
        np.add.at(sums, nearest, sample)
        empty = np.bincount(nearest, minlength=count) == 0
        sums[empty] = sample[rng.choice(len(sample), int(empty.sum()))]
        found = unit(sums)
    return found


class _Cells:
    """Every vector's sketch (its projection onto a basis fitted on a sample, and the length
    left out), home cell and PROBES nearest cells, from one pass over the vectors."""

    def __init__(self, read: Reader, n: int, joined: Joined) -> None:
        count = cell_count(n)
        rng = np.random.default_rng(0)
        drawn = min(n, max(_SAMPLE_PER_CENTRE * count, vectorsketch.TRAIN_SAMPLE))
        sample = read(np.sort(rng.choice(n, drawn, replace=False)))
        self.basis = vectorsketch.fit_basis(sample)
        tick = lambda: joined(_NONE, _NONE, 0)  # noqa: E731  (a chance to cancel)
        middles = centres(unit(vectorsketch.project(self.basis, sample)[0]), count, tick)
        del sample
        probes = min(PROBES, count)
        self.sketch = np.empty((n, self.basis.shape[1]), dtype=np.float32)
        self.rest = np.empty(n, dtype=np.float32)
        home = np.empty(n, dtype=np.int32)
        near = np.empty((n, probes), dtype=np.int32)
        for start in range(0, n, READ):
            stop = min(n, start + READ)
            y, rest = vectorsketch.project(self.basis, read(np.arange(start, stop)))
            self.sketch[start:stop], self.rest[start:stop] = y, rest
            for at in range(0, len(y), BLOCK):
                scores = y[at : at + BLOCK] @ middles.T
                rows = slice(start + at, start + at + len(scores))
                near[rows] = np.argpartition(-scores, probes - 1, axis=1)[:, :probes]
                home[rows] = np.argmax(scores, axis=1)
            tick()
        self.members = np.argsort(home, kind="stable")
        self.bounds = np.searchsorted(home[self.members], np.arange(count + 1))
        flat = near.reshape(-1)
        order = np.argsort(flat, kind="stable")
        self.askers = order // probes
        self.ask_bounds = np.searchsorted(flat[order], np.arange(count + 1))
        self.count = count

    def own(self, cell: int) -> np.ndarray:
        return self.members[self.bounds[cell] : self.bounds[cell + 1]]

    def asking(self, cell: int) -> np.ndarray:
        return self.askers[self.ask_bounds[cell] : self.ask_bounds[cell + 1]]


def cell_count(n: int) -> int:
    """Cells for n vectors: sqrt(CELL_FACTOR * n) balances finding each vector's nearest
    centres (n * cells products) against the cells' own products (~ PROBES * n^2 / cells)."""
    return max(PROBES, int(np.sqrt(CELL_FACTOR * n)))


def pairs_by_cells(read: Reader, n: int, threshold: float, joined: Joined) -> None:
    """Each vector against the vectors of its PROBES nearest cells, one cell at a time, on the
    sketches: for unit a, b, a.b = ya.yb + ra.rb <= ya.yb + |ra||rb| (Cauchy-Schwarz), so a
    pair whose sketch bound falls short of the threshold cannot reach it; the few that pass are
    scored exactly on their full vectors. A block where too many pass is scored whole."""
    cells = _Cells(read, n, joined)
    screen = threshold - _SCREEN_MARGIN
    pending: list[tuple[np.ndarray, np.ndarray]] = []  # pairs that passed, not yet scored
    waiting = 0

    def score_pending() -> None:
        nonlocal waiting
        if pending:
            a = np.concatenate([left for left, _ in pending])
            b = np.concatenate([right for _, right in pending])
            a, b = _exact(read, a, b, threshold)
            pending.clear()
            waiting = 0
            joined(a, b, 0)

    for cell in range(cells.count):
        own, asking = cells.own(cell), cells.asking(cell)
        if len(own) == 0 or len(asking) == 0:
            joined(_NONE, _NONE, len(own))
            continue
        own_y, own_rest = cells.sketch[own], cells.rest[own]
        full: np.ndarray | None = None  # the cell's own full vectors, read when a block needs
        for start in range(0, len(asking), BLOCK):
            who = asking[start : start + BLOCK]
            bound = cells.sketch[who] @ own_y.T
            bound += np.outer(cells.rest[who], own_rest)
            rows, cols = np.nonzero(bound >= screen)
            done = len(own) if start + BLOCK >= len(asking) else 0
            if len(rows) * _DENSE > bound.size:
                full = read(own) if full is None else full
                rows, cols = _close(read(who), full, threshold)
                _distinct(joined, who[rows], own[cols], done)
                continue
            a, b = who[rows], own[cols]
            other = a != b
            pending.append((a[other], b[other]))
            waiting += int(other.sum())
            if waiting >= _SCORED_TOGETHER:
                score_pending()
            joined(_NONE, _NONE, done)
    score_pending()

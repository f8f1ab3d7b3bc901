"""The search of a large store: a cascade from the first sketch level down to exact float32
scores, each step reading only the rows that can still be in the top k.

1. Score every row on the first sketch level (16 coordinates, 64 bytes a row: the only full
   scan, a quarter of the bytes of the whole 128-d sketch).
2. A floor: the k-th best float16 score, less its rounding bound, among the FIRST rows that
   score best on the whole sketch (picked from the POOL best on the first level). It is at
   most the true k-th best exact score.
3. Level by level, keep the rows whose sketch score so far plus a margin for what is still
   unknown (Z standard deviations of it, `Sketch.margins`) reaches the floor, and add the next
   level's share to their scores.
4. Score the survivors on the float16 copy of the full vectors (resident; error at most
   HALF_ERROR for unit vectors), and read in float32 (the mapped file) only the rows whose
   float16 score is within twice that bound of the k-th best: the results carry exact
   float32 scores, and float16 rounding never changes which rows they are.

Only steps 1 and 3 are estimates (a left-out part far larger than its spread predicts);
bench/query.py measures recall@50 against exact ranking for image and text queries.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from photofind.library.vectorsketch import Sketch, dot

FIRST = 256  # rows scored first to set the floor (at least; 4 * k for a larger k)
POOL_SHARE = 8  # ... chosen among POOL_SHARE times as many best on the first level
SAMPLE_STEP = 32  # the first level's threshold is read off every SAMPLE_STEP-th row
Z = (5.5, 5.5, 5.0, 4.0)  # margins per level: standard deviations of the unknown part
# float16 keeps 11 significant bits: |x - half(x)| <= 2^-11 |x| per coordinate, so for unit
# q and x the float16 score is off by at most 2^-11, plus float32 rounding of the sum.
HALF_ERROR = 2.0**-11 + 1e-5

Reader = Callable[[np.ndarray], np.ndarray]


def search(
    sketch: Sketch,
    half: np.ndarray,
    read: Reader,
    q: np.ndarray,
    k: int,
    count: int,
    n: int,
    keep: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """(rows, exact scores) that hold the k best of rows 0..n-1 (only rows where `keep`, of
    which there are `count`), for unit query `q`; `half` is the float16 copy of the rows and
    `read(rows)` their float32 vectors."""
    qy = q @ sketch.basis
    q_rest2 = max(0.0, float(q @ q) - float(qy @ qy))
    margins = sketch.margins(qy, q_rest2, Z)
    scores = dot(sketch.parts[0][:n], qy[: sketch.edges[1]])
    if keep is not None:
        scores[~keep] = -np.inf
    first = _first_rows(sketch, scores, qy, max(FIRST, 4 * k), count)
    approx = _half_scores(half, first, q)
    floor = _kth(approx, k) - HALF_ERROR
    rows = np.flatnonzero(scores + sketch.outside[:n, 0] * margins[0] >= floor)
    scores = scores[rows]
    for level in range(1, len(sketch.parts)):
        scores += sketch.scores(level, rows, qy)
        alive = scores + sketch.outside[rows, level] * margins[level] >= floor
        rows, scores = rows[alive], scores[alive]
    more = np.setdiff1d(rows, first, assume_unique=True)
    rows = np.concatenate([first, more])
    approx = np.concatenate([approx, _half_scores(half, more, q)])
    final = rows[approx >= _kth(approx, k) - 2 * HALF_ERROR]
    return final, dot(read(final), q)


def _first_rows(
    sketch: Sketch, scores: np.ndarray, qy: np.ndarray, first: int, count: int
) -> np.ndarray:
    """About `first` rows (sorted) among the best on the whole sketch, chosen from the best
    ~POOL_SHARE * first on the first level, without sorting every row: a threshold read
    off a sample, then one comparison per row."""
    pool = min(count, POOL_SHARE * first)
    sample = scores[::SAMPLE_STEP]
    want = max(1, pool // SAMPLE_STEP)
    rows = np.zeros(0, np.int64)
    if want < len(sample):
        threshold = np.partition(sample, len(sample) - want)[len(sample) - want]
        if np.isfinite(threshold):
            rows = np.flatnonzero(scores >= threshold)
    if len(rows) < min(count, first):  # an unlucky sample: sort them all after all
        finite = min(count, pool)
        rows = np.argpartition(-scores, finite - 1)[:finite]
        rows = rows[np.isfinite(scores[rows])]
    if len(rows) > first:
        rows = rows[np.argpartition(-sketch.full_scores(rows, qy), first - 1)[:first]]
    return np.sort(rows)


def _half_scores(half: np.ndarray, rows: np.ndarray, q: np.ndarray) -> np.ndarray:
    return dot(np.take(half, rows, axis=0).astype(np.float32), q)


def _kth(values: np.ndarray, k: int) -> float:
    if len(values) <= k:
        return float(values.min()) if len(values) else -np.inf
    return float(np.partition(values, len(values) - k)[len(values) - k])

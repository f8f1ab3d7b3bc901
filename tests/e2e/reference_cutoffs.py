"""The label cut-offs and tags as photofind computed them before the label phase was made
cheaper (one label at a time, over every bin, a tuple per tag): the oracle the faster code
must match to the bit (tests/e2e/test_cutoffs_unchanged.py, test_index_label_phase.py)."""

from __future__ import annotations

import math

import numpy as np

from photofind.search.thresholds import (
    BINS,
    MIN_GROUP,
    MIN_LOWER_SHARE,
    MIN_PHOTOS,
    MIN_SPREAD,
    NEVER,
    OUTLIER_MADS,
    SEPARATION,
)


def _centres() -> np.ndarray:
    return -1.0 + (np.arange(BINS) + 0.5) * (2.0 / BINS)


def split(counts: np.ndarray) -> tuple[float, float, float]:
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum()
    centres = _centres()
    n0 = np.cumsum(counts)
    n1 = total - n0
    s0 = np.cumsum(counts * centres)
    q0 = np.cumsum(counts * centres**2)
    s1, q1 = s0[-1] - s0, q0[-1] - q0
    floor = MIN_SPREAD**2
    with np.errstate(divide="ignore", invalid="ignore"):
        m0, m1 = s0 / n0, s1 / n1
        v0 = np.maximum(q0 / n0 - m0**2, floor)
        v1 = np.maximum(q1 / n1 - m1**2, floor)
        p0, p1 = n0 / total, n1 / total
        cost = p0 * np.log(v0) + p1 * np.log(v1) - 2 * (p0 * np.log(p0) + p1 * np.log(p1))
    cost[(n0 < max(MIN_GROUP, MIN_LOWER_SHARE * total)) | (n1 < MIN_GROUP)] = np.inf
    best = int(np.argmin(cost))
    if not np.isfinite(cost[best]):
        return NEVER, 0.0, 0.0
    mean = s0[-1] / total
    one = np.log(max(q0[-1] / total - mean**2, floor))
    gain = total * (one - cost[best]) / 2
    separation = (m1[best] - m0[best]) / np.sqrt((v0[best] + v1[best]) / 2)
    return float(centres[best] + 1.0 / BINS), float(gain), float(separation)


def _quantile(counts: np.ndarray, q: float) -> float:
    cumulative = np.cumsum(counts)
    index = int(np.searchsorted(cumulative, q * cumulative[-1]))
    return float(_centres()[min(index, BINS - 1)])


def cut_off(counts: np.ndarray) -> float:
    counts = np.asarray(counts, dtype=np.float64)
    if counts.sum() < MIN_PHOTOS:
        return NEVER
    found = NEVER
    upper = counts.copy()
    while upper.sum() >= MIN_PHOTOS:
        threshold, gain, separation = split(upper)
        if not (gain > 1.5 * math.log(upper.sum()) and separation >= SEPARATION):
            break
        found = threshold
        upper[_centres() < threshold] = 0
    if found != NEVER:
        return found
    median = _quantile(counts, 0.5)
    deviations = np.abs(_centres() - median)
    order = np.argsort(deviations)
    cumulative = np.cumsum(counts[order])
    mad = float(deviations[order][np.searchsorted(cumulative, 0.5 * cumulative[-1])])
    outliers = median + OUTLIER_MADS * max(1.4826 * mad, 2.0 / BINS)
    return outliers if outliers < 1.0 else NEVER


def histogram(scores: np.ndarray) -> np.ndarray:
    """Counts per bin of one label's scores, binned as photofind bins them."""
    bins = np.clip(((np.asarray(scores, np.float64) + 1.0) * (BINS / 2)).astype(np.int64), 0,
                   BINS - 1)  # fmt: skip
    return np.bincount(bins, minlength=BINS).astype(np.int64)


def tags(
    scores: np.ndarray, cutoffs: np.ndarray, label_ids: np.ndarray, file_ids: np.ndarray
) -> set[tuple[int, int, float]]:
    rows, cols = np.nonzero(scores >= cutoffs)
    return {
        (int(label_ids[c]), int(file_ids[r]), float(scores[r, c]))
        for r, c in zip(rows, cols, strict=True)
    }

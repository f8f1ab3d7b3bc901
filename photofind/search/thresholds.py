"""Where a label (or a smart album) stops: a cut-off read from the library's own scores.

CLIP cosines are not probabilities, and their level differs per text: "a receipt" may score
0.30 on receipts and 0.18 on the rest, "a dog" 0.26 and 0.21. One global number would tag
every photo with some labels and none with others. So each label gets its own cut-off from
the distribution of its scores over the library:

- When the scores fall into two groups (the photos that show it, the rest), the cut is the
  minimum-error threshold of Kittler and Illingworth (1986): the split whose two normal
  distributions explain the histogram best. Unlike Otsu's between-class variance, it copes
  with a small group beside a large one, which is what a label usually is (5% dogs).
- "Two groups" must be earned: the two-normal fit must beat one normal by more than the
  Bayesian information criterion charges for its three extra parameters (a log-likelihood
  gain above 1.5 ln n), and the groups must stand SEPARATION pooled standard deviations
  apart. Akaike's fixed charge (3) let big libraries split real groups again into pieces
  (80 circles in 480 photos cut to 34); the price of BIC is that a very small library
  (a 4-in-24 group) may show no split at all. A skewed single group can still pass (its
  tail then carries the label); a normal one rarely does (1% of simulated draws at 24
  photos, none at 1000).
- The photos that show the label are the top group, and the rest may fall into groups of
  their own (shapes unlike a star score low on "a star" as a group): so the top group is
  split again, for as long as a split is earned, and the last cut is the label's.
- When no split is earned the label is absent or everywhere; only clear outliers carry it:
  scores above the median by OUTLIER_MADS robust standard deviations (1.4826 * median
  absolute deviation).

Scores are gathered in fixed histograms (BINS over [-1, 1]), so a library of any size is
calibrated in bounded memory, a chunk of vectors at a time.
"""

from __future__ import annotations

import math

import numpy as np

BINS = 2000  # 0.001 wide over [-1, 1]: far finer than the gaps between groups
SEPARATION = 3.0
OUTLIER_MADS = 4.0
MIN_PHOTOS = 4  # fewer scores than this say nothing about a distribution
MIN_GROUP = 2  # photos in the smaller group of a split
# The group below a cut holds at least this share of the scores split: a handful of very low
# scores is not "the photos without it", and cutting them off would tag everything else.
MIN_LOWER_SHARE = 0.1
# Spread below which a group counts as a point: keeps the log-likelihood finite for a group
# of identical scores (copies of one photo).
MIN_SPREAD = 0.005
NEVER = math.inf  # the cut-off of a label that no photo can carry
GROWTH = 1.25  # a cut-off is read again when the library has a quarter more (or fewer) photos


def outgrown(photos: int, read_from: int) -> bool:
    """Whether a library of `photos` photos has grown (or shrunk) by GROWTH since a cut-off
    was read off `read_from` photos: the one rule labels and smart albums share."""
    return photos >= GROWTH * read_from or photos * GROWTH <= read_from


class ScoreHistograms:
    """Counts of scores per column (label), filled chunk by chunk: `add(scores [n, L])`."""

    def __init__(self, columns: int) -> None:
        self.counts = np.zeros((columns, BINS), dtype=np.int64)

    def add(self, scores: np.ndarray) -> None:
        scores = np.asarray(scores, dtype=np.float64)
        if scores.size == 0:
            return
        bins = np.clip(((scores + 1.0) * (BINS / 2)).astype(np.int64), 0, BINS - 1)
        columns = np.broadcast_to(np.arange(scores.shape[1]), scores.shape)
        flat = (columns * BINS + bins).ravel()
        self.counts += np.bincount(flat, minlength=self.counts.size).reshape(self.counts.shape)

    def cut_offs(self) -> np.ndarray:
        """The cut-off of every column (NEVER when there are too few scores)."""
        return np.array([cut_off(row) for row in self.counts], dtype=np.float64)


def _centres() -> np.ndarray:
    return -1.0 + (np.arange(BINS) + 0.5) * (2.0 / BINS)


def split(counts: np.ndarray) -> tuple[float, float, float]:
    """Kittler-Illingworth on a histogram over [-1, 1]: (threshold, log-likelihood gain of
    two normals over one, separation of the two groups in pooled standard deviations)."""
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
        # -2/n log-likelihood of the hard two-normal fit, up to a constant
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
    """A score at or above which a photo carries the label (see the module docstring)."""
    counts = np.asarray(counts, dtype=np.float64)
    if counts.sum() < MIN_PHOTOS:
        return NEVER
    found = NEVER
    upper = counts.copy()
    while upper.sum() >= MIN_PHOTOS:
        threshold, gain, separation = split(upper)
        if not (gain > 1.5 * math.log(upper.sum()) and separation >= SEPARATION):
            break
        found = threshold  # the photos showing a label are the top group: look inside it
        upper[_centres() < threshold] = 0
    if found != NEVER:
        return found
    median = _quantile(counts, 0.5)
    deviations = np.abs(_centres() - median)
    order = np.argsort(deviations)
    cumulative = np.cumsum(counts[order])
    mad = float(deviations[order][np.searchsorted(cumulative, 0.5 * cumulative[-1])])
    outliers = median + OUTLIER_MADS * max(1.4826 * mad, 2.0 / BINS)
    return outliers if outliers < 1.0 else NEVER  # no cosine reaches past 1


def cut_off_of(scores: np.ndarray) -> float:
    """`cut_off` of one column of scores given as an array (smart albums)."""
    histograms = ScoreHistograms(1)
    histograms.add(np.asarray(scores, dtype=np.float64).reshape(-1, 1))
    return float(histograms.cut_offs()[0])

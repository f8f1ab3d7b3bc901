"""Where a label stops: a cut-off read from the library's own scores (smart albums cut where
their search does, `photofind.search.cut`).

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
        return cut_offs(self.counts)


def _centres() -> np.ndarray:
    return -1.0 + (np.arange(BINS) + 0.5) * (2.0 / BINS)


def split(counts: np.ndarray) -> tuple[float, float, float]:
    """Kittler-Illingworth on a histogram over [-1, 1]: (threshold, log-likelihood gain of
    two normals over one, separation of the two groups in pooled standard deviations)."""
    threshold, gain, separation = split_rows(np.asarray(counts, dtype=np.float64)[None, :])
    return float(threshold[0]), float(gain[0]), float(separation[0])


def split_rows(
    counts: np.ndarray, centres: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`split` of every row of `counts` [R, bins] at once, each row's result what it would be
    alone. `centres` are the bins' centres (default: all BINS); a window of the bins that
    holds every nonzero count gives the same results as the whole histogram (see `_window`)."""
    counts = np.asarray(counts, dtype=np.float64)
    centres = _centres() if centres is None else centres
    total = counts.sum(axis=1)  # whole counts: exact in any order of summation
    n0 = np.cumsum(counts, axis=1)
    n1 = total[:, None] - n0
    s0 = np.cumsum(counts * centres, axis=1)  # along each row, in order, as for one row
    q0 = np.cumsum(counts * centres**2, axis=1)
    s1, q1 = s0[:, -1:] - s0, q0[:, -1:] - q0
    floor = MIN_SPREAD**2
    with np.errstate(divide="ignore", invalid="ignore"):
        m0, m1 = s0 / n0, s1 / n1
        v0 = np.maximum(q0 / n0 - m0**2, floor)
        v1 = np.maximum(q1 / n1 - m1**2, floor)
        p0, p1 = n0 / total[:, None], n1 / total[:, None]
        # -2/n log-likelihood of the hard two-normal fit, up to a constant
        cost = p0 * np.log(v0) + p1 * np.log(v1) - 2 * (p0 * np.log(p0) + p1 * np.log(p1))
    smallest = np.maximum(MIN_GROUP, MIN_LOWER_SHARE * total)[:, None]
    cost[(n0 < smallest) | (n1 < MIN_GROUP)] = np.inf
    best = np.argmin(cost, axis=1)
    rows = np.arange(len(counts))
    found = np.isfinite(cost[rows, best])
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = s0[:, -1] / total
        one = np.log(np.maximum(q0[:, -1] / total - mean**2, floor))
        gain = total * (one - cost[rows, best]) / 2
        spread = np.sqrt((v0[rows, best] + v1[rows, best]) / 2)
        separation = (m1[rows, best] - m0[rows, best]) / spread
    threshold = np.where(found, centres[best] + 1.0 / BINS, NEVER)
    return threshold, np.where(found, gain, 0.0), np.where(found, separation, 0.0)


def _window(counts: np.ndarray) -> slice:
    """The bins from the first to the last nonzero count of any row. Cutting a histogram to
    them changes no result: the zero bins before add exact zeros to every running sum, after
    they repeat its last value, and a split at either side leaves a group empty (no cost)."""
    used = np.flatnonzero(counts.any(axis=0))
    return slice(int(used[0]), int(used[-1]) + 1) if len(used) else slice(0, 0)


def _quantile(counts: np.ndarray, q: float, centres: np.ndarray) -> np.ndarray:
    """The bin centre at quantile `q` of each row of `counts` [R, bins]."""
    cumulative = np.cumsum(counts, axis=1)
    index = (cumulative < q * cumulative[:, -1:]).sum(axis=1)  # searchsorted, left side
    return centres[np.minimum(index, len(centres) - 1)]


def cut_off(counts: np.ndarray) -> float:
    """A score at or above which a photo carries the label (see the module docstring)."""
    return float(cut_offs(np.asarray(counts, dtype=np.float64)[None, :])[0])


def cut_offs(counts: np.ndarray) -> np.ndarray:
    """`cut_off` of every row of `counts` [R, BINS]: the rows' splits are computed together,
    over the bins that hold scores (365 labels over a library: 8 ms, against 90 a row at a
    time over every bin), with the same results."""
    counts = np.asarray(counts, dtype=np.float64).reshape(-1, BINS)
    window = _window(counts)
    counts, centres = counts[:, window], _centres()[window]
    found = np.full(len(counts), NEVER)
    upper = counts.copy()
    active = np.flatnonzero(counts.sum(axis=1) >= MIN_PHOTOS)
    enough = active.copy()  # rows with scores enough to say anything
    while len(active):
        threshold, gain, separation = split_rows(upper[active], centres)
        charge = np.array([1.5 * math.log(n) for n in upper[active].sum(axis=1)])
        earned = (gain > charge) & (separation >= SEPARATION)
        active, threshold = active[earned], threshold[earned]
        found[active] = threshold  # the photos showing a label are the top group: look inside
        upper[active] = np.where(centres < threshold[:, None], 0.0, upper[active])
        active = active[upper[active].sum(axis=1) >= MIN_PHOTOS]
    unsplit = enough[found[enough] == NEVER]
    if len(unsplit):
        found[unsplit] = _outliers(counts[unsplit], centres)
    return found


def _outliers(counts: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Per row: the score above the median by OUTLIER_MADS robust standard deviations, or
    NEVER past 1 (no cosine reaches it). The median absolute deviation is the smallest
    deviation d with half the scores within d of the median, whatever the order of ties."""
    median = _quantile(counts, 0.5, centres)
    deviations = np.abs(centres[None, :] - median[:, None])
    order = np.argsort(deviations, axis=1, kind="stable")
    cumulative = np.cumsum(np.take_along_axis(counts, order, axis=1), axis=1)
    at = (cumulative < 0.5 * cumulative[:, -1:]).sum(axis=1)
    mad = np.take_along_axis(np.take_along_axis(deviations, order, axis=1), at[:, None], axis=1)
    outliers = median + OUTLIER_MADS * np.maximum(1.4826 * mad[:, 0], 2.0 / BINS)
    return np.where(outliers < 1.0, outliers, NEVER)


def cut_off_of(scores: np.ndarray) -> float:
    """`cut_off` of one column of scores given as an array (smart albums)."""
    histograms = ScoreHistograms(1)
    histograms.add(np.asarray(scores, dtype=np.float64).reshape(-1, 1))
    return float(histograms.cut_offs()[0])

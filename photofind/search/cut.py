"""Where one query's matches end: a cut read off that query's own scores over the library.

CLIP cosines are not probabilities and their level differs per query and per model ("a red
circle" may score 0.65 on red circles and 0.45 on the best of the rest, a real CLIP 0.30 and
0.22), so no fixed number separates the photos that match from the rest. What every query
shows is its ranking: the photos that match stand above the bulk of the library, and a gap
opens below the last of them. So the cut is a gap in the ranked scores:

- The scale is the library's own spread for this query: a robust standard deviation
  (1.4826 * the median absolute deviation around the median), which the few matches cannot
  inflate.
- A candidate cut below the m best photos must leave the m-th photo above the typical photo
  (at least Z_FLOOR robust deviations above the median), open a gap of at least GAP_MIN
  deviations to the next photo, and that gap must be KNEE times the typical gap between
  neighbours up there (so evenly spread scores never look cut).
- The photos above the cut must form a group: the gap is at least TIGHT standard deviations
  of their own scores. A loose crowd above a gap (many photos a nonsense query half likes)
  is not a set of matches; the partial matches of a real query ("red things" under "a red
  circle") are such a crowd too, which is what "more" offers.
- The widest such gap is the cut. "fewer" takes the widest tight gap above it (a tighter
  group, when there is one), "more" the widest gap of any kind below it (a broader group).
- The matches can be most of the library (one folder of one trip: six blue stars, four red
  circles). Then the median lies among them, no gap below them is a candidate, and the rules
  above see one group. So when none passes, the widest gap anywhere splits the scores into
  two clean groups if it is SPLIT_GAP times wider than the spread inside either and leaves
  at least SPLIT_REST of the photos (and 3) below it: the upper group matches, unless a gap
  the rules above chose inside it is as clean (two red circles above twenty red things above
  the rest: the two match; "more" gives the twenty too; "fewer" takes a chosen gap inside).
  A few odd photos far below the rest (pictures of nothing) are not a group, and two kinds
  of photo a query half likes overlap, so neither looks split. The split rule runs over
  every candidate, so it also confirms a minority group its cleanest gap sets apart.
- No gap earned means the scores form one group: a library of a handful of photos (fewer
  than SMALL) is shown whole; in a bigger one only clear outliers match (Z_OUTLIER robust
  deviations above the median; "fewer"/"more" ask one deviation more or less), and at least
  the best photo: a query that nothing answers shows its closest photo and says so little
  more (the count is 1, the rest is "weaker").

Measured on the tiny test model by `bench/cut.py` (precision and recall per query kind).
Pure numpy, no state: `Searcher` calls `cut` with the scores of the photos a query searched.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# How many results a person wants, in their words; the CLI's --fewer/--more and the window's
# "fewer / more results" control map onto these, never onto raw cosines.
STRICTNESS = ("fewer", "normal", "more")
Z_FLOOR = 0.5
GAP_MIN = 0.10
KNEE = 3.0
TIGHT = 1.5
SMALL = 8
Z_OUTLIER = 3.0
MIN_SPREAD = 1e-3  # a spread below this counts as no spread (copies of one photo)
SPLIT_GAP = 6.0
SPLIT_REST = 0.25


@dataclass(frozen=True)
class Cut:
    """Where the matches of one query end: the `matches` best scores pass.

    `threshold` is the lowest passing score (None when nothing passes); `reason` says which
    rule decided: "gap", "split" (two clean groups), "outliers", "small" (a tiny library
    shown whole) or "empty".
    """

    matches: int
    threshold: float | None
    reason: str


def _check(strictness: str) -> None:
    if strictness not in STRICTNESS:
        from photofind.search.query import QueryError

        raise QueryError(f"unknown strictness {strictness!r}: use one of {', '.join(STRICTNESS)}")


def cut(scores: np.ndarray, strictness: str = "normal") -> Cut:
    """The cut for `scores`, the query's cosines over the photos searched, best first.

    Any length works: no photo gives no match, one photo is its own match, a few photos
    with no clear gap are all shown.
    """
    _check(strictness)
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    n = len(s)
    if n == 0:
        return Cut(0, None, "empty")
    if n > 1 and np.any(np.diff(s) > 1e-9):
        s = np.sort(s)[::-1]
    if n == 1:
        return Cut(1, float(s[0]), "small")
    median = _median(s)
    spread = max(1.4826 * _median(np.abs(s - median)), MIN_SPREAD)
    gaps = s[:-1] - s[1:]  # gaps[m - 1]: between the m-th and the (m+1)-th best
    z = (s - median) / spread
    region = int(np.searchsorted(-z, -Z_FLOOR, side="right"))  # photos above the floor
    region = min(region, n - 1)
    pool = gaps[: min(n - 1, 2 * region + 2)]  # the gaps up there and as many below
    if len(pool) > SMALL:
        typical = np.full(region, _median(pool))
    else:  # a few gaps: the candidate's own gap must not set the bar it is measured by
        typical = np.array([_median(np.delete(pool, m)) if len(pool) > 1 else 0.0
                            for m in range(region)])  # fmt: skip
    candidate = gaps[:region]
    passing = (candidate / spread >= GAP_MIN) & (candidate >= KNEE * typical)
    top = np.arange(1, region + 1)
    sums, squares = np.cumsum(s[:region]), np.cumsum(s[:region] ** 2)
    group_sd = np.sqrt(np.maximum(squares / top - (sums / top) ** 2, 0.0))
    tight = passing & (candidate >= TIGHT * group_sd)
    strength = candidate / spread

    def widest(mask: np.ndarray) -> int | None:
        """The m (photos above the gap) of the widest gap the mask lets through."""
        if not mask.any():
            return None
        return int(np.flatnonzero(mask)[np.argmax(strength[mask])]) + 1

    m = widest(tight)
    split = _split(s, gaps)
    if split is not None and (m is None or (m < split and not _clean(s, gaps, m, split))):
        # Two clean groups, and no equally clean one inside the upper (see the module).
        if strictness == "fewer" and m is not None:
            return Cut(m, float(s[m - 1]), "gap")
        return Cut(split, float(s[split - 1]), "split")
    if m is not None:
        if strictness == "fewer":
            m = widest(tight & (top < m)) or m
        elif strictness == "more":
            m = widest(passing & (top > m)) or m
        return Cut(m, float(s[m - 1]), "gap")
    if n < SMALL:
        return Cut(n, float(s[-1]), "small")
    level = Z_OUTLIER + {"fewer": 1.0, "normal": 0.0, "more": -1.0}[strictness]
    m = max(1, int(np.count_nonzero(z >= level)))  # the closest photo there is, at least
    return Cut(m, float(s[m - 1]), "outliers")


def _split(s: np.ndarray, gaps: np.ndarray) -> int | None:
    """The photos above the widest gap when it parts two clean groups (see the module)."""
    m = int(np.argmax(gaps)) + 1
    if len(s) - m < max(3, SPLIT_REST * len(s)):
        return None
    return m if _clean(s, gaps, m, len(s)) else None


def _clean(s: np.ndarray, gaps: np.ndarray, m: int, end: int) -> bool:
    """Whether the gap below the m-th best is SPLIT_GAP times the spread of the photos above
    it and of those below it down to `end`."""
    inside = max(float(s[:m].std()), float(s[m:end].std()), MIN_SPREAD)
    return bool(gaps[m - 1] >= SPLIT_GAP * inside)


def _median(values: np.ndarray) -> float:
    """The median of a non-empty array, as np.median gives it; np.median's NaN check imports
    numpy.ma (~15 ms of a cold search), and these scores hold no NaN."""
    v = np.asarray(values, dtype=np.float64).ravel()
    half = len(v) // 2
    if len(v) % 2:
        return float(np.partition(v, half)[half])
    part = np.partition(v, [half - 1, half])
    return float((part[half - 1] + part[half]) / 2)

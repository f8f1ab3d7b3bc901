"""The label cut-offs, now read for every label at once over the bins that hold scores, are
the ones the label-at-a-time code read, to the bit, on every kind of score distribution."""

from __future__ import annotations

import numpy as np
import pytest
import reference_cutoffs as reference

from photofind.search.thresholds import NEVER, ScoreHistograms, cut_off, cut_off_of


def _scores(rng: np.random.Generator, n: int, kind: int) -> np.ndarray:
    if kind == 0:  # one normal group: no split, outliers only
        x = rng.normal(0.2, 0.02, n)
    elif kind == 1:  # a small group beside a large one (a label on a few photos)
        k = min(n, max(1, int(n * rng.uniform(0.02, 0.5))))
        top = rng.normal(rng.uniform(0.2, 0.32), rng.uniform(0.005, 0.03), k)
        x = np.r_[rng.normal(0.18, 0.015, n - k), top]
    elif kind == 2:  # three groups: the top one is split again
        x = np.r_[rng.normal(0.1, 0.01, n), rng.normal(0.2, 0.01, n),
                  rng.normal(0.3, 0.01, max(2, n // 10))]  # fmt: skip
    elif kind == 3:  # coarse scores: ties everywhere (the median's deviations tie too)
        x = np.round(rng.normal(0.2, 0.05, n), 2)
    elif kind == 4:  # skewed
        x = rng.gamma(2, 0.03, n)
    elif kind == 5:  # copies of one photo
        x = np.full(n, 0.25)
    else:  # the whole range, past what a cosine reaches
        x = rng.uniform(-1.2, 1.2, n)
    return np.clip(x, -1.0, 1.0)


@pytest.mark.parametrize("seed", range(4))
def test_every_labels_cut_off_is_the_label_at_a_time_one(seed: int) -> None:
    rng = np.random.default_rng(seed)
    columns = [
        _scores(rng, int(rng.choice([0, 1, 3, 4, 5, 24, 48, 200, 2000])), int(rng.integers(7)))
        for _ in range(300)
    ]
    histograms = ScoreHistograms(len(columns))
    for row, scores in enumerate(columns):
        histograms.counts[row] = reference.histogram(scores)
    expected = np.array([reference.cut_off(row) for row in histograms.counts])
    got = histograms.cut_offs()
    assert np.isfinite(expected).sum() > 100 and (expected == NEVER).sum() > 10  # both kinds
    np.testing.assert_array_equal(got, expected)
    assert [cut_off(row) for row in histograms.counts[:20]] == list(expected[:20])
    assert [cut_off_of(c) for c in columns[:20]] == list(expected[:20])


def test_a_histogram_with_no_scores_has_no_cut_off() -> None:
    assert ScoreHistograms(3).cut_offs().tolist() == [NEVER] * 3
    assert ScoreHistograms(0).cut_offs().shape == (0,)

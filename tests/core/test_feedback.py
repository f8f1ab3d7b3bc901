"""Learning from marks: Rocchio, the classifier, and precision on a concept no query names."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from photofind.search.feedback import CLASSIFIER_MIN, feedback_vector, rocchio, train_direction

ROOT = Path(__file__).resolve().parents[2]


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def test_rocchio_moves_toward_likes_and_away_from_rejections() -> None:
    q, a, b = np.eye(3, dtype=np.float32)
    moved = rocchio(q, a[None], b[None])
    assert moved @ a > 0.4 and moved @ b < 0 and abs(np.linalg.norm(moved) - 1) < 1e-6
    assert np.allclose(rocchio(None, a[None], np.zeros((0, 3))), a)  # marks alone


def test_the_classifier_separates_what_the_average_does_not() -> None:
    """Likes differ from rejections along one axis only, hidden under a shared large one: the
    Rocchio mean points at the shared axis; the classifier finds the one that separates."""
    rng = np.random.default_rng(0)
    dim = 16
    shared, signal = np.eye(dim)[0], np.eye(dim)[1]
    noise = lambda n: rng.normal(0, 0.05, (n, dim))  # noqa: E731
    liked = _unit(3 * shared + 0.3 * signal + noise(CLASSIFIER_MIN))
    unliked = _unit(3 * shared - 0.3 * signal + noise(CLASSIFIER_MIN))
    query = _unit(shared + 0.2 * rng.normal(size=dim))
    learned = train_direction(liked, unliked, rocchio(query, liked, unliked))
    assert learned @ signal > 0.5
    assert feedback_vector(query, liked, unliked) @ signal > 0.5
    # Fewer marks on one side: Rocchio only, the shared axis dominates.
    assert abs(feedback_vector(query, liked[:1], unliked[:1]) @ signal) < 0.5


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_feedback", ROOT / "bench/feedback.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_marks_raise_precision_on_warm_round_things(bench, tmp_path: Path) -> None:
    """bench/feedback.py on a smaller library: 3 rounds of 3 marks beat the best query."""
    from photofind.search import Searcher

    library = bench.build(tmp_path / "lib", tmp_path / "photos", seeds=2)
    try:
        result = bench.evaluate(Searcher(library))
    finally:
        library.close()
    assert result.likes >= CLASSIFIER_MIN and result.unlikes >= CLASSIFIER_MIN
    assert result.precision[-1] >= max(0.9, result.precision[0])
    assert result.r_precision[-1] >= result.r_precision[0] + 0.15

"""The cascade search from Qt's pool threads while the indexer's thread adds and removes: the
window's pattern (searches on QThreadPool, adds elsewhere), with exact answers throughout."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QRunnable, QThreadPool

from photofind.library import vectorbackend
from photofind.library.vectors import VectorIndex

DIM = 512


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


class _Queries(QRunnable):
    def __init__(self, run) -> None:
        super().__init__()
        self._run = run

    def run(self) -> None:
        self._run()


def test_pool_threads_search_exactly_while_vectors_come_and_go(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(vectorbackend, "SKETCH_MIN", 1000)
    rng = np.random.default_rng(3)
    mean = _unit(rng.standard_normal(DIM))
    near = _unit(mean + 0.02 * rng.standard_normal((200, DIM)))  # the answers: ids 0..199
    far = _unit(-mean + 0.02 * rng.standard_normal((6000, DIM)))  # never near the queries
    index = VectorIndex(DIM)
    index.add(np.arange(200), near)
    index.add(np.arange(200, 3200), far[:3000])
    queries = _unit(mean + 0.02 * rng.standard_normal((20, DIM)))
    expected = [np.argsort(-(near @ q), kind="stable")[:50].tolist() for q in queries]
    errors: list[str] = []

    def searches() -> None:
        for _ in range(5):
            for q, want in zip(queries, expected, strict=True):
                got = [i for i, _ in index.query(q, 50)]
                if got != want:
                    errors.append(f"{got[:5]} != {want[:5]}")

    pool = QThreadPool()
    pool.setMaxThreadCount(3)
    for _ in range(3):
        pool.start(_Queries(searches))
    n = 3200
    while pool.activeThreadCount() and n < 6000 + 200:  # the indexer: adds and removes
        index.add(np.arange(n, n + 100), far[n - 200 : n - 100])
        index.remove(np.arange(n - 2900, n - 2800))
        n += 100
    assert pool.waitForDone(60_000)
    assert not errors, errors[:3]

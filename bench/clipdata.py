"""CLIP-shaped synthetic vectors for the vector benchmarks (bench/query.py, vector_backends.py).

"clip" vectors imitate CLIP image embeddings: a common direction plus clustered points in a 64-d
subspace with a decaying spectrum and a little full-rank noise (mean pairwise cosine ~0.3,
nearest neighbour ~0.8). "Image" queries come from the same distribution; "text" queries are
shifted by a fixed modality gap (best match ~0.3), as CLIP text vectors are. "uniform" vectors
are iid on the sphere: no structure at all, far harder for any graph index than real embeddings.
"""

from __future__ import annotations

import numpy as np

DIM = 512
K = 50
_RANK = 64
_CLUSTERS = 5000


def _world(dim: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fixed directions shared by data and queries of every size."""
    rng = np.random.default_rng(12345)
    image_mean = rng.standard_normal(dim)
    text_mean = rng.standard_normal(dim)
    basis = np.linalg.qr(rng.standard_normal((dim, _RANK)))[0].T  # [rank, dim] orthonormal
    scales = np.arange(1, _RANK + 1) ** -0.5
    centres = rng.standard_normal((_CLUSTERS, _RANK))
    return (
        image_mean / np.linalg.norm(image_mean),
        text_mean / np.linalg.norm(text_mean),
        basis,
        scales,
        centres,
    )


def synthetic(n: int, kind: str = "clip", seed: int = 0, dim: int = DIM) -> np.ndarray:
    """n unit vectors, float32 [n, dim], generated in chunks (bounded temporaries)."""
    out = np.empty((n, dim), dtype=np.float32)
    image_mean, _, basis, scales, centres = _world(dim)
    for start in range(0, n, 100_000):
        rng = np.random.default_rng([seed, start])
        m = min(100_000, n - start)
        if kind == "uniform":
            x = rng.standard_normal((m, dim))
        else:
            z = centres[rng.integers(0, _CLUSTERS, m)] + 0.8 * rng.standard_normal((m, _RANK))
            x = (z * scales) @ basis + 2.0 * image_mean + 0.05 * rng.standard_normal((m, dim))
        out[start : start + m] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def text_queries(count: int, seed: int, dim: int = DIM) -> np.ndarray:
    """Queries off the image manifold, like CLIP text vectors (modality gap)."""
    image_mean, text_mean, basis, scales, centres = _world(dim)
    rng = np.random.default_rng([seed, 7])
    z = centres[rng.integers(0, _CLUSTERS, count)] + 0.8 * rng.standard_normal((count, _RANK))
    x = (z * scales) @ basis + 2.0 * image_mean
    x = x / np.linalg.norm(x, axis=1, keepdims=True) + 2.2 * text_mean
    x += 0.05 * rng.standard_normal((count, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def parse_size(text: str) -> int:
    text = text.strip().lower()
    mult = {"k": 1_000, "m": 1_000_000}.get(text[-1], 1)
    return int(float(text.rstrip("km")) * mult)


def exact_top(data: np.ndarray, queries: np.ndarray, k: int = K) -> np.ndarray:
    """Exact top-k ids (1-based) by brute force, in blocks."""
    best_ids = np.zeros((len(queries), 0), dtype=np.int64)
    best_sims = np.zeros((len(queries), 0), dtype=np.float32)
    for start in range(0, len(data), 200_000):
        sims = queries @ data[start : start + 200_000].T
        top = np.argpartition(-sims, min(k, sims.shape[1] - 1), axis=1)[:, :k]
        best_ids = np.hstack([best_ids, top + start + 1])
        best_sims = np.hstack([best_sims, np.take_along_axis(sims, top, axis=1)])
    order = np.argsort(-best_sims, axis=1)[:, :k]
    return np.take_along_axis(best_ids, order, axis=1)

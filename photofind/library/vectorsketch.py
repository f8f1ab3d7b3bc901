"""The compact copy of the vectors that a search scans first: each vector projected onto a
fixed orthonormal basis of SKETCH_DIMS directions (the mean direction, then the principal
directions of a sample), with the length of what the projection leaves out.

Why a projection and not int8 or float16: numpy has no fast kernel for either (measured in
bench/vector_backends.py --kernels: an int8 or float16 matrix-vector product is slower per row
than float32 BLAS on the full vectors), while a 128-d float32 projection is a BLAS product over
a quarter of the bytes. For unit vectors x and any query q,

    q . x = (P^T q) . (P^T x) + q_rest . x_rest,   |q_rest . x_rest| <= |q_rest| |x_rest|,

so the sketch score plus a margin scaled by both left-out lengths bounds the exact score: what
`VectorStore.search` uses to decide which vectors to rescore exactly (see there).
"""

from __future__ import annotations

import numpy as np

SKETCH_DIMS = 128
TRAIN_SAMPLE = 8192  # vectors the basis is fitted on (a 512-d fit takes ~0.3 s)
_CHUNK = 65_536


def fit_basis(sample: np.ndarray, dims: int = SKETCH_DIMS, seed: int = 0) -> np.ndarray:
    """An orthonormal float32 basis [dim, dims]: the sample's mean direction first (every
    CLIP vector shares a large common part, which must not fall into the left-out rest), then
    the principal directions of what remains."""
    x = np.asarray(sample, dtype=np.float32)
    if len(x) > TRAIN_SAMPLE:
        x = x[np.random.default_rng(seed).choice(len(x), TRAIN_SAMPLE, replace=False)]
    mean = x.mean(axis=0)
    norm = float(np.linalg.norm(mean))
    mean = mean / norm if norm > 1e-9 else np.eye(x.shape[1])[0]
    rest = x - np.outer(x @ mean, mean)
    _, vectors = np.linalg.eigh((rest.T @ rest).astype(np.float64))
    basis = np.column_stack([mean, vectors[:, ::-1][:, : dims - 1]])
    basis, _ = np.linalg.qr(basis)  # orthonormal again after stacking (the mean is kept first)
    return np.ascontiguousarray(basis, dtype=np.float32)


def project(basis: np.ndarray, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sketch [n, dims] float32, left-out length [n] float32) of unit `vectors`, in chunks."""
    n = len(vectors)
    sketch = np.empty((n, basis.shape[1]), dtype=np.float32)
    rest = np.empty(n, dtype=np.float32)
    for start in range(0, n, _CHUNK):
        part = np.asarray(vectors[start : start + _CHUNK], dtype=np.float32)
        y = part @ basis
        sketch[start : start + len(part)] = y
        whole = np.einsum("ij,ij->i", part, part)
        rest[start : start + len(part)] = np.sqrt(
            np.maximum(whole - np.einsum("ij,ij->i", y, y), 0)
        )
    return sketch, rest

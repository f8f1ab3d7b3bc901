"""The compact copy of the vectors that a search scans first: each vector projected onto a
fixed orthonormal basis of SKETCH_DIMS directions (the mean direction, then the principal
directions of a sample), each coordinate quantised to a 7-bit code, with the length of what the
projection leaves out. 128 bytes + 4 per vector, an eighth of the float32 vector.

For unit vectors x and any query q,

    q . x = (P^T q) . (P^T x) + q_rest . x_rest,   |q_rest . x_rest| <= |q_rest| |x_rest|,

so the sketch score plus a margin scaled by both left-out lengths bounds the exact score: what
`VectorStore.search` uses to decide which vectors to rescore exactly (see there).

Codes: coordinate d of a vector is low_d + step_d * code (code 0..LEVELS, per-dimension range
fitted on the stored vectors with some headroom for later ones); the query folds the steps in
and is rounded to int8, so a sketch score is an integer product (int8scan) plus a per-query
offset. Both roundings are known in size: the codes' (uniform, step/sqrt(12) per dimension) and
the query's (its exact residual times the spread of the codes), so `query_code` returns their
standard deviation, which the search adds to its margin. A vector outside the fitted range gets
an infinite left-out length: its sketch score proves nothing, so every search rescores it.

Why 7 bits and not 8: MLAS's AVX2 kernel for uint8 x int8 (vpmaddubsw, used where the CPU has
no VNNI) adds pairs of products in int16 with saturation; 2 * 127 * 127 stays below 32767,
2 * 255 * 127 does not. Why quantise at all: the float32 128-d sketch was a 512 MB scan at 1M
vectors, ~30 ms of a 37 ms lookup; the codes are a quarter of its bytes (an eighth of the
vectors': 132 bytes per vector resident instead of 516) and ONNX Runtime's integer GEMM scans
them 1.2-1.7x faster (int8scan; bench/vector_backends.py --kernels).
"""

from __future__ import annotations

import numpy as np

SKETCH_DIMS = 128
TRAIN_SAMPLE = 8192  # vectors the basis is fitted on (a 512-d fit takes ~0.3 s)
LEVELS = 127  # codes 0..127 (see the module docstring for why not 255)
HEADROOM = 1 / 16  # the fitted range widens by this share of it on each side, for later adds
_CHUNK = 65_536
_LOW, _STEP, _CENTRE, _SPREAD = range(4)  # rows of a codebook


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


def fit_codebook(y: np.ndarray) -> np.ndarray:
    """A codebook [4, dims] float32 for sketches y [n, dims]: per dimension the low end and the
    step of the codes, the mean code and the mean squared deviation of the codes from it."""
    low, high = np.empty(y.shape[1], np.float64), np.empty(y.shape[1], np.float64)
    low[:], high[:] = np.inf, -np.inf
    total, squares = np.zeros(y.shape[1]), np.zeros(y.shape[1])
    for start in range(0, len(y), _CHUNK):
        part = np.asarray(y[start : start + _CHUNK], dtype=np.float32)
        low, high = np.minimum(low, part.min(axis=0)), np.maximum(high, part.max(axis=0))
        total += part.sum(axis=0, dtype=np.float64)
        squares += (part * part).sum(axis=0, dtype=np.float64)
    width = np.maximum(high - low, 1e-6)
    low -= HEADROOM * width
    step = width * (1 + 2 * HEADROOM) / LEVELS
    mean = total / len(y)
    variance = np.maximum(squares / len(y) - mean * mean, 0)
    book = np.stack([low, step, (mean - low) / step, variance / step**2 + 1 / 12])
    return book.astype(np.float32)


def encode(book: np.ndarray, y: np.ndarray, rest: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(codes [n, dims] uint8, left-out lengths [n]) of sketches y: a vector with a coordinate
    outside the codebook's range gets an infinite length (every search rescores it)."""
    codes = np.empty(y.shape, np.uint8)
    rest = np.array(rest, dtype=np.float32)
    for start in range(0, len(y), _CHUNK):
        part = (np.asarray(y[start : start + _CHUNK], np.float32) - book[_LOW]) / book[_STEP]
        np.rint(part, out=part)
        outside = ((part < 0) | (part > LEVELS)).any(axis=1)
        rest[start : start + len(part)][outside] = np.inf
        codes[start : start + len(part)] = np.clip(part, 0, LEVELS)
    return codes, rest


def query_code(book: np.ndarray, qy: np.ndarray) -> tuple[np.ndarray, float, float, float]:
    """(int8 query [dims], scale, offset, rounding sd) for a projected query qy: its sketch
    score against a vector of codes c is offset + scale * (query . c), off by both roundings,
    whose standard deviation is the last number."""
    weights = qy.astype(np.float64) * book[_STEP]
    scale = max(float(np.abs(weights).max()) / 127, 1e-30)
    query = np.rint(weights / scale)
    residual = weights - scale * query
    offset = float(qy @ book[_LOW]) + float(residual @ book[_CENTRE])
    variance = float((qy * book[_STEP]) ** 2 @ np.full(len(qy), 1 / 12)) + float(
        residual**2 @ book[_SPREAD]
    )
    return query.astype(np.int8), scale, offset, float(np.sqrt(variance))

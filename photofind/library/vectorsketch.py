"""The compact copy of the vectors that a search scans first: each vector projected onto a
fixed orthonormal basis of SKETCH_DIMS directions (the mean direction, then the principal
directions of a sample), with the length of what the projection leaves out.

Why a float32 projection and not int8 or float16 codes for the scan: numpy has no fast
kernel for either (bench/vector_backends.py --kernels; numkong's int8 kernel was measured too,
at half the time of float32 BLAS on the same coordinates, no better than float32 on a quarter
of them), while a projection is a BLAS product over as few coordinates as a level needs.
For unit vectors x and any query q,

    q . x = (P^T q) . (P^T x) + q_rest . x_rest,   |q_rest . x_rest| <= |q_rest| |x_rest|,

so the sketch score plus a margin scaled by both left-out lengths bounds the exact score: what
`VectorStore.search` uses to decide which vectors to rescore exactly (see vectorcascade).

`Sketch` keeps the projection in LEVELS: the first 16 coordinates, then 16-32, 32-64 and
64-128, each its own contiguous array, with the length left out after each level. The
directions come in order of their spread, so a scan of the first level alone (64 bytes a row)
already ranks well, and the later levels are read only for the rows still in the running.
"""

from __future__ import annotations

import numpy as np

SKETCH_DIMS = 128
LEVELS = (16, 32, 64, 128)  # coordinates known after each level of the cascade
TRAIN_SAMPLE = 8192  # vectors the basis is fitted on (a 512-d fit takes ~0.3 s)
MOMENT_SAMPLE = 20_000  # rows the per-direction spread is measured on
_CHUNK = 65_536
BLAS_MIN = 1 << 24  # matrix entries from which a product goes to BLAS (see `dot`)


def dot(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """matrix @ vector, through BLAS only for a large matrix. OpenBLAS splits a mid-sized
    matrix-vector product over its threads, and on a busy machine waiting for them cost 20x
    (a 100k x 16 product: 32 ms against 1.5 ms by einsum, load 12 on 2 cores); einsum runs
    on the calling thread."""
    if matrix.size >= BLAS_MIN:
        return matrix @ vector
    return np.einsum("ij,j->i", matrix, vector)


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


class Sketch:
    """The leveled projection of every stored row, in the store's row order.

    `parts[i]` holds coordinates `edges[i]:edges[i+1]` of each row; `outside[:, i]` the length
    of what is still unknown after level i (the later coordinates and the left-out rest);
    `spread` the mean square of each coordinate and of the rest, measured once on a sample, so
    a margin can weigh the unknown part of a query by how much the rows vary there. Not
    thread-safe: the store's owner serialises changes.
    """

    def __init__(self, basis: np.ndarray, dim: int, capacity: int) -> None:
        self.basis = basis
        self.dim = int(dim)
        width = basis.shape[1]
        self.edges = (0, *sorted({min(level, width) for level in LEVELS}))
        self.parts = [np.zeros((capacity, b - a), np.float32) for a, b in self.levels()]
        self.outside = np.zeros((capacity, len(self.parts)), np.float32)
        self.spread = np.zeros(width, np.float64)
        self.rest_spread = 0.0

    def levels(self) -> list[tuple[int, int]]:
        return list(zip(self.edges, self.edges[1:], strict=False))

    def write(self, rows: np.ndarray | slice, y: np.ndarray, rest: np.ndarray) -> None:
        """Set rows from their projection y [n, width] and left-out lengths rest [n]."""
        unknown = np.asarray(rest, np.float64) ** 2
        for i, (a, b) in reversed(list(enumerate(self.levels()))):
            self.outside[rows, i] = np.sqrt(unknown)
            self.parts[i][rows] = y[:, a:b]
            unknown = unknown + np.einsum("ij,ij->i", y[:, a:b], y[:, a:b])

    def project_into(self, rows: np.ndarray | slice, vectors: np.ndarray) -> None:
        y, rest = project(self.basis, vectors)
        self.write(rows, y, rest)

    def move(self, source: int, target: int) -> None:
        for part in self.parts:
            part[target] = part[source]
        self.outside[target] = self.outside[source]

    def grow(self, size: int, keep: int) -> None:
        def grown(array: np.ndarray) -> np.ndarray:
            out = np.zeros((size, *array.shape[1:]), dtype=array.dtype)
            out[:keep] = array[:keep]
            return out

        self.parts = [grown(part) for part in self.parts]
        self.outside = grown(self.outside)

    def rows(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """(projection [n, width], left-out length [n]) of rows start:stop (for saving)."""
        y = np.hstack([part[start:stop] for part in self.parts])
        return y, self.outside[start:stop, -1].copy()

    def measure_spread(self, count: int) -> None:
        """Mean squares of every coordinate and of the rest over a sample of the first
        `count` rows: the weights of the margins (`margins`)."""
        step = max(1, count // MOMENT_SAMPLE)
        y = np.hstack([part[:count:step] for part in self.parts]).astype(np.float64)
        self.spread = (y**2).mean(axis=0)
        self.rest_spread = float((self.outside[:count:step, -1].astype(np.float64) ** 2).mean())

    def margins(self, qy: np.ndarray, q_rest2: float, z: tuple[float, ...]) -> np.ndarray:
        """Per level, the factor that times a row's unknown length gives z[level] standard
        deviations of the unknown part of the score: the query's unknown coordinates weighed
        by how much rows spread there (the rest spread evenly over its dim - width
        directions). Rows spread evenly everywhere, this is z |q_unknown| / sqrt(dims
        unknown), the isotropic bound."""
        width = len(self.spread)
        per_rest = self.rest_spread / max(1, self.dim - width)
        out = np.empty(len(self.parts), np.float32)
        q2 = np.asarray(qy, np.float64) ** 2
        for i, (_, b) in enumerate(self.levels()):
            var = float(q2[b:] @ self.spread[b:]) + q_rest2 * per_rest
            total = float(self.spread[b:].sum()) + self.rest_spread
            out[i] = z[i] * np.sqrt(var / total) if total > 0 else 0.0
        return out

    def scores(self, level: int, rows: np.ndarray, qy: np.ndarray) -> np.ndarray:
        """Level `level`'s share of the sketch score of `rows` (a gather of those rows)."""
        a, b = self.edges[level], self.edges[level + 1]
        return dot(np.take(self.parts[level], rows, axis=0), qy[a:b])

    def full_scores(self, rows: np.ndarray, qy: np.ndarray) -> np.ndarray:
        total = np.zeros(len(rows), np.float32)
        for level in range(len(self.parts)):
            total += self.scores(level, rows, qy)
        return total

"""The vector store behind `VectorIndex`: a float32 matrix searched exactly with numpy; the only
module that holds the vectors, so another library (an ANN index for huge libraries) is a
change to this file alone.

Why no vector library (bench/vector_backends.py has the figures): chroma-hnswlib's pybind11
kept the importing thread's freed PyThreadState and crashed or hung the window on Qt's pool
threads, and has no wheels for Python 3.13+ (upstream hnswlib has none at all). Of the
libraries that survive the pool threads, faiss-cpu's exact scan took twice numpy's time at 100k
vectors and adds ~66 MB and ~130 ms of import, usearch's exact search missed a few true
neighbours, and every graph index (hnswlib, faiss HNSW, usearch) lost 7-15% of the true top 50
for text queries, which sit across CLIP's modality gap. One BLAS matrix-vector product over the
stored vectors is exact, releases the GIL, keeps no per-thread state and needs nothing numpy
does not already bring.

Not thread-safe by itself: `VectorIndex` lets searches run in parallel and changes run alone.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

NAME = f"numpy-exact {np.__version__}"  # written to the sidecar, for the curious
_MAGIC = b"PFVECS1\n"
GROWTH = 1.5  # room for adds grows geometrically
_MIN_ROWS = 1024
_GATHER_SHARE = 8  # a filter allowing under 1/8 of the rows multiplies only those rows
_ROUNDING = 1e-6  # float32 dot products of equal unit vectors can fall just short of 1.0


class BackendError(Exception):
    """A saved file that is not a vector store of the expected shape."""


class VectorStore:
    """Vectors by int64 id in one float32 matrix: row r holds the vector of id `_ids[r]`."""

    def __init__(self, dim: int, ids: np.ndarray | None = None, rows: np.ndarray | None = None):
        self.dim = int(dim)
        if ids is None or rows is None:
            ids, rows = np.zeros(0, np.int64), np.zeros((_MIN_ROWS, self.dim), np.float32)
        self._n = len(ids)
        self._rows = rows  # taken as it is (a loaded file is not copied); grows on add
        self._ids = np.zeros(len(rows), dtype=np.int64)
        self._ids[: self._n] = ids
        self._row_of = np.full(max(_MIN_ROWS, int(ids.max()) + 1 if self._n else 0), -1, np.int64)
        self._row_of[ids] = np.arange(self._n)

    def __len__(self) -> int:
        return self._n

    def ids(self) -> np.ndarray:
        """Every stored id (int64), sorted."""
        return np.sort(self._ids[: self._n])

    def has(self, i: int) -> bool:
        return 0 <= i < len(self._row_of) and self._row_of[i] >= 0

    def present(self, ids: np.ndarray) -> np.ndarray:
        """Which of `ids` (int64, any values) are stored: a bool mask."""
        ids = np.asarray(ids, dtype=np.int64)
        inside = (ids >= 0) & (ids < len(self._row_of))
        found = np.zeros(len(ids), dtype=bool)
        found[inside] = self._row_of[ids[inside]] >= 0
        return found

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Store vectors under unique ids; a stored id gets its new vector in place."""
        ids = np.asarray(ids, dtype=np.int64)
        if len(ids) == 0:
            return
        top = int(ids.max())
        if top >= len(self._row_of):
            grown = np.full(max(top + 1, int(len(self._row_of) * GROWTH)), -1, np.int64)
            grown[: len(self._row_of)] = self._row_of
            self._row_of = grown
        rows = self._row_of[ids]
        old = rows >= 0
        self._rows[rows[old]] = vectors[old]
        new = ~old
        count = int(new.sum())
        if count:
            self._reserve(self._n + count)
            span = np.arange(self._n, self._n + count)
            self._rows[span] = vectors[new]
            self._ids[span] = ids[new]
            self._row_of[ids[new]] = span
            self._n += count

    def _reserve(self, rows: int) -> None:
        if rows > len(self._rows):
            size = max(rows, int(len(self._rows) * GROWTH))
            grown = np.zeros((size, self.dim), dtype=np.float32)
            grown[: self._n] = self._rows[: self._n]
            grown_ids = np.zeros(size, dtype=np.int64)
            grown_ids[: self._n] = self._ids[: self._n]
            self._rows, self._ids = grown, grown_ids

    def remove(self, ids: np.ndarray) -> int:
        """Forget stored ids (the caller passes only stored, unique ids); the last row moves
        into each hole, so a removal costs O(removed), not O(stored)."""
        for i in np.asarray(ids, dtype=np.int64).tolist():
            row, last = int(self._row_of[i]), self._n - 1
            if row != last:
                moved = int(self._ids[last])
                self._rows[row] = self._rows[last]
                self._ids[row] = moved
                self._row_of[moved] = row
            self._row_of[i] = -1
            self._n = last
        return len(ids)

    def get(self, ids: np.ndarray) -> np.ndarray:
        """Stored vectors [n, dim] of stored ids (a copy)."""
        return self._rows[self._row_of[np.asarray(ids, dtype=np.int64)]]

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The k best (ids, inner products), best first, exact; only `allowed` (stored, unique)
        ids when given. Fewer than k when fewer are stored or allowed."""
        q = np.asarray(query, dtype=np.float32)
        if allowed is None:
            sims, ids = self._rows[: self._n] @ q, None
        elif len(allowed) * _GATHER_SHARE < self._n:
            rows = self._row_of[allowed]
            sims, ids = self._rows[rows] @ q, np.asarray(allowed, dtype=np.int64)
        else:
            sims = self._rows[: self._n] @ q
            keep = np.zeros(self._n, dtype=bool)
            keep[self._row_of[allowed]] = True
            sims[~keep] = -np.inf
            ids = None
        k = min(int(k), len(sims) if allowed is None else len(allowed))
        if k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        top = np.argpartition(-sims, k - 1)[:k] if k < len(sims) else np.arange(len(sims))
        top = top[np.lexsort((top, -sims[top]))]  # best first; ties by storage order
        found = self._ids[top] if ids is None else ids[top]
        return found.astype(np.int64, copy=False), sims[top]

    def above(self, queries: np.ndarray, threshold: float) -> list[np.ndarray]:
        """For each query row, the stored ids with inner product >= threshold (exact): one
        matrix product per block of queries, ~128 MB of scores at a time."""
        found: list[np.ndarray] = []
        block = max(1, (32 << 20) // max(1, self._n))
        stored = self._rows[: self._n]
        for start in range(0, len(queries), block):
            sims = queries[start : start + block] @ stored.T
            rows, cols = np.nonzero(sims >= threshold - _ROUNDING)
            cuts = np.searchsorted(rows, np.arange(1, len(sims)))
            found.extend(self._ids[c] for c in np.split(cols, cuts))
        return found

    def save(self, path: Path) -> None:
        """Write ids and vectors to `path` (the caller makes that atomic)."""
        with open(path, "wb") as fh:
            fh.write(_MAGIC)
            np.lib.format.write_array(fh, self._ids[: self._n], allow_pickle=False)
            np.lib.format.write_array(fh, self._rows[: self._n], allow_pickle=False)

    @classmethod
    def load(cls, path: Path, dim: int) -> VectorStore:
        """Read a file written by `save`; BackendError if it is not one of `dim` dims."""
        try:
            with open(path, "rb") as fh:
                if fh.read(len(_MAGIC)) != _MAGIC:
                    raise BackendError("not a photofind vector file")
                ids = np.lib.format.read_array(fh, allow_pickle=False)
                rows = np.lib.format.read_array(fh, allow_pickle=False)
        except (ValueError, EOFError, MemoryError) as exc:
            raise BackendError(str(exc) or repr(exc)) from exc
        if (
            ids.dtype != np.int64
            or ids.ndim != 1
            or rows.dtype != np.float32
            or rows.shape != (len(ids), dim)
            or (len(ids) and int(ids.min()) < 0)
            or len(np.unique(ids)) != len(ids)
        ):
            raise BackendError(f"not a store of {dim}-d vectors with unique ids")
        return cls(dim, ids, rows)

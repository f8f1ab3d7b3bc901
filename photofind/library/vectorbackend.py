"""The vector library behind `VectorIndex`: faiss, exact inner-product search; the only module
that imports it, so another library is a change to this file alone.

Why faiss (bench/vector_backends.py has the figures): its SWIG bindings release the GIL and keep
no per-thread interpreter state, so Qt's pool threads may call it (chroma-hnswlib's pybind11
kept the importing thread's freed PyThreadState and crashed or hung the window); it ships abi3
wheels for Linux (x86_64, aarch64), macOS and Windows, Python 3.10 and later; and an exact scan
of float32 vectors is as fast as the graph search was at typical library sizes while returning
the true nearest neighbours, text queries across CLIP's modality gap included.

Not thread-safe by itself: `VectorIndex` lets searches run in parallel and changes run alone.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np  # first: its BLAS reads OMP_NUM_THREADS too, and must keep its own default

# Before faiss loads OpenMP, which reads these once: one query is one scan in the calling
# thread (parallel queries come from parallel callers), and idle OpenMP workers sleep instead
# of spinning on the cores the photo decoders and the image encoder need. The environment
# reaches every thread; `omp_set_num_threads` would only set the importing thread's default.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("KMP_BLOCKTIME", "0")  # the same for LLVM's OpenMP (macOS wheels)

import faiss

NAME = f"faiss-flat-ip {faiss.__version__}"  # written to the sidecar, for the curious


class BackendError(Exception):
    """A saved file the library could not read (damaged, or not an index of this kind)."""


class VectorStore:
    """Unit vectors by int64 id, searched exactly by inner product (= cosine)."""

    def __init__(self, dim: int, index: faiss.Index | None = None) -> None:
        self.dim = int(dim)
        self._index = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dim))

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def ids(self) -> np.ndarray:
        """Every stored id (int64), in storage order."""
        return faiss.vector_to_array(self._index.id_map).astype(np.int64, copy=False)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Store vectors under ids that are not stored yet (remove an id before re-adding it)."""
        self._index.add_with_ids(
            np.ascontiguousarray(vectors, dtype=np.float32), np.ascontiguousarray(ids, np.int64)
        )

    def remove(self, ids: np.ndarray) -> int:
        """Forget these ids (absent ones are ignored); returns how many were stored."""
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if len(ids) == 0:
            return 0
        return int(self._index.remove_ids(faiss.IDSelectorBatch(ids)))

    def get(self, ids: np.ndarray) -> np.ndarray:
        """Stored vectors [n, dim] of stored ids (the caller checks they are stored)."""
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if len(ids) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._index.reconstruct_batch(ids)

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The k best (ids, inner products), best first; only `allowed` ids when given.

        Fewer than k when fewer are stored (or allowed).
        """
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        params = None
        if allowed is not None:
            params = faiss.SearchParameters(
                sel=faiss.IDSelectorBatch(np.ascontiguousarray(allowed, np.int64))
            )
        sims, ids = self._index.search(q, int(k), params=params)
        keep = ids[0] >= 0  # faiss pads with -1 when fewer qualify
        return ids[0][keep].astype(np.int64), sims[0][keep]

    def save(self, path: Path) -> None:
        """Write the whole index to `path` (the caller makes that atomic)."""
        try:
            faiss.write_index(self._index, str(path))
        except RuntimeError as exc:  # faiss reports I/O failures this way
            raise OSError(str(exc)) from exc

    @classmethod
    def load(cls, path: Path, dim: int) -> VectorStore:
        """Read an index written by `save`; BackendError if it is not one of `dim` dims."""
        try:
            index = faiss.read_index(str(path))
        except (RuntimeError, MemoryError, ValueError) as exc:
            reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else repr(exc)
            raise BackendError(reason) from exc
        if not isinstance(index, faiss.IndexIDMap2) or index.d != dim:
            raise BackendError(f"not a {dim}-d id-mapped index")
        return cls(dim, index)

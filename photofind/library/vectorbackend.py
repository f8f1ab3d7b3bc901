"""The vector store behind `VectorIndex`: float32 vectors searched with numpy, exact in result;
the only module that holds the vectors, so another library is a change to this file alone.

A search of a large store scans a compact copy first (vectorsketch: a 128-d projection in
7-bit codes, an eighth of the bytes, scanned by ONNX Runtime's integer GEMM, int8scan, or
after a few searches by its prepacked one-row kernel, packedscan, in blocks of 512k rows) and
rescores in float32 the vectors that can still be in the top k: the best FIRST_SHARE * k by
sketch score, then every vector whose sketch score plus a margin reaches the k-th best exact
score so far. The margin is MARGIN_Z standard deviations of what the sketch misses: the part
the projection leaves out (from both left-out lengths) and the roundings of codes and query
(vectorsketch.query_code). The results are the exact float32 scores, and the top k equals
exact search unless a left-out part is far larger than its spread predicts (bench/query.py:
recall@50 1.000 for image queries at 100k and 1M, 0.9999 / 0.9998 for text queries). A
query far from the data (a text query across CLIP's modality gap) leaves more out, so it gets
a wider margin and more rescoring by itself. A vector added later outside the codebook's
range is rescored by every search; once they are over 1/REFIT_SHARE of the rows the sketch is
fitted again.

The full vectors of a loaded file stay memory-mapped (copy on write) and only the rescored rows
are read (with preadv while the mapped rows are unchanged: a page fault per row through the
map took three times as long), so resident memory is the sketch (132 bytes per vector; 260
once packedscan holds its copy of the codes) plus what was added since the last save. On
Windows, where a mapped file cannot be replaced, a loaded file is read whole. Files: PFVECS3
(codes); PFVECS2 (a float32 sketch, encoded at load until the next save rewrites it) and
PFVECS1 (no sketch) still load.

Why no vector library (bench/vector_backends.py has the figures): chroma-hnswlib's pybind11
kept the importing thread's freed PyThreadState and crashed or hung the window on Qt's pool
threads; of the libraries that survive the pool threads, faiss-cpu's exact scan took twice
numpy's time, usearch's exact search missed a few true neighbours, and every graph index lost
7-15% of the true top 50 for text queries. BLAS keeps no per-thread state and releases the GIL.

Not thread-safe by itself: `VectorIndex` lets searches run in parallel and changes run alone.
"""

from __future__ import annotations

import mmap
import os
import weakref
from pathlib import Path

import numpy as np

from photofind.library import packedscan, vectorsketch

NAME = f"numpy-int8sketch {np.__version__}"  # written to the sidecar, for the curious
_MAGIC = b"PFVECS3\n"  # ids, rows, basis, codebook, codes, left-out lengths
_MAGIC_V2 = b"PFVECS2\n"  # ids, rows, basis, float32 sketch, left-out lengths (read)
_MAGIC_V1 = b"PFVECS1\n"  # ids, rows (read; the sketch is made at load)
GROWTH = 1.5  # room for adds grows geometrically
_MIN_ROWS = 1024
_GATHER_SHARE = 8  # a filter allowing under 1/8 of the rows multiplies only those rows
_ROUNDING = 1e-6  # float32 dot products of equal unit vectors can fall just short of 1.0
SKETCH_MIN = 20_000  # below this many vectors one scan of the full vectors is fast enough
FIRST_SHARE = 4  # first rescoring: the FIRST_SHARE * k best by sketch score (at least 256)
MARGIN_Z = 4.0  # then every vector within this many standard deviations of the k-th best
REFIT_SHARE = 256  # the sketch is fitted again once over 1/256 of the rows are outside its
_REFIT_MIN = 64  # range (and over this many)
MAP_FILES = os.name != "nt"
_READ_BATCH = 1024  # mapped rows read between two releases of their pages
_PREAD_MAX = 16_384  # up to this many rows of a mapped file are read with pread, not the map


class BackendError(Exception):
    """A saved file that is not a vector store of the expected shape."""


def _grown(array: np.ndarray, size: int, keep: int) -> np.ndarray:
    out = np.zeros((size, *array.shape[1:]), dtype=array.dtype)
    out[:keep] = array[:keep]
    return out


class VectorStore:
    """Vectors by int64 id: row r holds the vector of id `_ids[r]`; rows below `_nb` live in
    `_base` (a loaded file, mapped), the rest in `_tail`; `_codes`/`_rest` (the sketch) follow
    the rows, `_basis` and `_book` say how they were made, `_loose` counts (at most) the rows
    outside the codebook's range."""

    def __init__(
        self,
        dim: int,
        ids: np.ndarray | None = None,
        rows: np.ndarray | None = None,
        sketch: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None,
    ):
        self.dim = int(dim)
        ids = np.zeros(0, np.int64) if ids is None else np.asarray(ids, np.int64)
        self._n = len(ids)
        self._base = np.zeros((0, self.dim), np.float32) if rows is None else rows
        self._nb = len(self._base)
        self._base_written = False  # a mapped row changed in memory (its page is private now)
        self._tail = np.zeros((_MIN_ROWS, self.dim), np.float32)
        self._ids = np.zeros(max(_MIN_ROWS, self._n), dtype=np.int64)
        self._ids[: self._n] = ids
        self._row_of = np.full(max(_MIN_ROWS, int(ids.max()) + 1 if self._n else 0), -1, np.int64)
        self._row_of[ids] = np.arange(self._n)
        self._basis: np.ndarray | None = None
        self._book = np.zeros((4, 0), np.float32)
        self._codes = np.zeros((0, 0), np.uint8)
        self._rest = np.zeros(0, np.float32)
        self._loose = 0
        self._packed = packedscan.PackedSketch()  # the codes prepacked, once searched a few times
        self._fd: int | None = None  # the mapped file, open for pread (see `_read`)
        self._offset = 0  # where its vectors start
        if sketch is not None:
            self._basis, self._book, codes, rest = sketch
            self._codes, self._rest = (
                codes if len(codes) == len(self._ids) else _grown(codes, len(self._ids), self._n),
                rest if len(rest) == len(self._ids) else _grown(rest, len(self._ids), self._n),
            )
            self._loose = int(np.isinf(self._rest[: self._n]).sum())
        elif self._n >= SKETCH_MIN:
            self._make_sketch()

    def __len__(self) -> int:
        return self._n

    def reserve(self, rows: int) -> None:
        """Make room for `rows` vectors at once (a rebuild knows how many are coming)."""
        self._reserve(rows)

    def unmapped_rows(self) -> int:
        """Rows held in memory rather than in a mapped file (all of them once a mapped row
        was changed: a save then maps the file it wrote)."""
        if not MAP_FILES or self._base_written:
            return self._n
        return max(0, self._n - self._nb)

    def release_pages(self) -> None:
        """Unmap the file pages a search touched: the kernel maps 16 pages around each row
        read, so without this a few hundred searches map most of the file (resident, if
        reclaimable). Only while no mapped row was changed: those pages are private."""
        handle = getattr(self._base, "_mmap", None)
        if handle is not None and not self._base_written and hasattr(mmap, "MADV_DONTNEED"):
            handle.madvise(mmap.MADV_DONTNEED)

    # -- rows -----------------------------------------------------------------------------

    def _open_file(self, path: Path) -> None:
        """Keep the mapped file open for `_pread` (closed with the store; a file saved over
        the path later leaves this one readable, as the map does)."""
        if isinstance(self._base, np.memmap) and hasattr(os, "preadv"):
            self._offset = int(self._base.offset)
            self._fd = os.open(path, os.O_RDONLY)
            weakref.finalize(self, os.close, self._fd)

    def _pread(self, rows: np.ndarray) -> np.ndarray:
        """Mapped rows read from the file: a few thousand scattered rows (what a search
        rescores) in a third of the time the map takes, whose every first touch is a page
        fault that maps 16 pages, all unmapped again after each search."""
        assert self._fd is not None
        out = np.empty((len(rows), self.dim), dtype=np.float32)
        size, start, fd = self.dim * 4, self._offset, self._fd
        for buffer, row in zip(out, rows.tolist(), strict=True):
            if os.preadv(fd, [buffer], start + row * size) != size:  # type: ignore[list-item]
                raise OSError(f"the vector file is cut short at row {row}")
        return out

    def _read(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        if self._fd is not None and not self._base_written and 0 < len(rows) <= _PREAD_MAX:
            low = rows < self._nb
            if low.all():
                return self._pread(rows)
            out = np.empty((len(rows), self.dim), dtype=np.float32)
            out[low] = self._pread(rows[low])
            out[~low] = self._tail[rows[~low] - self._nb]
            return out
        if len(rows) > _READ_BATCH and int(rows.max()) < self._nb:
            # Mapped rows in batches, each batch's pages unmapped after it: the kernel maps
            # 16 pages around every row read, so 16k rows at once would map a gigabyte.
            out = np.empty((len(rows), self.dim), dtype=np.float32)
            for start in range(0, len(rows), _READ_BATCH):
                out[start : start + _READ_BATCH] = self._base[rows[start : start + _READ_BATCH]]
                self.release_pages()
            return out
        if len(rows) and int(rows.max()) < self._nb:
            return np.asarray(self._base[rows], dtype=np.float32)
        out = np.empty((len(rows), self.dim), dtype=np.float32)
        low = rows < self._nb
        out[low] = self._base[rows[low]]
        out[~low] = self._tail[rows[~low] - self._nb]
        return out

    def _write_rows(self, rows: np.ndarray, vectors: np.ndarray) -> None:
        low = rows < self._nb
        if low.any():
            self._base[rows[low]] = vectors[low]  # a mapped file: copy on write, file untouched
            self._base_written = True
        self._tail[rows[~low] - self._nb] = vectors[~low]
        if self._basis is not None:
            y, rest = vectorsketch.project(self._basis, vectors)
            codes, rest = vectorsketch.encode(self._book, y, rest)
            self._codes[rows], self._rest[rows] = codes, rest
            self._packed.touched(rows)
            self._loose += int(np.isinf(rest).sum())

    def _move(self, source: int, target: int) -> None:
        vector = self._base[source] if source < self._nb else self._tail[source - self._nb]
        if target < self._nb:
            self._base[target] = vector
            self._base_written = True
        else:
            self._tail[target - self._nb] = vector
        if self._basis is not None:
            self._codes[target], self._rest[target] = self._codes[source], self._rest[source]
            self._packed.touched(np.array([target]))

    def blocks(self, size: int = 65_536):
        """(first row, float32 block) over the stored rows, in row order, without a copy of
        them all (duplicate detection and saving stream through these)."""
        for start in range(0, self._n, size):
            stop = min(self._n, start + size)
            if stop <= self._nb:
                yield start, np.asarray(self._base[start:stop])
            elif start >= self._nb:
                yield start, self._tail[start - self._nb : stop - self._nb]
            else:
                yield start, self._read(np.arange(start, stop))

    def _make_sketch(self) -> None:
        """Fit the basis on a sample and the codebook on every row's projection (held in
        float32 for the while: 0.5 KB per row), then encode them all."""
        step = max(1, self._n // vectorsketch.TRAIN_SAMPLE)
        basis = vectorsketch.fit_basis(self._read(np.arange(0, self._n, step)))
        y = np.empty((self._n, basis.shape[1]), np.float32)
        rest = np.empty(self._n, np.float32)
        for start, block in self.blocks():
            y[start : start + len(block)], rest[start : start + len(block)] = vectorsketch.project(
                basis, block
            )
        self._set_sketch(basis, vectorsketch.fit_codebook(y), y, rest)

    def _set_sketch(self, basis: np.ndarray, book: np.ndarray, y: np.ndarray, rest: np.ndarray):
        codes, rest = vectorsketch.encode(book, y, rest)
        self._basis, self._book, self._loose = basis, book, int(np.isinf(rest).sum())
        self._packed.touched(None)
        self._codes = _grown(codes, len(self._ids), self._n)
        self._rest = _grown(rest, len(self._ids), self._n)

    def _check_loose(self) -> None:
        """Fit the sketch again when many rows fell outside its range (new kinds of photos
        since the fit): each of them is rescored in every search."""
        if self._loose * REFIT_SHARE > self._n and self._loose > _REFIT_MIN:
            self._loose = int(np.isinf(self._rest[: self._n]).sum())
            if self._loose * REFIT_SHARE > self._n and self._loose > _REFIT_MIN:
                self._make_sketch()

    # -- ids ------------------------------------------------------------------------------

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

    # -- changes --------------------------------------------------------------------------

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
        new = ~old
        count = int(new.sum())
        if count:
            self._reserve(self._n + count)
            span = np.arange(self._n, self._n + count)
            self._ids[span] = ids[new]
            self._row_of[ids[new]] = span
            rows = rows.copy()
            rows[new] = span
            self._n += count
        self._write_rows(rows, vectors)
        if self._basis is None and self._n >= SKETCH_MIN:
            self._make_sketch()
        elif self._basis is not None:
            self._check_loose()

    def _reserve(self, rows: int) -> None:
        if rows > len(self._ids):
            size = max(rows, int(len(self._ids) * GROWTH))
            self._ids = _grown(self._ids, size, self._n)
            if self._basis is not None:
                self._codes = _grown(self._codes, size, self._n)
                self._rest = _grown(self._rest, size, self._n)
        if rows - self._nb > len(self._tail):
            size = max(rows - self._nb, int(len(self._tail) * GROWTH))
            self._tail = _grown(self._tail, size, max(0, self._n - self._nb))

    def remove(self, ids: np.ndarray) -> int:
        """Forget stored ids (the caller passes only stored, unique ids); the last row moves
        into each hole, so a removal costs O(removed), not O(stored)."""
        for i in np.asarray(ids, dtype=np.int64).tolist():
            row, last = int(self._row_of[i]), self._n - 1
            if row != last:
                moved = int(self._ids[last])
                self._move(last, row)
                self._ids[row] = moved
                self._row_of[moved] = row
            self._row_of[i] = -1
            self._n = last
        return len(ids)

    def get(self, ids: np.ndarray) -> np.ndarray:
        """Stored vectors [n, dim] of stored ids (a copy)."""
        return self._read(self._row_of[np.asarray(ids, dtype=np.int64)])

    # -- searching ------------------------------------------------------------------------

    def _scores(self, q: np.ndarray) -> np.ndarray:
        """Exact scores of every stored row."""
        parts = [np.asarray(self._base[: min(self._n, self._nb)]) @ q]
        if self._n > self._nb:
            parts.append(self._tail[: self._n - self._nb] @ q)
        return np.concatenate(parts) if len(parts) > 1 else parts[0]

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The k best (ids, inner products), best first; only `allowed` (stored, unique) ids
        when given. Fewer than k when fewer are stored or allowed."""
        q = np.asarray(query, dtype=np.float32)
        count = self._n if allowed is None else len(allowed)
        k = min(int(k), count)
        if k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        try:
            return self._search(q, k, allowed, count)
        finally:
            self.release_pages()

    def _search(
        self, q: np.ndarray, k: int, allowed: np.ndarray | None, count: int
    ) -> tuple[np.ndarray, np.ndarray]:
        if allowed is not None and len(allowed) * _GATHER_SHARE < self._n:
            rows = self._row_of[np.asarray(allowed, dtype=np.int64)]
            return self._best(rows, self._read(rows) @ q, k)
        keep = None
        if allowed is not None:
            keep = np.zeros(self._n, dtype=bool)
            keep[self._row_of[allowed]] = True
        if self._basis is None:
            sims = self._scores(q)
            if keep is not None:
                sims[~keep] = -np.inf
            return self._best(np.arange(self._n), sims, k)
        return self._two_stage(q, k, keep, count)

    def _two_stage(
        self, q: np.ndarray, k: int, keep: np.ndarray | None, count: int
    ) -> tuple[np.ndarray, np.ndarray]:
        assert self._basis is not None
        n, dims = self._n, self._basis.shape[1]
        qy = q @ self._basis
        q_rest = float(np.sqrt(max(0.0, float(q @ q) - float(qy @ qy))))
        code, scale, offset, rounding = vectorsketch.query_code(self._book, qy)
        self._packed.searched(self._codes, n)
        sums = self._packed.sums(self._codes, n, code)  # sketch score = offset + scale * sums
        if keep is not None:
            sums[~keep] = -np.inf
        first = min(count, max(FIRST_SHARE * k, 256))
        rows = np.sort(_top(sums, first)) if first < n else np.arange(n)
        sims = self._read(rows) @ q
        if first < count:
            floor = float(np.partition(sims, len(sims) - k)[len(sims) - k])
            # A row can still reach the floor if its sketch score plus MARGIN_Z standard
            # deviations of what the sketch misses does: the left-out part (sd ~ rest * q_rest
            # / sqrt(dim - dims)) and the roundings (sd `rounding`, the same for every row).
            # First a superset by sqrt(a^2 + b^2) <= a + b, in units of `scale`, then the
            # exact test on those few rows.
            per_rest = max(MARGIN_Z * q_rest / np.sqrt(max(1, self.dim - dims)), 1e-30)
            bound = self._rest[:n] * np.float32(per_rest / scale)
            with np.errstate(invalid="ignore"):  # inf + -inf: a loose row that is filtered out
                bound += sums
            bound[rows] = -np.inf  # scored already
            more = np.flatnonzero(bound >= (floor - offset - MARGIN_Z * rounding) / scale)
            if len(more):
                reach = np.hypot(per_rest * self._rest[more], MARGIN_Z * rounding)
                more = more[offset + scale * sums[more] + reach >= floor]
                rows = np.concatenate([rows, more])
                sims = np.concatenate([sims, self._read(more) @ q])
        return self._best(rows, sims, k)

    def _best(self, rows: np.ndarray, sims: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k best of scored rows, best first; ties by storage order."""
        top = np.argpartition(-sims, k - 1)[:k] if k < len(sims) else np.arange(len(sims))
        top = top[np.lexsort((rows[top], -sims[top]))]
        return self._ids[rows[top]].astype(np.int64, copy=False), sims[top]

    def above(self, queries: np.ndarray, threshold: float) -> list[np.ndarray]:
        """For each query row, the stored ids with inner product >= threshold (exact): one
        matrix product per block of queries and stored rows, ~128 MB of scores at a time."""
        found: list[list[np.ndarray]] = [[] for _ in range(len(queries))]
        for start, block in self.blocks():
            sims = queries @ block.T
            rows, cols = np.nonzero(sims >= threshold - _ROUNDING)
            cuts = np.searchsorted(rows, np.arange(1, len(sims)))
            for n, c in enumerate(np.split(cols, cuts)):
                if len(c):
                    found[n].append(self._ids[start + c])
        empty = np.zeros(0, np.int64)
        return [np.concatenate(f) if f else empty for f in found]

    # -- files ----------------------------------------------------------------------------

    def save(self, path: Path) -> None:
        """Write ids, vectors and the sketch to `path` (the caller makes that atomic)."""
        with open(path, "wb") as fh:
            fh.write(_MAGIC)
            np.lib.format.write_array(fh, self._ids[: self._n], allow_pickle=False)
            header = {"descr": "<f4", "fortran_order": False, "shape": (self._n, self.dim)}
            np.lib.format.write_array_header_2_0(fh, header)
            for _, block in self.blocks():
                fh.write(np.ascontiguousarray(block, dtype="<f4").tobytes())
            arrays: tuple[np.ndarray, ...]
            if self._basis is None:
                arrays = (np.zeros((0, 0), np.float32), np.zeros((4, 0), np.float32))
                arrays += (np.zeros((0, 0), np.uint8), np.zeros(0, np.float32))
            else:
                arrays = (self._basis, self._book, self._codes[: self._n], self._rest[: self._n])
            for array in arrays:
                np.lib.format.write_array(fh, np.ascontiguousarray(array), allow_pickle=False)

    @classmethod
    def load(cls, path: Path, dim: int) -> VectorStore:
        """Read a file written by `save` (the vectors mapped, not read); BackendError if it is
        not one of `dim` dims."""
        try:
            with open(path, "rb") as fh:
                magic = fh.read(len(_MAGIC))
                if magic not in (_MAGIC, _MAGIC_V2, _MAGIC_V1):
                    raise BackendError("not a photofind vector file")
                ids = np.lib.format.read_array(fh, allow_pickle=False)
                rows = _mapped_array(fh, path)
                sketch = None
                if magic == _MAGIC:
                    basis, book, codes, rest = (
                        np.lib.format.read_array(fh, allow_pickle=False) for _ in range(4)
                    )
                    if basis.size:
                        sketch = (basis, book, codes, rest)
                elif magic == _MAGIC_V2:  # a float32 sketch (mapped), encoded here
                    basis = np.lib.format.read_array(fh, allow_pickle=False)
                    y = _mapped_array(fh, path)
                    rest = np.lib.format.read_array(fh, allow_pickle=False)
                    if basis.size:
                        book = vectorsketch.fit_codebook(y)
                        sketch = (basis, book, *vectorsketch.encode(book, y, rest))
                    del y
        except (ValueError, EOFError, MemoryError, OSError) as exc:
            raise BackendError(str(exc) or repr(exc)) from exc
        if (
            ids.dtype != np.int64
            or ids.ndim != 1
            or rows.dtype != np.float32
            or rows.shape != (len(ids), dim)
            or (len(ids) and int(ids.min()) < 0)
            or not _distinct(ids)
        ):
            raise BackendError(f"not a store of {dim}-d vectors with unique ids")
        if sketch is not None and (
            sketch[0].shape[0] != dim
            or sketch[1].shape != (4, sketch[0].shape[1])
            or sketch[1].dtype != np.float32
            or sketch[2].shape != (len(ids), sketch[0].shape[1])
            or sketch[2].dtype != np.uint8
            or sketch[3].shape != (len(ids),)
        ):
            raise BackendError("the sketch does not fit the vectors")
        store = cls(dim, ids, rows, sketch)
        store._open_file(path)
        return store


def _mapped_array(fh, path: Path) -> np.ndarray:
    """The .npy array at the file position, memory-mapped copy-on-write (read whole where
    mapping is off); the file position moves past it."""
    version = np.lib.format.read_magic(fh)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
    else:
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
    if fortran or dtype != np.dtype("<f4") or len(shape) != 2:
        raise ValueError("the vectors are not a float32 matrix")
    offset = fh.tell()
    nbytes = int(np.prod(shape)) * 4
    if offset + nbytes > os.fstat(fh.fileno()).st_size:
        raise ValueError("the file is cut short")
    rows: np.ndarray
    if MAP_FILES and nbytes:
        rows = np.memmap(path, dtype=np.float32, mode="c", offset=offset, shape=tuple(shape))
    else:
        rows = np.fromfile(fh, dtype=np.float32, count=int(np.prod(shape))).reshape(shape)
    fh.seek(offset + nbytes)
    return rows


def _top(values: np.ndarray, m: int) -> np.ndarray:
    """Indices of the m largest values (any order, m < len): a threshold from a strided
    sample, then a partition of the values above it only. A partition of a million values
    takes ~10 ms, the sample and one comparison ~2."""
    n = len(values)
    if n >= 64 * m:
        sample = values[::16]
        pick = len(sample) - max(1, 2 * m // 16)
        above = np.flatnonzero(values >= np.partition(sample, pick)[pick])
        if len(above) >= m:
            return above[np.argpartition(values[above], len(above) - m)[len(above) - m :]]
    return np.argpartition(values, n - m)[n - m :]


def _distinct(ids: np.ndarray) -> bool:
    """Whether no id repeats (a sort and a neighbour compare: np.unique would import
    numpy.ma, ~15 ms of every cold search)."""
    ordered = np.sort(ids)
    return not bool((ordered[1:] == ordered[:-1]).any())

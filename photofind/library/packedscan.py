"""The sketch scan for rows that stay put: codes prepacked once as the 8-bit weights of ONNX
Runtime's MatMulNBits, whose one-row kernel (made for a language model's next token) runs at
about twice the speed of MatMulInteger over the same bytes (bench/vector_backends.py
--kernels: 8.7 against 19.6 ms for 1M rows, quiet machine). int8scan stays the scan of the
rows not packed and the one a process uses for its first few searches.

Exact, not approximate: the codes are the weights, one 128-code block a row, scale 1 and zero
point 128 (MatMulNBits' default for 8 bits), so a row's sum is q . (c - 128). Accuracy level
4 quantises the query to int8 with scale max|q| / 127, which is 1 for a query code whose
largest entry is +-127, as vectorsketch.query_code makes it: `sums` returns None for any
other query, and the caller scans with int8scan. `pack` also compares the sums with int8scan's
on the first rows before it hands the block out, so a kernel that rounds (another CPU, another
ONNX Runtime) is never used.

The price: packing takes about 0.65 s for 1M rows on this machine, and the packed copy is as
big as the codes (128 bytes a row, beside the store's own). So a store packs only in the
background, once it has been searched a few times (vectorbackend), never in a one-query
command, and only from PACK_MIN rows on.
"""

from __future__ import annotations

import logging
import threading

import numpy as np

from photofind.library import int8scan, smallgraphs

log = logging.getLogger(__name__)

BLOCK = 524_288  # rows a packed block holds at most (64 MB of codes): a change to any of
# them sends the block back to the plain scan; a smaller block ran slower per row (262k: 11
# against 8.7 ns a row for 1M in one block)
PACK_MIN = 50_000  # rows: below this the plain scan takes well under a millisecond (at 100k
# packed 1.3-1.6 ms against plain 2.1-2.3, caches warm or cold: a packing costs 0.07 s)
_ZERO_POINT = 128  # MatMulNBits' default for 8-bit weights
_CHECK_ROWS = 4096


class PackedBlock:
    """One block of codes [rows, dims] packed into an ONNX Runtime session."""

    def __init__(self, session, rows: int, dims: int) -> None:
        self._session = session
        self.rows = rows
        self.dims = dims

    def sums(self, query: np.ndarray) -> np.ndarray | None:
        """float32 [rows]: exact q . c of every row, or None when the query's largest entry
        is not +-127 (its int8 rounding inside the kernel would not be exact)."""
        q = np.asarray(query, np.int8)
        if int(np.abs(q.astype(np.int16)).max()) != 127:
            return None
        (out,) = self._session.run(None, {"q": q.astype(np.float32).reshape(1, -1)})
        return out.reshape(-1) + np.float32(_ZERO_POINT * int(q.astype(np.int64).sum()))


def pack(codes: np.ndarray) -> PackedBlock | None:
    """The block for `codes` (uint8 [rows, dims], dims a power of two >= 16), or None where
    this ONNX Runtime cannot pack it or its sums differ from int8scan's (logged)."""
    rows, dims = codes.shape
    if dims < 16 or dims & (dims - 1) or rows == 0:
        return None
    try:
        model = _model_bytes(np.ascontiguousarray(codes, np.uint8))
        block = PackedBlock(smallgraphs.cpu_session(model, smallgraphs.THREADS), rows, dims)
        del model
        rng = np.random.default_rng(rows)
        check = min(rows, _CHECK_ROWS)
        for sign in (1, -1):
            q = np.asarray(rng.integers(-127, 128, size=dims), dtype=np.int8)
            q[int(rng.integers(dims))] = 127 * sign
            got = block.sums(q)
            if got is None or not np.array_equal(got[:check], int8scan.scan(codes[:check], q)):
                log.info("packed sketch scan not exact here: the plain scan stays")
                return None
        return block
    except Exception as exc:  # an older ONNX Runtime without the kernel, or no memory
        log.info("packed sketch scan unavailable: %s", exc)
        return None


def _model_bytes(codes: np.ndarray) -> bytes:
    """ModelProto (IR 9; opsets 18 and com.microsoft 1): y[1, rows] = MatMulNBits(q[1, dims],
    codes as weights [rows, 1, dims], scales 1)."""
    g = smallgraphs
    rows, dims = codes.shape
    attributes = b"".join(
        g.int_attribute(name, value)
        for name, value in (("K", dims), ("N", rows), ("bits", 8), ("block_size", dims),
                            ("accuracy_level", 4))
    )  # fmt: skip
    node = (
        g.field_bytes(1, "q") + g.field_bytes(1, "codes") + g.field_bytes(1, "scales")
        + g.field_bytes(2, "y") + g.field_bytes(4, "MatMulNBits") + attributes
        + g.field_bytes(7, "com.microsoft")
    )  # fmt: skip
    weights = (
        g.field_int(1, rows) + g.field_int(1, 1) + g.field_int(1, dims)
        + g.field_int(2, g.UINT8) + g.field_bytes(8, "codes") + g.field_bytes(9, codes.tobytes())
    )  # fmt: skip
    scales = (
        g.field_int(1, rows) + g.field_int(2, g.FLOAT) + g.field_bytes(8, "scales")
        + g.field_bytes(9, np.ones(rows, np.float32).tobytes())
    )  # fmt: skip
    graph = (
        g.field_bytes(1, node) + g.field_bytes(2, "packedscan")
        + g.field_bytes(5, weights) + g.field_bytes(5, scales)
        + g.field_bytes(11, g.value_info("q", g.FLOAT, (1, dims)))
        + g.field_bytes(12, g.value_info("y", g.FLOAT, (1, rows)))
    )  # fmt: skip
    opsets = g.field_bytes(8, g.field_bytes(1, "") + g.field_int(2, 18)) + g.field_bytes(
        8, g.field_bytes(1, "com.microsoft") + g.field_int(2, 1)
    )
    return g.field_int(1, 9) + opsets + g.field_bytes(7, graph)


class PackedSketch:
    """The packed blocks of one store's codes: block j holds rows from j * BLOCK on (up to
    BLOCK of them) as they were when it was packed, and is dropped when any of those rows
    changes; rows added past a block's packed rows are scanned plainly until it is packed
    again.

    The store calls `searched` from each search (under its caller's read lock: no change
    runs meanwhile). Once a store of PACK_MIN rows or more has been searched SEARCHES_FIRST
    times since its last change, the blocks that are missing (never packed, or dropped by a
    change) or that cover under 3/4 of their range's rows (photos added since) are packed in a
    thread of their own, one build at a time, read from the store's codes as they stand. A
    block is put to use only if none of its rows changed since the build began (`touched`,
    called by the store's changes, which run alone, counts changes per block under `_lock`;
    a block read torn by a change is counted before any search can use it), and only while
    the store still has all of its rows (a removal may leave a block part empty; the rows
    added into it again are changes).
    """

    SEARCHES_FIRST = 4  # a command that searches once or twice never pays for packing

    def __init__(self) -> None:
        self._blocks: dict[int, PackedBlock] = {}  # replaced whole, read without the lock
        self._extent: dict[int, int] = {}  # rows of block j its latest packing read
        self._changes: dict[int, int] = {}
        self._epoch = 0  # a new sketch (refit) changes every block
        self._lock = threading.Lock()
        self._quiet = 0  # searches since the last change
        self._broken = False  # this ONNX Runtime cannot pack (or not exactly): never again
        self._thread: threading.Thread | None = None

    def touched(self, rows: np.ndarray | None) -> None:
        """Rows whose codes changed (None: all of them, a new sketch). Rows past a block's
        packed rows (photos added) change nothing it holds."""
        with self._lock:
            self._quiet = 0
            if rows is None:
                self._epoch += 1
                self._blocks, self._extent = {}, {}
                return
            rows = np.unique(np.asarray(rows, np.int64))
            blocks = rows // BLOCK
            hit = set()
            for j in np.unique(blocks).tolist():
                extent = self._extent.get(j)
                if extent is None or int(rows[blocks == j][0]) < j * BLOCK + extent:
                    hit.add(j)
            for j in hit:
                self._changes[j] = self._changes.get(j, 0) + 1
            if hit & self._blocks.keys():
                self._blocks = {j: b for j, b in self._blocks.items() if j not in hit}

    def sums(self, codes: np.ndarray, rows: int, query: np.ndarray) -> np.ndarray:
        """float32 [rows]: int8scan.scan(codes[:rows], query), from packed blocks where there
        are some and the query allows (see PackedBlock.sums)."""
        blocks = self._blocks
        if not blocks:
            return int8scan.scan(codes[:rows], query)
        out = np.empty(rows, np.float32)
        start = 0
        while start < rows:
            j = start // BLOCK
            end = min(rows, (j + 1) * BLOCK)
            block = blocks.get(j) if start == j * BLOCK else None
            got = block.sums(query) if block is not None and block.rows <= end - start else None
            if got is not None and block is not None:
                out[start : start + block.rows] = got
                start += block.rows  # rows added after the packing: the plain scan, next
            else:
                out[start:end] = int8scan.scan(codes[start:end], query)
                start = end
        return out

    def searched(self, codes: np.ndarray, rows: int) -> None:
        """Count a search; after SEARCHES_FIRST searches with no change between, pack the
        blocks that want it in the background."""
        with self._lock:
            self._quiet += 1
            if self._broken or self._quiet < self.SEARCHES_FIRST or rows < PACK_MIN:
                return
            if self._thread is not None and self._thread.is_alive():
                return
            least = min(PACK_MIN, BLOCK // 4)  # a range of fewer rows stays with the plain scan
            wanted = []
            for j in range(-(-rows // BLOCK)):
                size = min(rows, (j + 1) * BLOCK) - j * BLOCK
                have = self._blocks.get(j)
                # A block stays while it covers 3/4 of its range and no more rows than the
                # range has now (removals of the last rows leave a block that cannot be used).
                if size < least or (have is not None and size * 3 <= have.rows * 4 <= size * 4):
                    continue
                self._extent[j] = size
                # A view, read by the build while changes may land: any change to these
                # rows is counted before a search can run, so a block read torn is dropped.
                part = codes[j * BLOCK : j * BLOCK + size]
                wanted.append((j, self._epoch, self._changes.get(j, 0), part))
            if not wanted:
                return
            # Not a daemon: ONNX Runtime must finish building before the interpreter exits.
            self._thread = threading.Thread(target=self._build, args=(wanted,), name="sketch-pack")
            self._thread.start()

    def _build(self, wanted: list[tuple[int, int, int, np.ndarray]]) -> None:
        while wanted:
            j, epoch, changes, part = wanted.pop(0)
            block = pack(part)
            del part
            with self._lock:
                unchanged = epoch == self._epoch and changes == self._changes.get(j, 0)
                if block is None:  # not here (unless a change made the check differ)
                    self._broken = self._broken or unchanged
                    return
                if unchanged:
                    self._blocks = {**self._blocks, j: block}

    def wait(self, timeout: float = 60.0) -> bool:
        """Whether a build started and has ended, waiting up to `timeout` seconds for it
        (tests and benches: searches never wait)."""
        thread = self._thread
        if thread is None:
            return False
        thread.join(timeout)
        return not thread.is_alive()

"""The vector index: one model's vectors by file id, searched by cosine with exact results; a
rebuildable cache of the catalog's vectors, saved atomically with a JSON sidecar that lets
`vectorsync.open_index` check it.

How the vectors are held and searched is `vectorbackend`'s business (numpy today).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from photofind.clip.vectormath import unit
from photofind.errors import LibraryError
from photofind.library import vectorfile
from photofind.library.rwlock import RWLock
from photofind.library.vectorbackend import MAP_FILES, BackendError, VectorStore
from photofind.library.vectorbackend import NAME as BACKEND
from photofind.library.vectorfile import id_checksum

log = logging.getLogger(__name__)

REMAP_MIN = 4096  # vectors in memory that a save swaps for the mapped file


@dataclass(frozen=True)
class OpenReport:
    """What `vectorsync.open_index` had to do: "loaded", "synced" or "rebuilt" ("new": not
    opened)."""

    action: str
    added: int = 0
    removed: int = 0
    seconds: float = 0.0


class VectorIndex:
    """Nearest-neighbour search over one model's vectors (cosine similarity, exact).

    Thread-safe, from any thread (Qt's pool threads included): queries and `save` may run in
    parallel; `add` and `remove` wait for them and run alone. `save` writes the change stamp
    these vectors reflect (`stamp`), never the catalog's newest, so a file never claims
    vectors another process stored and this one does not hold.
    """

    def __init__(
        self,
        dim: int,
        *,
        path: Path | None = None,
        model: str = "",
    ) -> None:
        """An empty index (use `open` for the one of a library)."""
        if dim <= 0:
            raise ValueError(f"dim must be positive, got {dim}")
        self.dim = int(dim)
        self.path = Path(path) if path is not None else None
        self.model = model
        self.open_report = OpenReport("new")
        self._lock = RWLock()
        self._save_lock = threading.Lock()
        self._store = VectorStore(self.dim)
        self._stamp: int | None = None  # catalog change number the vectors reflect
        self._removals: int | None = None  # catalog removal count they reflect
        self._changes = 0  # adds, removals and swaps so far: tells a save what it wrote
        self._saved: dict[str, Any] | None = None  # sidecar entry of the file on disk
        self._saved_changes = 0  # `_changes` when that file was loaded or written

    # -- opening (vectorsync.open_index brings a loaded file in line with the catalog) ------

    @classmethod
    def load_file(cls, path: Path, dim: int, model: str = "") -> VectorIndex:
        """Load a saved index without a catalog (benchmarks, tools); LibraryError if the file
        is missing, damaged or not the one its sidecar describes."""
        index = cls(dim, path=path, model=model)
        if not index.load_saved():
            raise LibraryError(f"the vector index {path} is missing or damaged")
        return index

    def load_saved(self) -> bool:
        """Load the file if its sidecar vouches for every byte of it; False means "rebuild"."""
        assert self.path is not None
        if not self.path.is_file():
            log.info("vector index %s not found", self.path)
            return False
        entry = vectorfile.matching_entry(self.path, self.model, self.dim)
        if entry is None:
            return False
        try:
            store = VectorStore.load(self.path, self.dim)
        except (BackendError, OSError) as exc:
            log.warning("vector index %s is damaged (%s)", self.path, exc)
            return False
        ids = store.ids()
        if len(ids) != entry.get("count") or id_checksum(ids) != entry.get("checksum"):
            log.warning("vector index %s disagrees with its sidecar", self.path)
            return False
        self._store = store
        self._stamp = entry.get("stamp")
        self._saved, self._saved_changes = entry, self._changes
        return True

    @property
    def removals(self) -> int | None:
        """The catalog's count of removed vectors (`Catalog.embedding_removals`) when these
        vectors were last brought in line (None: not since loading)."""
        return self._removals

    @property
    def stamp(self) -> int | None:
        """The catalog change stamp (`Catalog.embedding_stamp`) these vectors reflect: every
        vector the catalog stored up to it is here as stored (None: unknown). Only whoever
        brings the vectors in line sets it (vectorsync, the Indexer); `save` writes it."""
        return self._stamp

    def mirror(self, stamp: int, removals: int) -> None:
        """Record that these vectors now reflect the catalog as of `stamp` and `removals`
        (after a sync)."""
        with self._lock.write():
            self._stamp, self._removals = int(stamp), int(removals)

    def advance(self, before: int, after: int) -> None:
        """The catalog went from stamp `before` to `after` by storing vectors just added here:
        if these vectors reflected `before` (or later), they now reflect `after`; if not, the
        stamp stays, and the next sync adds what this index missed."""
        with self._lock.write():
            if self._stamp is not None and self._stamp >= before:
                self._stamp = max(self._stamp, int(after))

    def swap_in(self, built: VectorIndex, stamp: int, removals: int) -> None:
        """Take every vector of `built` (filled off to the side by a rebuild) in one step:
        searches running meanwhile see the old vectors or the new ones, never a part."""
        if built.dim != self.dim:
            raise ValueError(f"cannot swap in a {built.dim}-d index for a {self.dim}-d one")
        with self._lock.write():
            self._store = built._store
            self._stamp, self._removals = int(stamp), int(removals)
            self._changes += 1

    # -- changes --------------------------------------------------------------------------

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add or replace vectors (re-adding an id replaces its vector); stored L2-normalised."""
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        vectors = np.asarray(vectors, dtype=np.float32)
        if len(ids) == 0:
            return
        vectors = vectors.reshape(len(ids), -1)
        if vectors.shape[1] != self.dim:
            raise ValueError(f"vectors have {vectors.shape[1]} dims, the index has {self.dim}")
        if ids.min() < 0:
            raise ValueError("vector ids must be >= 0")
        # Keep the last of repeated ids, like adding them one after the other would.
        _, first_of_reversed = np.unique(ids[::-1], return_index=True)
        keep = len(ids) - 1 - first_of_reversed
        ids, vectors = ids[keep], unit(vectors[keep])
        with self._lock.write():
            self._store.add(ids, vectors)
            self._changes += 1

    def reserve(self, count: int) -> None:
        """Room for `count` vectors in all, so a rebuild grows its arrays once."""
        with self._lock.write():
            self._store.reserve(int(count))

    def remove(self, ids: Sequence[int] | np.ndarray) -> None:
        """Drop ids from the index (ids it does not hold are ignored)."""
        wanted = np.unique(np.asarray(ids, dtype=np.int64).reshape(-1))
        with self._lock.write():
            wanted = wanted[self._store.present(wanted)]
            if len(wanted):
                self._store.remove(wanted)
                self._changes += 1

    # -- reading --------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._store)

    def __contains__(self, id: object) -> bool:
        try:
            i = int(id)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            return False
        return self._store.has(i)

    def ids(self) -> np.ndarray:
        """Sorted int64 ids of the stored vectors."""
        with self._lock.read():
            return self._store.ids()

    def get_vectors(self, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """Stored (L2-normalised) vectors [n, dim]; KeyError for an id not in the index."""
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        with self._lock.read():
            for i in ids.tolist():
                if i not in self:
                    raise KeyError(i)
            return self._store.get(ids)

    def query(
        self, vector: np.ndarray, k: int, filter_ids: set[int] | None = None
    ) -> list[tuple[int, float]]:
        """The k nearest (id, cosine similarity), best first; fewer when fewer qualify.

        With `filter_ids` (any iterable of ids), only those ids.
        """
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        if query.shape[0] != self.dim:
            raise ValueError(f"query has {query.shape[0]} dims, the index has {self.dim}")
        if not np.all(np.isfinite(query)):
            raise ValueError("query vector is not finite")
        if k <= 0:
            return []
        query = unit(query)
        with self._lock.read():
            if len(self._store) == 0:
                return []
            subset = None if filter_ids is None else self._live_subset(filter_ids)
            ids, sims = self._store.search(query, k, subset)
        return [(int(i), float(s)) for i, s in zip(ids, np.clip(sims, -1.0, 1.0), strict=True)]

    def _live_subset(self, ids: set[int] | Sequence[int] | np.ndarray) -> np.ndarray:
        if isinstance(ids, np.ndarray):
            arr = ids.astype(np.int64).reshape(-1)
        else:
            arr = np.fromiter((int(i) for i in ids), dtype=np.int64)
        return np.unique(arr[self._store.present(arr)])

    def neighbours(self, vectors: np.ndarray, threshold: float) -> list[np.ndarray]:
        """For each row of `vectors`, the ids whose cosine with it is >= threshold (exact,
        batched: what duplicate detection needs, without one query per photo)."""
        queries = unit(np.asarray(vectors, dtype=np.float32).reshape(-1, self.dim))
        with self._lock.read():
            return self._store.above(queries, float(threshold))

    # -- saving ---------------------------------------------------------------------------

    def save(self) -> None:
        """Write the index atomically: temp files in the same folder, fsync, rename, fsync dir.

        A kill at any moment leaves a file that `open_index` accepts (see vectorfile).
        Queries go on meanwhile; adds wait. Raises LibraryError when the disk refuses.
        Nothing is written when the file this index was loaded from or last wrote still
        describes it (no change since, same stamp): every command closes its library with
        a save, and a search must not rewrite a 1M-photo file (2.5 GB) on its way out.
        """
        if self.path is None:
            raise ValueError("this vector index has no file")
        mapped: list[VectorStore] = []

        def write(temp: Path) -> None:
            self._store.save(temp)
            if MAP_FILES and self._store.unmapped_rows() >= REMAP_MIN:
                # The file just written, mapped before it is renamed into place: its very
                # bytes, whatever another process saves over the path later.
                try:
                    mapped.append(VectorStore.load(temp, self.dim))
                except BackendError as exc:  # keep the vectors in memory; never seen so far
                    log.warning("vector index %s: cannot map the saved file (%s)", temp, exc)

        with self._save_lock:
            with self._lock.read():
                changes = self._changes
                ids = self._store.ids()
                describe = {
                    "backend": BACKEND,
                    "model": self.model,
                    "dim": self.dim,
                    "count": len(ids),
                    "checksum": id_checksum(ids),
                    "stamp": self._stamp,
                }
                saved = self._saved
                if (saved is not None and changes == self._saved_changes and self.path.is_file()
                        and all(saved.get(k) == v for k, v in describe.items())):  # fmt: skip
                    return
                try:
                    entry = vectorfile.save(self.path, write, describe, self._saved)
                except OSError as exc:
                    reason = getattr(exc, "strerror", None) or str(exc)
                    message = f"cannot save the vector index {self.path}: {reason}"
                    raise LibraryError(message) from exc
                self._saved, self._saved_changes = entry, changes
            if mapped:  # vectors held in memory (a rebuild, many adds) now come from the file
                with self._lock.write():
                    if self._changes == changes:
                        self._store = mapped[0]

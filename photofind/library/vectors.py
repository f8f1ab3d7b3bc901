"""The vector index: one hnswlib graph per model (cosine, label = file id), a rebuildable cache
of the catalog's vectors, saved atomically with a JSON sidecar that lets `open` check it."""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import hnswlib
import numpy as np

from photofind.errors import LibraryError
from photofind.library import vectorfile, vectorsync
from photofind.library.rwlock import RWLock
from photofind.library.vectorfile import id_checksum

if TYPE_CHECKING:
    from photofind.library.catalog import Catalog

log = logging.getLogger(__name__)

MIN_CAPACITY = 1024
GROWTH = 1.5  # geometric growth: n adds cost O(n) copying in total
# A filter that allows m of n live ids is searched exactly (vectors read from the catalog, cost
# ~ m) while m <= max(BRUTE_FORCE_MIN, sqrt(BRUTE_FORCE_FACTOR * n)), else through hnswlib's
# filter (cost ~ n / m). bench/query.py measured the crossover near 1k ids at 10k vectors,
# 3.5k at 100k and 15k at 1M.
BRUTE_FORCE_MIN = 1000
BRUTE_FORCE_FACTOR = 150.0
_CHUNK = 10000
_ABSENT, _LIVE, _DELETED = 0, 1, 2


@dataclass(frozen=True)
class IndexParams:
    """hnswlib knobs; bench/query.py shows how they were chosen."""

    M: int = 32  # hnswlib's name
    ef_construction: int = 200
    ef: int = 160
    seed: int = 100


@dataclass(frozen=True)
class OpenReport:
    """What `VectorIndex.open` had to do: "loaded", "synced" or "rebuilt" ("new" if not opened)."""

    action: str
    added: int = 0
    removed: int = 0
    seconds: float = 0.0


class VectorIndex:
    """Approximate nearest-neighbour search over one model's vectors (hnswlib, cosine).

    Thread-safe: queries and `save` may run in parallel; `add` and `remove` wait for them and
    run alone (hnswlib does not allow searching while inserting). Call `save` from the thread
    that adds, or when adding is idle, so the saved change stamp matches the saved vectors.
    """

    def __init__(
        self,
        dim: int,
        *,
        path: Path | None = None,
        model: str = "",
        catalog: Catalog | None = None,
        params: IndexParams | None = None,
        capacity: int = MIN_CAPACITY,
        threads: int | None = None,
    ) -> None:
        """An empty index (use `open` for the one of a library)."""
        if dim <= 0:
            raise ValueError(f"dim must be positive, got {dim}")
        self.dim = int(dim)
        self.path = Path(path) if path is not None else None
        self.model = model
        self.params = params or IndexParams()
        self.threads = max(1, threads or os.cpu_count() or 1)
        self.open_report = OpenReport("new")
        self._catalog = catalog
        self._lock = RWLock()
        self._save_lock = threading.Lock()
        self._state = np.zeros(MIN_CAPACITY, dtype=np.uint8)
        self._live = 0
        self._vacant = 0  # deleted slots hnswlib can reuse
        self._stamp: int | None = None  # catalog change number the vectors reflect
        self._saved: dict[str, Any] | None = None  # sidecar entry of the file on disk
        self._raw = self._new_raw(capacity)

    def _new_raw(self, capacity: int) -> hnswlib.Index:
        raw = hnswlib.Index(space="cosine", dim=self.dim)
        raw.init_index(
            max_elements=max(MIN_CAPACITY, int(capacity)),
            M=self.params.M,
            ef_construction=self.params.ef_construction,
            random_seed=self.params.seed,
            allow_replace_deleted=True,
        )
        raw.set_ef(self.params.ef)
        raw.set_num_threads(self.threads)
        return raw

    # -- opening --------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: Path,
        dim: int,
        catalog: Catalog,
        model: str,
        progress: Callable[[int, int], None] | None = None,
        *,
        params: IndexParams | None = None,
        threads: int | None = None,
    ) -> VectorIndex:
        """Load `path` and bring it in line with the catalog's vectors of `model`.

        A small difference is synced (missing and changed ids added, extra ids deleted); a
        missing, damaged or mismatched file, or a large difference, is rebuilt from the
        catalog. `progress(done, total)` reports that work, from the calling thread.
        """
        start = time.monotonic()
        path = Path(path)
        index = cls(dim, path=path, model=model, catalog=catalog, params=params, threads=threads)
        vectorfile.remove_temp_files(path)
        loaded = index._load()
        action, added, removed = vectorsync.reconcile(index, catalog, loaded, progress)
        if action != "loaded":
            try:
                index.save()
            except LibraryError as exc:
                log.warning("%s", exc)
        index.open_report = OpenReport(action, added, removed, time.monotonic() - start)
        return index

    @classmethod
    def load_file(
        cls,
        path: Path,
        dim: int,
        model: str = "",
        *,
        params: IndexParams | None = None,
        threads: int | None = None,
    ) -> VectorIndex:
        """Load a saved index without a catalog (benchmarks, tools); LibraryError if the file
        is missing, damaged or not the one its sidecar describes."""
        index = cls(dim, path=path, model=model, params=params, threads=threads)
        if not index._load():
            raise LibraryError(f"the vector index {path} is missing or damaged")
        return index

    def _load(self) -> bool:
        """Load the file if its sidecar vouches for it; False means "rebuild"."""
        assert self.path is not None
        if not self.path.is_file():
            log.info("vector index %s not found", self.path)
            return False
        entry = vectorfile.matching_entry(self.path, self.model, self.dim)
        if entry is None:
            return False
        raw = hnswlib.Index(space="cosine", dim=self.dim)
        try:
            raw.load_index(str(self.path), max_elements=0, allow_replace_deleted=True)
            labels = np.asarray(raw.get_ids_list(), dtype=np.int64)
            deleted = np.asarray(entry.get("deleted", []), dtype=np.int64)
        except (RuntimeError, ValueError, MemoryError, TypeError) as exc:
            log.warning("vector index %s is damaged (%s)", self.path, exc)
            return False
        live = np.setdiff1d(labels, deleted)
        if (
            raw.dim != self.dim
            or len(labels) != entry.get("elements")
            or id_checksum(labels) != entry.get("labels_checksum")
            or len(live) != entry.get("count")
            or id_checksum(live) != entry.get("checksum")
        ):
            log.warning("vector index %s disagrees with its sidecar", self.path)
            return False
        raw.set_ef(self.params.ef)
        raw.set_num_threads(self.threads)
        self._raw = raw
        top = int(labels.max()) + 1 if len(labels) else 0
        self._state = np.zeros(max(MIN_CAPACITY, top), dtype=np.uint8)
        self._state[deleted] = _DELETED
        self._state[live] = _LIVE
        self._live, self._vacant = len(live), len(deleted)
        self._stamp = entry.get("stamp")
        self._saved = entry
        return True

    @property
    def stamp(self) -> int | None:
        """The catalog change stamp (`Catalog.embedding_stamp`) these vectors reflect."""
        return self._stamp

    def reset(self, capacity: int, stamp: int | None) -> None:
        """Drop every vector and start a fresh graph (before a rebuild)."""
        with self._lock.write():
            self._raw = self._new_raw(capacity)
            self._state = np.zeros(MIN_CAPACITY, dtype=np.uint8)
            self._live = self._vacant = 0
            self._stamp = stamp

    # -- changes --------------------------------------------------------------------------

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add or replace vectors (re-adding an existing or deleted id replaces its vector).

        Deleted slots are reused first; capacity grows geometrically when full.
        """
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
        ids, vectors = ids[keep], np.ascontiguousarray(vectors[keep])
        with self._lock.write():
            self._grow_state(int(ids.max()))
            state = self._state[ids]
            update = state == _LIVE
            for n in np.flatnonzero(state == _DELETED):
                try:
                    self._raw.unmark_deleted(int(ids[n]))
                    self._vacant -= 1
                    update[n] = True
                except RuntimeError as exc:
                    # "not deleted": it is live after all; else its slot went to another id.
                    if "not deleted" in str(exc):
                        update[n] = True
                        self._vacant -= 1
            threads = min(self.threads, len(ids))
            if update.any():
                self._raw.add_items(vectors[update], ids[update], num_threads=threads)
            new = ~update
            n_new = int(new.sum())
            if n_new:
                reuse = min(n_new, self._vacant)
                self._reserve(n_new - reuse)
                self._raw.add_items(
                    vectors[new], ids[new], num_threads=threads, replace_deleted=True
                )
                self._vacant -= reuse
            self._live += int(np.count_nonzero(state != _LIVE))
            self._state[ids] = _LIVE

    def remove(self, ids: Sequence[int] | np.ndarray) -> None:
        """Drop ids from results (hnswlib mark_deleted; the slot is reused by later adds)."""
        with self._lock.write():
            for raw_id in np.asarray(ids, dtype=np.int64).reshape(-1):
                i = int(raw_id)
                if 0 <= i < len(self._state) and self._state[i] == _LIVE:
                    self._raw.mark_deleted(i)
                    self._state[i] = _DELETED
                    self._live -= 1
                    self._vacant += 1

    def _grow_state(self, top: int) -> None:
        if top >= len(self._state):
            grown = np.zeros(max(top + 1, int(len(self._state) * GROWTH)), dtype=np.uint8)
            grown[: len(self._state)] = self._state
            self._state = grown

    def _reserve(self, extra: int) -> None:
        needed = self._raw.element_count + extra
        capacity = self._raw.max_elements
        if needed > capacity:
            self._raw.resize_index(max(needed, int(capacity * GROWTH), MIN_CAPACITY))

    # -- reading --------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._live

    def __contains__(self, id: object) -> bool:
        try:
            i = int(id)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            return False
        return 0 <= i < len(self._state) and self._state[i] == _LIVE

    @property
    def capacity(self) -> int:
        return int(self._raw.max_elements)

    @property
    def ef(self) -> int:
        """Search beam width (hnswlib ef): higher = better recall, slower queries."""
        return int(self._raw.ef)

    @ef.setter
    def ef(self, value: int) -> None:
        with self._lock.write():
            self._raw.set_ef(int(value))

    def ids(self) -> np.ndarray:
        """Sorted int64 ids of the live vectors."""
        return np.flatnonzero(self._state == _LIVE).astype(np.int64)

    def get_vectors(self, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """Stored (L2-normalised) vectors [n, dim]; KeyError for an id not in the index."""
        ids = [int(i) for i in np.asarray(ids, dtype=np.int64).reshape(-1)]
        with self._lock.read():
            for i in ids:
                if i not in self:
                    raise KeyError(i)
            if not ids:
                return np.zeros((0, self.dim), dtype=np.float32)
            return np.asarray(self._raw.get_items(ids), dtype=np.float32)

    def query(
        self, vector: np.ndarray, k: int, filter_ids: set[int] | None = None
    ) -> list[tuple[int, float]]:
        """The k nearest (id, cosine similarity), best first; fewer when fewer qualify.

        With `filter_ids`, only those ids: a small set is searched exactly from the stored
        vectors, a large one through hnswlib's filter.
        """
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        if query.shape[0] != self.dim:
            raise ValueError(f"query has {query.shape[0]} dims, the index has {self.dim}")
        if not np.all(np.isfinite(query)):
            raise ValueError("query vector is not finite")
        if k <= 0:
            return []
        if filter_ids is not None and not isinstance(filter_ids, (set, frozenset)):
            filter_ids = set(filter_ids)
        with self._lock.read():
            if self._live == 0:
                return []
            if filter_ids is None:
                return self._search(query, min(k, self._live), None)
            if len(filter_ids) <= self.exact_limit():
                return self._exact(query, k, self._live_subset(filter_ids))
            return self._search(query, min(k, self._live, len(filter_ids)), filter_ids)

    def exact_limit(self) -> int:
        """Filters allowing at most this many ids are searched exactly."""
        return max(BRUTE_FORCE_MIN, int(math.sqrt(BRUTE_FORCE_FACTOR * self._live)))

    def _live_subset(self, ids: set[int] | Sequence[int] | np.ndarray) -> np.ndarray:
        arr = np.fromiter((int(i) for i in ids), dtype=np.int64, count=len(ids))
        arr = arr[(arr >= 0) & (arr < len(self._state))]
        return np.unique(arr[self._state[arr] == _LIVE])

    def _search(
        self, query: np.ndarray, k: int, allowed: set[int] | None
    ) -> list[tuple[int, float]]:
        """hnswlib search. When it cannot find k (many deleted or filtered out) ask for more
        candidates (a larger k widens the beam), then fall back to an exact search."""
        filt = allowed.__contains__ if allowed is not None else None

        def knn(n: int) -> list[tuple[int, float]]:
            labels, dists = self._raw.knn_query(query, k=n, num_threads=1, filter=filt)
            return [
                (int(i), float(1.0 - d)) for i, d in zip(labels[0][:k], dists[0][:k], strict=True)
            ]

        with suppress(RuntimeError):
            return knn(k)
        live = self.ids() if allowed is None else self._live_subset(allowed)
        k = min(k, len(live))
        wanted = k
        for _ in range(3):
            if k == 0:
                return []
            try:
                return knn(wanted)
            except RuntimeError:
                if wanted >= len(live):
                    break
                wanted = min(len(live), max(wanted * 4, self.params.ef * 2))
        log.info("vector index: approximate search came up short; searching exactly")
        return self._exact(query, k, live)

    def _exact(self, query: np.ndarray, k: int, ids: np.ndarray) -> list[tuple[int, float]]:
        """Brute force over the given live ids (exact; fast for a few thousand)."""
        if len(ids) == 0:
            return []
        q = query / (float(np.linalg.norm(query)) or 1.0)
        best_ids: list[np.ndarray] = []
        best_sims: list[np.ndarray] = []
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            if self._catalog is not None:
                found, vectors = self._catalog.get_embedding_matrix(self.model, chunk)
            else:
                found, vectors = chunk, np.asarray(self._raw.get_items(chunk.tolist()))
            if len(found) == 0:
                continue
            norms = np.linalg.norm(vectors, axis=1)
            sims = (vectors @ q) / np.where(norms > 0, norms, 1.0)
            top = np.argsort(-sims, kind="stable")[:k]
            best_ids.append(np.asarray(found)[top])
            best_sims.append(sims[top])
        if not best_ids:
            return []
        all_ids, all_sims = np.concatenate(best_ids), np.concatenate(best_sims)
        order = np.argsort(-all_sims, kind="stable")[:k]
        return [(int(all_ids[n]), float(np.clip(all_sims[n], -1.0, 1.0))) for n in order]

    # -- saving ---------------------------------------------------------------------------

    def save(self) -> None:
        """Write the index atomically: temp files in the same folder, fsync, rename, fsync dir.

        A kill at any moment leaves a file that `open` accepts (see vectorfile). Queries go on
        meanwhile; adds wait. Raises LibraryError when the disk refuses.
        """
        if self.path is None:
            raise ValueError("this vector index has no file")
        path = self.path
        tmp, side_tmp = vectorfile.temp_paths(path, f"{os.getpid()}-{threading.get_ident()}")
        with self._save_lock, self._lock.read():
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                stamp = self._catalog.embedding_stamp(self.model) if self._catalog else None
                self._raw.save_index(str(tmp))
                vectorfile.fsync_file(tmp)
                size, crc = vectorfile.file_print(tmp)
                labels = np.asarray(self._raw.get_ids_list(), dtype=np.int64)
                live = self.ids()
                deleted = np.setdiff1d(labels, live)
                entry = {
                    "format": vectorfile.SIDECAR_FORMAT,
                    "model": self.model,
                    "dim": self.dim,
                    "space": "cosine",
                    "M": self.params.M,
                    "ef_construction": self.params.ef_construction,
                    "count": len(live),
                    "checksum": id_checksum(live),
                    "elements": len(labels),
                    "labels_checksum": id_checksum(labels),
                    "deleted": deleted.tolist(),
                    "stamp": stamp if stamp is not None else self._stamp,
                    "file_size": size,
                    "file_crc": crc,
                    "saved_at": time.time(),
                }
                vectorfile.write_sidecar(side_tmp, entry, self._saved)
                vectorfile.commit(tmp, side_tmp, path)
            except (OSError, RuntimeError) as exc:
                for leftover in (tmp, side_tmp):
                    with suppress(OSError):
                        leftover.unlink()
                reason = getattr(exc, "strerror", None) or str(exc)
                raise LibraryError(f"cannot save the vector index {path}: {reason}") from exc
            # Deleted slots that new ids took over lost their old label: forget those.
            self._state[self._state == _DELETED] = _ABSENT
            self._state[deleted] = _DELETED
            self._vacant = len(deleted)
            self._saved = entry
            self._stamp = entry["stamp"]

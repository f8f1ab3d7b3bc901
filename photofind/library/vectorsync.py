"""Opening a vector index and keeping it in line with the catalog, the source of truth.

`open_index` loads the saved file and syncs or rebuilds it; `catch_up` notices, from two
cheap catalog counters (the newest vector's `seq` and the count of removed vectors), that
another process changed the model's vectors, and syncs.

A small difference is synced: ids the catalog has and the index lacks are added, ids it no
longer has are removed, and vectors stored after the index was saved (a newer change stamp)
are re-added. A missing or damaged file, or a large difference, is rebuilt from the stored
vectors.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from photofind.errors import LibraryError
from photofind.library import vectorfile
from photofind.library.vectors import OpenReport, VectorIndex

if TYPE_CHECKING:
    from photofind.library.catalog import Catalog

log = logging.getLogger(__name__)

REBUILD_FRACTION = 0.3  # a difference above this share of the catalog rebuilds instead
REBUILD_MIN = 5000  # ... but a difference this small is always synced
CHUNK = 10000  # vectors read from the catalog at a time: memory stays bounded
Progress = Callable[[int, int], None]


def open_index(
    path: Path,
    dim: int,
    catalog: Catalog,
    model: str,
    progress: Progress | None = None,
) -> VectorIndex:
    """Load `path` and bring it in line with the catalog's vectors of `model`.

    A small difference is synced (missing and changed ids added, extra ids removed); a
    missing, damaged or mismatched file, or a large difference, is rebuilt from the catalog
    (and logged as a warning). `progress(done, total)` reports that work, from the calling
    thread; `index.open_report` says what was done.
    """
    start = time.monotonic()
    path = Path(path)
    index = VectorIndex(dim, path=path, model=model)
    vectorfile.remove_temp_files(path)
    loaded = index.load_saved()
    action, added, removed = reconcile(index, catalog, loaded, progress)
    if action != "loaded":
        try:
            index.save()
        except LibraryError as exc:
            log.warning("%s", exc)
    index.open_report = OpenReport(action, added, removed, time.monotonic() - start)
    return index


def catch_up(index: VectorIndex, catalog: Catalog) -> tuple[str, int, int] | None:
    """Sync `index` if the catalog's vectors of its model changed since it was last brought
    in line (vectors stored or removed, by any process); None when nothing changed. Two
    indexed lookups when nothing did, so a search can afford it every time."""
    now = (catalog.embedding_stamp(index.model), catalog.embedding_removals(index.model))
    if now == (index.stamp, index.removals):
        return None
    return reconcile(index, catalog, True, None)


def reconcile(
    index: VectorIndex, catalog: Catalog, loaded: bool, progress: Progress | None
) -> tuple[str, int, int]:
    """Sync or rebuild `index`, and set its stamp; returns (action, ids added, ids removed).

    The stamp is read before anything else: every vector stored up to it is among the ids
    and vectors read after it, so the index reflects at least that stamp once this returns
    (a vector stored meanwhile has a later stamp, and the next sync adds it again).
    """
    stamp = catalog.embedding_stamp(index.model)
    removals = catalog.embedding_removals(index.model)
    cat_ids = catalog.embedding_ids(index.model)
    if not loaded:
        if (index.path is not None and index.path.exists()) or len(cat_ids):
            log.warning("building vector index %s from %d stored vectors", index.path, len(cat_ids))
        rebuild(index, catalog, (stamp, removals), len(cat_ids), progress)
        return "rebuilt", len(cat_ids), 0
    live = index.ids()
    missing = np.setdiff1d(cat_ids, live, assume_unique=True)
    extra = np.setdiff1d(live, cat_ids, assume_unique=True)
    if index.stamp is None:  # a file that does not say what it reflects: any vector may be old
        changed = live[np.isin(live, cat_ids, assume_unique=True)]
    else:
        since = catalog.embedding_ids_since(index.model, index.stamp)
        changed = np.intersect1d(since, live, assume_unique=True)
    work = len(missing) + len(extra) + len(changed)
    if work == 0:
        index.mirror(stamp, removals)
        return "loaded", 0, 0
    if work > max(REBUILD_MIN, REBUILD_FRACTION * max(len(cat_ids), len(live))):
        log.warning("vector index %s is far behind (%d changes); rebuilding", index.path, work)
        rebuild(index, catalog, (stamp, removals), len(cat_ids), progress)
        return "rebuilt", len(cat_ids), 0
    log.info(
        "vector index %s: syncing %d new, %d changed, %d removed",
        index.path, len(missing), len(changed), len(extra),
    )  # fmt: skip
    index.remove(extra)
    add_from_catalog(index, catalog, np.union1d(missing, changed), progress)
    index.mirror(stamp, removals)
    return "synced", len(missing) + len(changed), len(extra)


def rebuild(
    index: VectorIndex,
    catalog: Catalog,
    stamps: tuple[int, int],
    total: int,
    progress: Progress | None,
) -> None:
    """Every stored vector of the model (as of `stamps`, the change stamp and removal count,
    at least), streamed in chunks into a
    fresh store off to the side, then swapped in whole: searches meanwhile keep the old one."""
    built = VectorIndex(index.dim, model=index.model)
    built.reserve(total)
    if progress:
        progress(0, total)
    done = 0
    for ids, vectors in catalog.iter_embeddings(index.model, CHUNK):
        _add_stored(built, ids, vectors)
        done += len(ids)
        if progress:
            progress(done, max(total, done))
    index.swap_in(built, *stamps)


def add_from_catalog(
    index: VectorIndex, catalog: Catalog, ids: np.ndarray, progress: Progress | None
) -> None:
    """(Re-)add the stored vectors of `ids`."""
    if progress:
        progress(0, len(ids))
    for start in range(0, len(ids), CHUNK):
        found, vectors = catalog.get_embedding_matrix(index.model, ids[start : start + CHUNK])
        _add_stored(index, found, vectors)
        if progress:
            progress(min(start + CHUNK, len(ids)), len(ids))


def _add_stored(index: VectorIndex, ids: np.ndarray, vectors: np.ndarray) -> None:
    if len(ids) and vectors.shape[1] != index.dim:
        raise LibraryError(
            f"the catalog holds {vectors.shape[1]}-d vectors for model {index.model}, but the "
            f"model makes {index.dim}-d ones; remove the model's vectors and index again"
        )
    index.add(ids, vectors)

"""Bringing a freshly loaded vector index in line with the catalog, the source of truth.

A small difference is synced: ids the catalog has and the index lacks are added, ids it no longer
has are removed, and vectors stored after the index was saved (a newer change stamp) are
re-added. A missing or damaged file, or a large difference, is rebuilt from the stored vectors.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from photofind.errors import LibraryError

if TYPE_CHECKING:
    from photofind.library.catalog import Catalog
    from photofind.library.vectors import VectorIndex

log = logging.getLogger(__name__)

REBUILD_FRACTION = 0.3  # a difference above this share of the catalog rebuilds instead
REBUILD_MIN = 5000  # ... but a difference this small is always synced
CHUNK = 10000  # vectors read from the catalog at a time: memory stays bounded
Progress = Callable[[int, int], None]


def reconcile(
    index: VectorIndex, catalog: Catalog, loaded: bool, progress: Progress | None
) -> tuple[str, int, int]:
    """Sync or rebuild `index`, and set its stamp; returns (action, ids added, ids removed).

    The stamp is read before anything else: every vector stored up to it is among the ids
    and vectors read after it, so the index reflects at least that stamp once this returns
    (a vector stored meanwhile has a later stamp, and the next sync adds it again).
    """
    stamp = catalog.embedding_stamp(index.model)
    cat_ids = catalog.embedding_ids(index.model)
    if not loaded:
        if (index.path is not None and index.path.exists()) or len(cat_ids):
            log.warning("building vector index %s from %d stored vectors", index.path, len(cat_ids))
        rebuild(index, catalog, stamp, len(cat_ids), progress)
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
        index.mirror(stamp)
        return "loaded", 0, 0
    if work > max(REBUILD_MIN, REBUILD_FRACTION * max(len(cat_ids), len(live))):
        log.warning("vector index %s is far behind (%d changes); rebuilding", index.path, work)
        rebuild(index, catalog, stamp, len(cat_ids), progress)
        return "rebuilt", len(cat_ids), 0
    log.info(
        "vector index %s: syncing %d new, %d changed, %d removed",
        index.path, len(missing), len(changed), len(extra),
    )  # fmt: skip
    index.remove(extra)
    add_from_catalog(index, catalog, np.union1d(missing, changed), progress)
    index.mirror(stamp)
    return "synced", len(missing) + len(changed), len(extra)


def rebuild(
    index: VectorIndex, catalog: Catalog, stamp: int, total: int, progress: Progress | None
) -> None:
    """Every stored vector of the model (as of `stamp` at least), streamed in chunks into a
    fresh store off to the side, then swapped in whole: searches meanwhile keep the old one."""
    built = type(index)(index.dim, model=index.model)
    if progress:
        progress(0, total)
    done = 0
    for ids, vectors in catalog.iter_embeddings(index.model, CHUNK):
        _add_stored(built, ids, vectors)
        done += len(ids)
        if progress:
            progress(done, max(total, done))
    index.swap_in(built, stamp)


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

"""Near-duplicate groups: photos whose vectors are nearly identical (copies, resizes, re-saves).

The pairs at or above the threshold come from `closepairs` (matrix products over blocks; cells
around k-means centres above 30,000 photos), read straight from the vector index, whose vectors
stay memory-mapped: nothing holds all the vectors in memory. Pairs are joined into groups by
union-find (A~B and B~C make one group).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from photofind.library.events import ProgressMeter
from photofind.search.closepairs import close_pairs

if TYPE_CHECKING:
    from photofind.library import Catalog, FileRecord, Progress, TaskControl, VectorIndex


class _UnionFind:
    """Disjoint sets over the ids that have at least one duplicate (others take no memory)."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while x != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent.setdefault(ra, ra)
            self.parent.setdefault(rb, rb)
            self.parent[max(ra, rb)] = min(ra, rb)

    def groups(self) -> list[list[int]]:
        members: dict[int, list[int]] = defaultdict(list)
        for x in list(self.parent):
            members[self.find(x)].append(x)
        return [sorted(m) for m in members.values() if len(m) > 1]


def find_duplicates(
    catalog: Catalog,
    vectors: VectorIndex,
    model: str,
    threshold: float = 0.95,
    *,
    progress: Callable[[Progress], None] | None = None,
    control: TaskControl | None = None,
) -> list[list[FileRecord]]:
    """Group photos whose cosine similarity is >= `threshold`, largest group first.

    Each pair at or above the threshold is joined (union-find, so A~B and B~C make one group);
    see the module docstring for how the pairs are found. Within a group the biggest picture
    comes first (the one to keep). Only 'ok' files appear. `progress` is called from this
    thread; `control.checkpoint()` runs between blocks (raises Cancelled). The vectors are the
    index's (`vectors`, the one of `model`), read a block at a time.
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    ids = vectors.ids()
    meter = ProgressMeter("duplicates", total=len(ids), control=control)
    sets = _UnionFind()

    def joined(rows: np.ndarray, cols: np.ndarray, done: int) -> None:
        for a, b in zip(ids[rows].tolist(), ids[cols].tolist(), strict=True):
            sets.union(a, b)
        if control is not None:
            control.checkpoint()
        meter.done += done
        if progress is not None:
            progress(meter.update(meter.done))

    close_pairs(_reader(vectors, ids), len(ids), float(threshold), joined)
    groups = sets.groups()
    records = catalog.get_files([i for group in groups for i in group])
    result: list[list[FileRecord]] = []
    for group in groups:
        files = [records[i] for i in group if i in records and records[i].status == "ok"]
        if len(files) > 1:
            files.sort(key=lambda f: (-(f.width or 0) * (f.height or 0), -f.size, str(f.path)))
            result.append(files)
    result.sort(key=lambda files: (-len(files), str(files[0].path)))
    return result


def _reader(vectors: VectorIndex, ids: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """Rows by position in `ids`, from the index; a photo removed from the index meanwhile
    (the window may be indexing) reads as a zero vector, which matches nothing."""

    def read(positions: np.ndarray) -> np.ndarray:
        wanted = ids[positions]
        try:
            return vectors.get_vectors(wanted)
        except KeyError:
            here = np.fromiter((i in vectors for i in wanted.tolist()), bool, len(wanted))
            rows = np.zeros((len(wanted), vectors.dim), np.float32)
            try:
                rows[here] = vectors.get_vectors(wanted[here])
            except KeyError:  # removed between the two looks: leave this block out
                rows[:] = 0.0
            return rows

    return read

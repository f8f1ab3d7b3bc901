"""Near-duplicate groups: photos whose vectors are nearly identical (copies, resizes, re-saves)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING

from photofind.library.events import ProgressMeter

if TYPE_CHECKING:
    from photofind.library import Catalog, FileRecord, Progress, TaskControl, VectorIndex

_CHUNK = 2000  # vectors read from the catalog at a time: memory stays bounded


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

    For each stored vector, every vector at or above the threshold is joined to it
    (union-find, so A~B and B~C make one group), found exactly, a block of photos per matrix
    product. Within a group the biggest picture comes first (the one to keep). Only 'ok'
    files appear. `progress` is called from this thread; `control.checkpoint()` runs between
    chunks (raises Cancelled).
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    sets = _UnionFind()
    meter = ProgressMeter("duplicates", total=len(vectors), control=control)
    for ids, matrix in catalog.iter_embeddings(model, _CHUNK):
        if control is not None:
            control.checkpoint()
        known = [n for n, file_id in enumerate(ids.tolist()) if file_id in vectors]
        close = vectors.neighbours(matrix[known], threshold) if known else []
        for n, others in zip(known, close, strict=True):
            file_id = int(ids[n])
            for other in others.tolist():
                if other != file_id:
                    sets.union(file_id, other)
            meter.done += 1
        if progress is not None:
            progress(meter.update(meter.done))
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

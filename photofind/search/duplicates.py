"""Near-duplicate groups: photos whose vectors are nearly identical (copies, resizes, re-saves).

The pairs at or above the threshold come from `closepairs` (matrix products over blocks; cells
around k-means centres above 30,000 photos), read straight from the vector index, whose vectors
stay memory-mapped: nothing holds all the vectors in memory.

A group is a star around the photo to keep, never a chain. Joining pairs transitively (A~B and
B~C make one group, union-find) chains: a burst of shots that drifts (someone walking through
the frame, the light changing) pulls dozens of different photos into one "duplicate" group,
and a person who keeps the first photo of each group loses pictures. So:

1. The photos that have a pair are ranked as a person picks the one to keep: the most pixels,
   then the biggest file, then the path.
2. In that order, a photo leads a group unless it is a near-copy of a leader chosen before it
   (a greedy dominating set). Leaders are never near-copies of each other, and the best copy
   is never listed as a duplicate of a worse one.
3. Every other photo joins the leader it is most similar to among the leaders ranked above it
   (there is one: the leader that kept it from leading).

Every photo of a group is then at or above the threshold with the group's first photo, the
one to keep. A photo whose only near-copies went to other groups (the tail of a drifting
burst) is in none: it is not a copy of any photo kept.

digiKam groups the same way (each image not yet grouped gathers its own matches around itself,
its reference; `haariface.cpp`); Immich merges the groups of an asset's matches, which chains
like union-find and relies on a tight default (cosine 0.99) to keep chains short.
The grouping is numpy over the pairs plus one cheap Python step per photo that has a pair.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from photofind.library.events import ProgressMeter
from photofind.search.closepairs import close_pairs

if TYPE_CHECKING:
    from photofind.library import Catalog, FileRecord, Progress, TaskControl, VectorIndex

Reader = Callable[[np.ndarray], np.ndarray]
_SCORE_CHUNK = 65_536  # pairs scored per read of their vectors
_CHECK_EVERY = 10_000  # photos between cancel checks while leaders are chosen


def find_duplicates(
    catalog: Catalog,
    vectors: VectorIndex,
    model: str,
    threshold: float = 0.95,
    *,
    progress: Callable[[Progress], None] | None = None,
    control: TaskControl | None = None,
) -> list[list[FileRecord]]:
    """Groups of photos at or above `threshold` (cosine) with the group's first photo, the
    one to keep (the biggest picture); largest group first.

    See the module docstring for how pairs are found and grouped. Only 'ok' files appear, each
    in one group at most. `progress` is called from this thread; `control.checkpoint()` runs
    between blocks (raises Cancelled). The vectors are the index's (`vectors`, the one of
    `model`), read a block at a time.
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    ids = vectors.ids()
    meter = ProgressMeter("duplicates", total=len(ids), control=control)
    found: list[tuple[np.ndarray, np.ndarray]] = []

    def joined(rows: np.ndarray, cols: np.ndarray, done: int) -> None:
        if len(rows):
            found.append((rows, cols))
        if control is not None:
            control.checkpoint()
        meter.done += done
        if progress is not None:
            progress(meter.update(meter.done))

    read = _reader(vectors, ids)
    close_pairs(read, len(ids), float(threshold), joined)
    a, b = _distinct_pairs(found, len(ids))
    positions = np.unique(np.concatenate([a, b]))
    records = catalog.get_files(ids[positions].tolist())
    kept = [int(p) for p in positions.tolist() if _ok(records.get(int(ids[p])))]
    ranked = sorted(kept, key=lambda p: _keep_order(records[int(ids[p])]))
    rank = np.full(len(ids), -1, dtype=np.int64)  # position -> rank among `ranked`
    rank[np.asarray(ranked, dtype=np.int64)] = np.arange(len(ranked))
    ra, rb = rank[a], rank[b]
    both = (ra >= 0) & (rb >= 0)
    upper, lower = np.minimum(ra, rb)[both], np.maximum(ra, rb)[both]  # upper ranks above
    order = np.asarray(ranked, dtype=np.int64)  # rank -> position
    leader_of = star_groups(
        len(ranked), upper, lower,
        lambda x, y: _scores(read, order[x], order[y]),
        control,
    )  # fmt: skip
    members: dict[int, list[int]] = {}
    for who, lead in enumerate(leader_of.tolist()):
        if lead >= 0:  # a leader is its own leader: it comes first, ranked above its members
            members.setdefault(lead, []).append(who)
    result = [[records[int(ids[order[r]])] for r in sorted(group)] for group in members.values()]
    result.sort(key=lambda files: (-len(files), str(files[0].path)))
    return result


def star_groups(
    n: int,
    upper: np.ndarray,
    lower: np.ndarray,
    score: Callable[[np.ndarray, np.ndarray], np.ndarray],
    control: TaskControl | None = None,
) -> np.ndarray:
    """The leader of each of n ranked photos (-1: in no group; a leader with members is its
    own leader), given their near-copy pairs (upper[i] ranked above lower[i]) and `score`,
    the similarity of pairs of ranks (asked only of photos with a choice of leaders)."""
    by_upper = np.argsort(upper, kind="stable")
    below, bounds = lower[by_upper], np.searchsorted(upper[by_upper], np.arange(n + 1))
    covered = np.zeros(n, dtype=bool)
    leader = np.zeros(n, dtype=bool)
    for r in range(n):
        if control is not None and r % _CHECK_EVERY == 0:
            control.checkpoint()
        if not covered[r]:
            leader[r] = True
            covered[below[bounds[r] : bounds[r + 1]]] = True
    # Each photo that does not lead picks among the leaders ranked above it.
    pick = leader[upper] & ~leader[lower]
    lead, who = upper[pick], lower[pick]
    choices = np.bincount(who, minlength=n)
    similarity = np.ones(len(who), dtype=np.float32)
    torn = choices[who] > 1
    if torn.any():
        similarity[torn] = score(who[torn], lead[torn])
    best = np.lexsort((lead, -similarity, who))  # by photo, most similar first, then rank
    first = np.ones(len(best), dtype=bool)
    first[1:] = who[best][1:] != who[best][:-1]
    leader_of = np.full(n, -1, dtype=np.int64)
    leader_of[who[best][first]] = lead[best][first]
    has_members = np.zeros(n, dtype=bool)
    has_members[leader_of[leader_of >= 0]] = True
    leader_of[has_members] = np.flatnonzero(has_members)
    return leader_of


def _distinct_pairs(
    found: list[tuple[np.ndarray, np.ndarray]], n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Each pair once, as (smaller position, larger position), without a photo and itself."""
    if not found:
        none = np.zeros(0, dtype=np.int64)
        return none, none
    rows = np.concatenate([r for r, _ in found]).astype(np.int64)
    cols = np.concatenate([c for _, c in found]).astype(np.int64)
    keys = np.unique(np.minimum(rows, cols) * n + np.maximum(rows, cols))
    a, b = keys // n, keys % n
    other = a != b
    return a[other], b[other]


def _ok(record: FileRecord | None) -> bool:
    return record is not None and record.status == "ok"


def _keep_order(f: FileRecord) -> tuple[int, int, str]:
    """The photo a person keeps first: the most pixels, then the biggest file."""
    return (-(f.width or 0) * (f.height or 0), -f.size, str(f.path))


def _scores(read: Reader, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Inner products of the vectors at positions a[i] and b[i], a chunk of pairs at a time."""
    out = np.empty(len(a), dtype=np.float32)
    for start in range(0, len(a), _SCORE_CHUNK):
        x, y = a[start : start + _SCORE_CHUNK], b[start : start + _SCORE_CHUNK]
        rows, where = np.unique(np.concatenate([x, y]), return_inverse=True)
        vectors = read(rows)
        out[start : start + len(x)] = np.einsum(
            "ij,ij->i", vectors[where[: len(x)]], vectors[where[len(x) :]]
        )
    return out


def _reader(vectors: VectorIndex, ids: np.ndarray) -> Reader:
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

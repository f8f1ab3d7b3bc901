"""Searching a library: query vectors from text and images, ranked hits, filters, duplicates."""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from photofind.clip.vectormath import TINY, unit
from photofind.errors import ImageLoadError, ModelError
from photofind.library import presence
from photofind.search.cut import cut
from photofind.search.duplicates import find_duplicates
from photofind.search.feedback import feedback_vector
from photofind.search.query import Hit, Query, QueryError, SearchResult

if TYPE_CHECKING:
    from photofind.clip import ClipModel
    from photofind.library import Catalog, FileRecord, Progress, TaskControl, VectorIndex
    from photofind.library.library import Library
    from photofind.search.tags import Tags

log = logging.getLogger(__name__)

NO_MODEL = "no model installed: run `photofind model install NAME` or `photofind model import DIR`"
# Negative terms: the query vector becomes q - NEGATIVE_WEIGHT * n (n = the negative text
# vectors, summed and scaled by 1/sqrt(count)), renormalised. Equivalent to ranking by
# sim(q, x) - w * sim(n, x), but the vector index can search it directly. Tuned on the tiny
# test model (tests/core/test_search_model.py: "a photo of a circle -red" demotes red circles).
NEGATIVE_WEIGHT = 0.5
TEXT_CACHE_SIZE = 256


def _unit(vector: np.ndarray | float) -> np.ndarray:
    vector = np.asarray(vector, dtype=np.float32).reshape(-1)
    norm = float(np.linalg.norm(vector))
    if not np.isfinite(norm) or norm < TINY:
        raise QueryError("the query cancels itself out; try fewer or other negative terms")
    return unit(vector)


class Searcher:
    """Runs queries against one `Library`.

    Any thread may call any method, also while the indexer adds vectors: the vector index has
    a read/write lock and the catalog gives each thread its own connection. Only the small
    text-vector cache is shared here, under a lock.
    """

    def __init__(self, library: Library, tags: Tags | None = None) -> None:
        """`tags` answers `Query.tag` (without it, a query with a tag is refused)."""
        self.library = library
        self.tags = tags
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_model: ClipModel | None = None  # whose vectors the cache holds
        self._cache_lock = threading.Lock()
        self._pinned = threading.local()

    # -- the parts of the library a search needs -------------------------------------------

    @property
    def catalog(self) -> Catalog:
        return self.library.catalog

    def _pair(self) -> tuple[ClipModel | None, VectorIndex | None]:
        """The model and index this thread's search uses: pinned for the whole search, so a
        model switch in between cannot pair one model's query with the other's index."""
        pinned = getattr(self._pinned, "pair", None)
        return pinned if pinned is not None else self.library.active()

    @contextmanager
    def _pin(self) -> Iterator[None]:
        if getattr(self._pinned, "pair", None) is not None:
            yield  # already pinned by an outer call (similar -> search)
            return
        self.library.refresh()  # what other processes stored or removed meanwhile
        self._pinned.pair = self.library.active()
        try:
            yield
        finally:
            self._pinned.pair = None

    def _model(self) -> ClipModel:
        model = self._pair()[0]
        if model is None:
            raise ModelError(NO_MODEL)
        return model

    def _vectors(self) -> VectorIndex:
        vectors = self._pair()[1]
        if vectors is None:
            raise ModelError(NO_MODEL)
        return vectors

    # -- public API ------------------------------------------------------------------------

    def search(self, query: Query) -> list[Hit]:
        """The best `query.k` hits, best first (or newest first with sort="date"); with
        `query.cut`, only the matches (`find` also says how many and what lies below).

        Only files whose status is 'ok' and that still exist appear; files of offline folders
        stay in the results with `Hit.offline` set. Raises QueryError for a query with nothing
        to look for, ImageLoadError for an unreadable query image, ModelError without a model.
        """
        return self.find(query).hits

    def find(self, query: Query) -> SearchResult:
        """The photos that match `query`: the hits above its cut, their count, and the ranking
        below it ("show weaker matches"). See `photofind.search.cut` for where the cut falls.

        The cut reads the scores of every photo the query searches (the library, or what its
        filters let through; the query's own photos and rejected marks left out). Without a
        cut (`query.cut` None) it is `search` with counts. Raises as `search` does.
        """
        with self._pin():
            if query.cut is None:
                hits = self._search(query)
                return SearchResult(hits, len(hits), [], len(hits))
            return self._find(query)

    def _tagged(self, query: Query) -> dict[int, float] | None:
        """{id: score} of the photos carrying the query's label, or None without one."""
        if not query.tag:
            return None
        if self.tags is None:
            raise QueryError("labels are not available here")
        return self.tags.tagged(query.tag)

    def _find(self, query: Query) -> SearchResult:
        tagged = self._tagged(query)
        if not query.has_target and tagged is not None:
            ranked = self._label_photos(query, tagged)  # a label alone: its own cut-off decided
            hits = self._usable([(i, tagged[i]) for i in ranked], query)
            matches = len(hits) if len(hits) < query.k else len(ranked)  # k shows only some
            return SearchResult(hits, matches, [], len(tagged))
        vector, exclude = self.query_vector(query)
        allowed = self._allowed(query, tagged, exclude)
        if allowed is not None and not allowed:
            return SearchResult([], 0, [], 0)
        vectors = self._vectors()
        limit = len(vectors) if allowed is None else min(len(vectors), len(allowed))
        scored = [
            (i, s)
            for i, s in vectors.query(vector, limit, filter_ids=allowed)
            if i not in exclude and (query.min_score is None or s >= query.min_score)
        ]
        found = cut(np.fromiter((s for _, s in scored), np.float64, len(scored)), query.cut or "")
        hits = self._usable(scored[: found.matches], query)
        matches = found.matches if len(hits) >= query.k else len(hits)
        weaker = self._usable(scored[found.matches :], replace(query, sort="relevance"))
        return SearchResult(hits, matches, weaker, len(scored), found.threshold)

    def _search(self, query: Query) -> list[Hit]:
        tagged = self._tagged(query)
        if not query.has_target and tagged is not None:
            return self._browse(query, tagged)
        vector, exclude = self.query_vector(query)
        allowed = self._allowed(query, tagged, exclude)
        if allowed is not None and not allowed:
            return []
        hits = self._rank(vector, query.k, allowed, exclude, query.min_score)
        if query.sort == "date":
            hits.sort(key=lambda h: (-h.date, -h.score, h.file.id))
        return hits

    def _allowed(
        self, query: Query, tagged: dict[int, float] | None, exclude: set[int]
    ) -> set[int] | None:
        """The ids the query's filters (and label) let through; None when it has none."""
        if not query.has_filters:
            return None
        allowed = self.catalog.filter_ids(
            folders=query.folders,
            within=query.within,
            date_from=query.date_from,
            date_to=query.date_to,
            kinds=query.kinds,
            model=self._model().name,
        )
        if tagged is not None:
            allowed &= set(tagged)
        return allowed - exclude

    def count(self, query: Query) -> int:
        """How many photos `query` finds at or above its `min_score` (a label alone: how many
        carry it), without building hits: no file records and no disk checks, so a photo
        deleted since the last scan still counts until the watcher sees it. What a sidebar
        of albums needs after every pass, at one index query per album."""
        with self._pin():
            tagged = None
            if query.tag:
                if self.tags is None:
                    raise QueryError("labels are not available here")
                tagged = self.tags.tagged(query.tag)
            if not query.has_target and tagged is not None:
                allowed = self._allowed(replace(query, tag=None), None, set())
                return len(set(tagged) if allowed is None else allowed & set(tagged))
            vector, exclude = self.query_vector(query)
            allowed = self._allowed(query, tagged, exclude)
            vectors = self._vectors()
            limit = len(vectors) if allowed is None else min(len(vectors), len(allowed))
            want = min(limit, 256 + len(exclude))
            while True:
                found = vectors.query(vector, want, filter_ids=allowed)
                passing = [
                    i
                    for i, score in found
                    if i not in exclude and (query.min_score is None or score >= query.min_score)
                ]
                below = query.min_score is not None and found and found[-1][1] < query.min_score
                if below or len(found) < want or want >= limit:
                    return len(passing)
                want = min(limit, want * 4)

    def _browse(self, query: Query, tagged: dict[int, float]) -> list[Hit]:
        """A label alone: its photos (within the other filters), best label score first."""
        return self._usable([(i, tagged[i]) for i in self._label_photos(query, tagged)], query)

    def _label_photos(self, query: Query, tagged: dict[int, float]) -> list[int]:
        """The ids carrying a label that the other filters let through, best label score
        first."""
        allowed = set(tagged)
        if replace(query, tag=None).has_filters:
            allowed &= self.catalog.filter_ids(
                folders=query.folders,
                within=query.within,
                date_from=query.date_from,
                date_to=query.date_to,
                kinds=query.kinds,
            )
        return sorted(allowed, key=lambda i: (-tagged[i], i))

    def _usable(self, scored: list[tuple[int, float]], query: Query) -> list[Hit]:
        """Hits of the ids that are 'ok' and on disk, in the given order, up to query.k."""
        online = {f.id: f.online for f in presence.folders_now(self.catalog)}
        hits: list[Hit] = []
        for start in range(0, len(scored), 500):
            chunk = scored[start : start + 500]
            records = self.catalog.get_files([i for i, _ in chunk])
            for file_id, score in chunk:
                record = records.get(file_id)
                if record is None or record.status != "ok":
                    continue
                if query.min_score is not None and score < query.min_score:
                    continue
                is_online = online.get(record.folder_id, True)
                if is_online and not os.path.exists(record.path):
                    continue
                hits.append(Hit(record, score, offline=not is_online))
                if len(hits) >= query.k:
                    break
            if len(hits) >= query.k:
                break
        if query.sort == "date":
            hits.sort(key=lambda h: (-h.date, -h.score, h.file.id))
        return hits

    def similar(self, image: Path | int, k: int = 50, cut: str | None = None) -> list[Hit]:
        """Photos that look like `image` (a file id, a library photo or any picture file),
        best first; the photo itself is left out. With `cut`, only its look-alikes."""
        return self.search(Query(image=image, k=k, cut=cut))

    def duplicates(
        self,
        threshold: float = 0.95,
        *,
        progress: Callable[[Progress], None] | None = None,
        control: TaskControl | None = None,
    ) -> list[list[FileRecord]]:
        """Groups of near-identical photos (cosine >= threshold), largest group first.

        `progress` is called from the calling thread; `control` may cancel (raises Cancelled).
        """
        model, vectors = self._model(), self._vectors()
        return find_duplicates(
            self.catalog,
            vectors,
            model.name,
            threshold,
            progress=progress,
            control=control,
        )

    def query_vector(self, query: Query) -> tuple[np.ndarray, set[int]]:
        """The unit query vector, and the library ids to leave out (query photos, rejected ones).

        The text and the image combine as (1 - image_weight, image_weight); each term adds
        weight * unit(its vector); negative terms push the sum away; the user's marks move it
        last (Rocchio, or a classifier with enough marks: `photofind.search.feedback`).
        """
        parts: list[tuple[float, np.ndarray]] = []
        exclude: set[int] = set()
        text = (query.text or "").strip()
        if text:
            parts.append((1.0 - query.image_weight, self.text_vectors([text])[0]))
        if query.image is not None:
            image_vector, own_id = self.image_vector(query.image)
            if own_id is not None:
                exclude.add(own_id)
            parts.append((query.image_weight if text else 1.0, image_vector))
        base = [(1.0, _unit(sum(w * _unit(v) for w, v in parts)))] if parts else []
        for term in query.terms:
            if term.text is not None:
                base.append((term.weight, self.text_vectors([term.text])[0]))
            else:
                assert term.image is not None
                image_vector, own_id = self.image_vector(term.image)
                if own_id is not None:
                    exclude.add(own_id)
                base.append((term.weight, image_vector))
        vector: np.ndarray | None = None
        if any(w > 0 for w, _ in base):
            vector = _unit(sum(w * _unit(v) for w, v in base))
            if query.negative:
                negatives = self.text_vectors(list(query.negative))
                push = negatives.sum(axis=0) / np.sqrt(len(negatives))
                vector = _unit(vector - NEGATIVE_WEIGHT * push)
        if query.like or query.unlike:
            liked, _ = self.mark_vectors(query.like)
            unliked, unliked_ids = self.mark_vectors(query.unlike)
            if vector is None and not len(liked):
                raise QueryError("nothing to search for: mark at least one photo you like")
            vector = feedback_vector(vector, liked, unliked)
            exclude |= unliked_ids
        if vector is None:
            raise QueryError("nothing to search for: give a text or an image")
        return vector, exclude

    def mark_vectors(self, marks: Sequence[Path | int]) -> tuple[np.ndarray, set[int]]:
        """Vectors [n, D] of marked photos (ids or paths) and the library ids among them."""
        dim = self._vectors().dim
        if not marks:
            return np.zeros((0, dim), dtype=np.float32), set()
        found = [self.image_vector(mark) for mark in marks]
        ids = {own for _, own in found if own is not None}
        return np.stack([_unit(v) for v, _ in found]), ids

    def text_vectors(self, texts: Sequence[str]) -> np.ndarray:
        """Unit text vectors [n, D]; recent ones come from a small cache (typing repeats).

        The cache holds one model's vectors: a search with another model (after a switch)
        empties it, and vectors computed by the model a switch replaced are not kept.
        """
        model = self._model()
        found: dict[str, np.ndarray] = {}
        with self._cache_lock:
            if self._cache_model is not model:
                self._cache.clear()
                self._cache_model = model
            for text in texts:
                if text in self._cache:
                    self._cache.move_to_end(text)
                    found[text] = self._cache[text]
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            encoded = np.asarray(model.text.encode_texts(missing), dtype=np.float32)
            with self._cache_lock:
                keep = self._cache_model is model
                for text, vector in zip(missing, encoded, strict=True):
                    found[text] = vector
                    if keep:
                        self._cache[text] = vector
                while len(self._cache) > TEXT_CACHE_SIZE:
                    self._cache.popitem(last=False)
        return np.stack([found[t] for t in texts])

    def image_vector(self, image: Path | int) -> tuple[np.ndarray, int | None]:
        """The vector of a query image and its library id (None for an outside picture).

        A library photo uses its stored vector; any other picture is encoded now.
        """
        model = self._model()
        if isinstance(image, (int, np.integer)) and not isinstance(image, bool):
            file_id = int(image)
            stored = self.catalog.get_embeddings(model.name, [file_id])
            if file_id in stored:
                return stored[file_id], file_id
            record = self.catalog.get_file(file_id)
            if record is None:
                raise QueryError(f"there is no photo with id {file_id} in the library")
            return self._encode(record.path), file_id
        path = Path(os.path.abspath(Path(str(image)).expanduser()))
        record = self.catalog.file_by_path(path)
        if record is not None:
            stored = self.catalog.get_embeddings(model.name, [record.id])
            if record.id in stored:
                return stored[record.id], record.id
        return self._encode(path), (record.id if record is not None else None)

    def _encode(self, path: Path) -> np.ndarray:
        if not path.is_file():
            what = "a folder, not a picture" if path.is_dir() else "no such file"
            raise ImageLoadError(f"cannot read {path}: {what}")
        return np.asarray(self._model().image.encode_images([path]), dtype=np.float32)[0]

    # -- ranking ---------------------------------------------------------------------------

    def _rank(
        self,
        vector: np.ndarray,
        k: int,
        allowed: set[int] | None,
        exclude: set[int],
        min_score: float | None,
    ) -> list[Hit]:
        """Ask the index for candidates and keep the usable ones; ask for more when files
        turned out deleted, pending or gone from disk, until k are found or none are left."""
        vectors = self._vectors()
        online = {f.id: f.online for f in presence.folders_now(self.catalog)}
        limit = len(vectors) if allowed is None else min(len(vectors), len(allowed))
        want = min(limit, k + len(exclude) + 8)
        seen: set[int] = set()
        hits: list[Hit] = []
        while True:
            found = vectors.query(vector, want, filter_ids=allowed)
            fresh = [(i, s) for i, s in found if i not in seen and i not in exclude]
            seen.update(i for i, _ in found)
            records = self.catalog.get_files([i for i, _ in fresh])
            for file_id, score in fresh:
                if min_score is not None and score < min_score:
                    continue
                record = records.get(file_id)
                if record is None or record.status != "ok":
                    continue
                is_online = online.get(record.folder_id, True)
                if is_online and not os.path.exists(record.path):
                    continue  # deleted since the last scan; the watcher will catch up
                hits.append(Hit(record, score, offline=not is_online))
            exhausted = len(found) < want or want >= limit
            below = min_score is not None and found and found[-1][1] < min_score
            if len(hits) >= k or exhausted or below:
                break
            want = min(limit, want * 4)
        hits.sort(key=lambda h: (-h.score, h.file.id))
        return hits[:k]

"""Zero-shot tags: which photos carry which label, with a cut-off per label from the library.

A photo carries a label when the cosine of its vector with the label's text vector reaches
the label's cut-off (`photofind.search.thresholds`). New photos are tagged as they are
indexed (`stored`, one matrix product per batch against the cached label matrix); the
cut-offs are read again from the whole library when it has grown by `thresholds.GROWTH`
since they were last read, when labels are added, or for a new model (`calibrate`), after
the index pass has let go of its locks, with a "labels" progress phase. Label text vectors
are kept in the catalog per model, and their texts' vectors once per model on this computer
(`textcache`), so a second library or a switch back to a model computes none of them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from photofind.errors import CatalogError, ModelError
from photofind.library.events import ProgressMeter
from photofind.library.labels import Label, LabelStore
from photofind.search.query import QueryError
from photofind.search.searcher import NO_MODEL
from photofind.search.textcache import TextVectorCache, cache_folder
from photofind.search.thresholds import MIN_PHOTOS, ScoreHistograms, outgrown
from photofind.search.vocabulary import Vocabulary, parse_label
from photofind.tasks import Progress

if TYPE_CHECKING:
    from photofind.clip import ClipModel
    from photofind.library import TaskControl, VectorIndex
    from photofind.library.library import Library

log = logging.getLogger(__name__)

CHUNK = 4096  # vectors scored at a time: memory stays bounded
# Products of at most this many vectors with the label matrix run on one BLAS thread (`_scores`).
ONE_THREAD_ROWS = 512
_blas_lock = threading.Lock()  # one thread limit at a time: each restores what it found
CACHE_EVERY = 256  # text vectors computed between writes of the cache file


@dataclass(frozen=True)
class LabelCount:
    """A label as the "Things" list shows it: how many photos carry it and the best one."""

    label: Label
    count: int
    sample: int | None  # file id of the best-scoring photo


def _scores(vectors: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """vectors [n, D] @ matrix.T [D, L]. A small product (an indexed batch: 16 x 512 x 365)
    runs on one BLAS thread: OpenBLAS would wake its other threads for it, which then spin
    for a while on cores the image encoder needs (measured: the process burns more CPU per
    index run). Its result is the same to the bit: OpenBLAS splits the output between threads,
    never a sum. Large ones (a calibration of a big library) keep every thread."""
    if len(vectors) > ONE_THREAD_ROWS:
        return vectors @ matrix.T
    from threadpoolctl import threadpool_limits

    with _blas_lock, threadpool_limits(limits=1, user_api="blas"):
        return vectors @ matrix.T


def _tags_over(
    scores: np.ndarray, cutoffs: np.ndarray, label_ids: np.ndarray, file_ids: np.ndarray
) -> list[tuple[int, int, float]]:
    """[(label id, file id, score)] of the scores [files, labels] at or above their label's
    cut-off; built as lists at once (a photo carries tens of labels: a tuple per tag made
    from numpy scalars cost 40 ms of a 48-photo run's label phase)."""
    rows, cols = np.nonzero(scores >= cutoffs)
    return list(
        zip(
            label_ids[cols].tolist(), file_ids[rows].tolist(), scores[rows, cols].tolist(),
            strict=True,
        )
    )  # fmt: skip


class Tags:
    """The zero-shot tags of one `Library`. Any thread may call any method; indexing calls
    `stored` and `finished` from its thread (`Library.add_index_listener`)."""

    def __init__(self, library: Library, vocabulary: Vocabulary | None = None) -> None:
        self.library = library
        self.store = LabelStore(library.catalog)
        self.vocabulary = vocabulary or Vocabulary.builtin()
        self._lock = threading.RLock()
        self._matrix: tuple[object, int, np.ndarray, np.ndarray] | None = None
        self._version = 0  # bumped by every label change: the cached matrix is stale
        self._text_cache: tuple[ClipModel, TextVectorCache] | None = None
        # Adding the vocabulary's labels is a write: only when this vocabulary is new here.
        key = "labels.vocabulary"
        digest = self.vocabulary.source(repr(self.vocabulary.labels))
        if library.catalog.get_setting(key) != digest:
            try:
                self.store.sync_builtin(self.vocabulary.labels)
                library.catalog.set_setting(key, digest)
            except CatalogError as exc:  # a read-only library still searches, unlabelled
                log.warning("the built-in labels cannot be added: %s", exc)

    def _pair(self) -> tuple[ClipModel, VectorIndex]:
        model, vectors = self.library.active()
        if model is None or vectors is None:
            raise ModelError(NO_MODEL)
        return model, vectors

    # -- label vectors --------------------------------------------------------------------

    def label_matrix(
        self,
        model: ClipModel,
        encoded: Callable[[int, int], None] | None = None,
        waiting: Callable[[str], None] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(label ids, unit text vectors [L, D]) of the visible labels for `model`; vectors
        missing from the catalog (new labels, a new model) are taken from the text vector
        cache or computed, and stored. `encoded(done, total)` is called after each batch of
        texts (it may raise Cancelled: nothing is stored in the catalog then, what was
        computed stays cached); `waiting(message)` once if another process is computing
        this model's texts (this one then waits and reads them)."""
        with self._lock:
            cached = self._matrix
            if cached is not None and cached[0] is model and cached[1] == self._version:
                return cached[2], cached[3]
            labels, stored, missing = self._unstored(model)
            if missing:
                fresh = self._encode(model, missing, encoded, waiting)
                self.store.store_vectors(model.name, fresh)
                stored.update({i: (source, v) for i, source, v in fresh})
            ids = np.asarray([lab.id for lab in labels], dtype=np.int64)
            dim = model.embed_dim
            matrix = (
                np.stack([stored[lab.id][1] for lab in labels])
                if labels
                else np.zeros((0, dim), np.float32)
            )
            self._matrix = (model, self._version, ids, matrix)
            return ids, matrix

    def _unstored(self, model: ClipModel) -> tuple[list[Label], dict, list[Label]]:
        """(visible labels, their vectors stored for `model`, the labels whose vector is
        missing or stale)."""
        labels = self.store.labels()
        stored = self.store.vectors(model.name)
        missing = [
            lab
            for lab in labels
            if lab.id not in stored or stored[lab.id][0] != self.vocabulary.source(lab.prompt)
        ]
        return labels, stored, missing

    def texts_to_encode(self, model: ClipModel) -> int:
        """How many label texts `label_matrix` would run through the text encoder now: those
        of labels with no vector stored, less those the text cache holds. Known before any
        is encoded, so the labels phase's first report already has its final total."""
        with self._lock:
            cached = self._matrix
            if cached is not None and cached[0] is model and cached[1] == self._version:
                return 0
            _, _, missing = self._unstored(model)
            texts = [t for lab in missing for t in self.vocabulary.texts(lab.prompt)]
            if not texts:
                return 0
            known = self._cache(model).lookup(texts)
            return sum(t not in known for t in texts)

    def _encode(
        self,
        model: ClipModel,
        labels: list[Label],
        encoded: Callable[[int, int], None] | None = None,
        waiting: Callable[[str], None] | None = None,
    ) -> list[tuple[int, str, np.ndarray]]:
        n = len(self.vocabulary.templates)
        texts = [t for lab in labels for t in self.vocabulary.texts(lab.prompt)]
        known = self.text_vectors(model, texts, encoded, waiting)
        vectors = np.stack([known[t] for t in texts]).reshape(len(labels), n, -1)
        vectors /= np.linalg.norm(vectors, axis=2, keepdims=True)
        means = vectors.mean(axis=1)
        means /= np.linalg.norm(means, axis=1, keepdims=True)
        return [
            (lab.id, self.vocabulary.source(lab.prompt), means[k]) for k, lab in enumerate(labels)
        ]

    def text_vectors(
        self,
        model: ClipModel,
        texts: list[str],
        encoded: Callable[[int, int], None] | None = None,
        waiting: Callable[[str], None] | None = None,
    ) -> dict[str, np.ndarray]:
        """{text: unit vector} for `texts`: from this computer's cache of the model's text
        vectors (`textcache`), the rest computed (one process at a time), and kept there a
        few batches at a time, so a kill loses at most the last few."""
        cache = self._cache(model)
        known = cache.lookup(texts)
        if len(known) < len(set(texts)):
            checkpoint = None if encoded is None else (lambda: encoded(len(known), len(texts)))
            with cache.computing(waiting, checkpoint):
                known.update(cache.lookup(texts))  # what the process waited for computed
                todo = list(dict.fromkeys(t for t in texts if t not in known))
                pending: list[tuple[str, np.ndarray]] = []

                def flush() -> None:
                    cache.add([t for t, _ in pending], np.asarray([v for _, v in pending]))
                    pending.clear()

                def batch(rows: np.ndarray, vectors: np.ndarray) -> None:
                    for row, vector in zip(rows, vectors, strict=True):
                        known[todo[row]] = vector
                        pending.append((todo[row], vector))
                    if len(pending) >= CACHE_EVERY:
                        flush()
                    if encoded is not None:
                        encoded(sum(t in known for t in texts), len(texts))

                try:
                    if todo:
                        model.text.encode_texts(todo, on_batch=batch)
                finally:
                    flush()  # a cancel keeps what was computed
        if encoded is not None:
            encoded(len(texts), len(texts))
        return known

    def _cache(self, model: ClipModel) -> TextVectorCache:
        cache = self._text_cache
        if cache is None or cache[0] is not model:
            folder = cache_folder(self.library.paths.cache_dir)
            cache = self._text_cache = (model, TextVectorCache(folder, model))
        return cache[1]

    # -- tagging as photos are indexed ----------------------------------------------------

    def stored(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Tag a batch of new vectors with the cut-offs known (called by the indexer)."""
        model, _ = self._pair()
        self._tag(model, ids, vectors)

    def _tag(self, model: ClipModel, ids: np.ndarray, vectors: np.ndarray) -> None:
        # Under the lock throughout: a calibration running meanwhile finishes first, so the
        # batch gets the new cut-offs, instead of replacing the tags the calibration just
        # wrote for its photos with tags from the old ones (or none, the first time).
        with self._lock:
            cutoffs = self.store.cutoffs(model.name)
            if not cutoffs:
                return  # nothing read yet: `finished` calibrates and tags everything
            label_ids, matrix = self.label_matrix(model)
            known = np.asarray([cutoffs.get(int(i), (np.inf, 0))[0] for i in label_ids])
            scores = _scores(np.asarray(vectors, dtype=np.float32), matrix)
            tags = _tags_over(scores, known, label_ids, ids)
            self.store.replace_files(model.name, [int(i) for i in ids], tags)

    def finished(
        self,
        control: TaskControl | None = None,
        progress: Callable[[Progress], None] | None = None,
    ) -> None:
        """After an index run: read the cut-offs again if the library grew enough, reporting
        a "labels" phase through `progress`; `control` may cancel (Cancelled)."""
        if self.stale():
            self.calibrate(progress=progress, control=control)

    def stale(self) -> bool:
        """Whether some visible label has no cut-off for the model in use, or the library has
        grown by `thresholds.GROWTH` since its cut-off was read."""
        model, vectors = self._pair()
        photos = len(vectors)
        if photos < MIN_PHOTOS:
            return False
        cutoffs = self.store.cutoffs(model.name)
        for label in self.store.labels():
            seen = cutoffs.get(label.id)
            if seen is None or outgrown(photos, seen[1]):
                return True
        return False

    # -- reading the cut-offs off the library ---------------------------------------------

    def calibrate(
        self,
        names: Iterable[str] | None = None,
        *,
        progress: Callable[[Progress], None] | None = None,
        control: TaskControl | None = None,
    ) -> int:
        """Cut-offs from the library's scores, then every photo's tags, for the named labels
        (default: all visible). Two passes over the vectors, a chunk at a time (one when the
        library fits in a chunk: its scores are kept). Returns the number of tags written.
        `progress` is called from this thread; `control` may cancel (Cancelled; nothing is
        written then)."""
        model, _ = self._pair()
        with self._lock:
            # The catalog streams vectors ten times faster than the index hands them out
            # (0.8 against 7.8 s per 100,000 512-d vectors, measured).
            catalog, name = self.library.catalog, model.name
            stamp = catalog.embedding_stamp(name)
            total = catalog.embedding_count(name)
            # The label texts to encode (a new model: 365 labels x 5 templates) and two passes
            # over the vectors: one total from the first report on, before any text is
            # encoded (the window shows a first index's photos on that report).
            planned = self.texts_to_encode(model)
            meter = ProgressMeter("labels", total=planned + 2 * total, control=control)
            done = 0

            def encoded(texts: int, of: int) -> None:
                nonlocal done
                # `of - planned` of the texts were cached when they were counted; another
                # process may compute some meanwhile: the count stays within its share.
                done = max(done, min(planned, texts - (of - planned)))
                self._step(meter, done, progress, control)

            def waiting(message: str) -> None:
                if progress is not None:
                    progress(Progress("wait", 0, 0, current=message))

            self._step(meter, done, progress, control)
            label_ids, matrix = self.label_matrix(model, encoded, waiting)
            done = planned
            if names is not None:
                wanted = {self._label(n).id for n in names}
                keep = np.asarray([int(i) in wanted for i in label_ids], dtype=bool)
                label_ids, matrix = label_ids[keep], matrix[keep]
            histograms = ScoreHistograms(len(label_ids))
            photos = 0  # the scores the cut-offs were read from
            kept: list[tuple[np.ndarray, np.ndarray]] | None = []  # while within one chunk
            for ids, chunk in catalog.iter_embeddings(name, CHUNK):
                scores = _scores(chunk, matrix)
                histograms.add(scores)
                photos += len(chunk)
                kept = [*kept, (ids, scores)] if kept is not None and photos <= CHUNK else None
                done += len(chunk)
                self._step(meter, done, progress, control)
            cutoffs = histograms.cut_offs()
            tags: list[tuple[int, int, float]] = []
            # A small library's scores are kept from the first pass; a vector stored since
            # (another process) is tagged by `_catch_up`, as one behind the second pass is.
            second = kept if kept is not None else (
                (ids, _scores(chunk, matrix))
                for ids, chunk in catalog.iter_embeddings(name, CHUNK)
            )  # fmt: skip
            for ids, scores in second:
                tags.extend(_tags_over(scores, cutoffs, label_ids, ids))
                done += len(ids)
                self._step(meter, done, progress, control)
            self.store.replace_labels(
                name,
                {int(i): float(c) for i, c in zip(label_ids, cutoffs, strict=True)},
                photos,
                tags,
            )
            self._catch_up(model, stamp)
            log.info(
                "labels: %d cut-offs over %d photos, %d tags", len(label_ids), photos, len(tags)
            )
            return len(tags)

    def _catch_up(self, model: ClipModel, stamp: int) -> None:
        """Tag the vectors stored since `stamp` with the cut-offs just written: a batch
        committed while the passes ran (by another process, or a photo re-encoded behind
        the passes' position) may have found no cut-offs, or been read before its change.
        Whatever is stored after this query finds the new cut-offs itself (`stored`)."""
        catalog = self.library.catalog
        since = catalog.embedding_ids_since(model.name, stamp)
        for start in range(0, len(since), CHUNK):
            ids, vectors = catalog.get_embedding_matrix(
                model.name, since[start : start + CHUNK].tolist()
            )
            if len(ids):
                self._tag(model, ids, vectors)

    @staticmethod
    def _step(meter, done, progress, control) -> None:
        if control is not None:
            control.checkpoint()
        if progress is not None:
            progress(meter.update(done))

    # -- what the front ends ask ----------------------------------------------------------

    def _label(self, name: str) -> Label:
        label = self.store.get(name)
        if label is None or label.hidden:
            raise QueryError(f"there is no label {name!r} (see `photofind tags`)")
        return label

    def counts(self) -> list[LabelCount]:
        """Every visible label with its count and best photo, most common first."""
        model, _ = self._pair()
        counts = self.store.counts(model.name)
        rows = [
            LabelCount(lab, *counts.get(lab.id, (0, None)))  # type: ignore[arg-type]
            for lab in self.store.labels()
        ]
        rows.sort(key=lambda r: (-r.count, r.label.name.lower()))
        return rows

    def tagged(self, name: str) -> dict[int, float]:
        """{file id: score} of the photos carrying the label `name`."""
        model, _ = self._pair()
        return self.store.tagged(model.name, self._label(name).id)

    def labels_of(self, file_ids: Iterable[int]) -> dict[int, list[str]]:
        model, _ = self._pair()
        return self.store.labels_of(model.name, list(file_ids))

    def add(self, texts: Iterable[str], **calibrate: object) -> list[Label]:
        """The user's own labels (`NAME` or `NAME=PROMPT`), tagged at once across the library."""
        parsed = [parse_label(t) for t in texts]
        with self._lock:
            added = [self.store.add(name, prompt) for name, prompt in parsed]
            self._version += 1
        if len(self.library.vectors or ()) >= MIN_PHOTOS:
            self.calibrate([lab.name for lab in added], **calibrate)  # type: ignore[arg-type]
        return added

    def remove(self, names: Iterable[str]) -> list[Label]:
        """Forget the user's labels, hide built-in ones; their tags go at once."""
        labels = [self._label(n) for n in names]
        with self._lock:
            for label in labels:
                self.store.remove(label)
            self._version += 1
        return labels

"""Encoding pending photos into vectors: parallel decoding, batched inference and commits.

Each batch is committed to the catalog in one transaction before its vectors enter the
index, so a process killed at any moment loses at most the batch in flight: the catalog
never holds a half batch, and a restart picks up the files still pending. The vector index
is a cache; on the next open it is synced with whatever the catalog committed. Each batch
moves the index's change stamp on only if the index was in line before it (the caller
syncs it first, under the library's locks), so a saved stamp never claims a vector the
index lacks.

Pending files stream through one decode/encode pipeline, fetched from the catalog a chunk at
a time as the decoders need them, so nothing drains between chunks. Decoding needs no ONNX
session: the image session loads in a thread of its own while the first photos decode.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from photofind.clip.pipeline import inference_workers, iter_decoded, iter_mapped, tapered_batch
from photofind.errors import Cancelled, PhotofindError
from photofind.library.catalog import Catalog, FileRecord
from photofind.library.events import ProgressCallback, ProgressMeter, TaskControl
from photofind.library.metadata import ImageFacts
from photofind.library.vectors import VectorIndex

if TYPE_CHECKING:
    from photofind.clip import ClipModel

log = logging.getLogger(__name__)

CHUNK = 256  # files fetched from the catalog at a time: memory stays bounded
SAVE_EVERY = 60.0  # seconds between index saves during a long run


@dataclass
class IndexReport:
    indexed: int = 0
    failed: int = 0
    elapsed: float = 0.0
    cancelled: bool = False


class Indexer:
    """Encodes every pending file of the online folders for one model."""

    def __init__(
        self,
        catalog: Catalog,
        model: ClipModel,
        vectors: VectorIndex,
        *,
        batch_size: int = 16,
        workers: int | None = None,
        save_every: float = SAVE_EVERY,
        on_stored: Callable[[np.ndarray, np.ndarray], None] | None = None,
        inference: int | None = None,
    ) -> None:
        """`on_stored(ids, vectors)` is called in this thread after each committed batch.
        `inference` batches are encoded at once (default: `pipeline.inference_workers`)."""
        self.on_stored = on_stored
        self.catalog = catalog
        self.model = model
        self.vectors = vectors
        self.batch_size = batch_size
        self.workers = workers
        self.save_every = save_every
        self.inference = inference or inference_workers()
        from photofind.clip.images import Preprocessor  # Pillow: when indexing, not a search

        self._preprocess = Preprocessor.for_manifest(model.manifest)

    def _decode(self, path: Path) -> tuple[np.ndarray, ImageFacts]:
        """Pixels and facts from one open of the file (its header is read before decoding)."""
        seen: list[ImageFacts] = []
        pixels = self._preprocess.load(
            path, header=lambda img: seen.append(ImageFacts.from_image(img))
        )
        return pixels, seen[0] if seen else ImageFacts()

    def run(
        self,
        control: TaskControl | None = None,
        progress: ProgressCallback | None = None,
    ) -> IndexReport:
        """Encode until nothing is pending; Cancelled propagates after saving what is done."""
        started = time.monotonic()
        report = IndexReport()
        meter = ProgressMeter("index", self.catalog.pending_count(self.model.name),
                              control=control)  # fmt: skip
        if progress is not None:
            progress(meter.progress())
        last_save = time.monotonic()
        loader = self._load_session() if meter.total else None
        handled = 0
        try:
            for ok, failed, current in self._batches(meter.total, control):
                committed = self.catalog.store_batch(self.model.name, ok, failed)
                stored = committed.ids
                if stored:
                    keep = set(stored)
                    rows = [(i, v) for i, v, _ in ok if i in keep]
                    batch_ids = np.asarray([i for i, _ in rows], dtype=np.int64)
                    batch = np.stack([v for _, v in rows])
                    self.vectors.add(batch_ids, batch)
                    # Then the stamp: a save in between records the older one (harmless).
                    self.vectors.advance(committed.before, committed.after)
                    if self.on_stored is not None:
                        self.on_stored(batch_ids, batch)
                report.indexed += len(stored)
                report.failed += committed.failed
                handled += len(failed) + len(ok)  # stored, failed, or gone meanwhile
                meter.total = max(meter.total, handled)
                if progress is not None:
                    progress(meter.update(handled, errors=report.failed, current=current))
                if time.monotonic() - last_save > self.save_every:
                    self.vectors.save()
                    last_save = time.monotonic()
        except Cancelled:
            report.cancelled = True
            self._save_keeping_error()
            raise
        except BaseException:
            self._save_keeping_error()  # a full disk: say that, not "cannot save the index"
            raise
        else:
            self.vectors.save()
        finally:
            if loader is not None:
                loader.join()  # no thread of this run outlives it (an exit inside ORT aborts)
            report.elapsed = time.monotonic() - started
        return report

    def _load_session(self) -> threading.Thread:
        """Open the image session in a thread while the first photos decode; the first batch
        waits for it, and an error opening it is raised there (ClipModel keeps it)."""

        def load() -> None:
            with contextlib.suppress(Exception):  # raised again by the first batch's
                _ = self.model.image

        thread = threading.Thread(target=load, name="load-image")
        thread.start()
        return thread

    def _save_keeping_error(self) -> None:
        """Save on the way out of a failed run; the failure that stopped it stays the error
        (the index is a cache: the next open syncs it with what the catalog committed)."""
        try:
            self.vectors.save()
        except PhotofindError as exc:
            log.warning("%s", exc)

    def _pending(self) -> Iterator[FileRecord]:
        """Every pending file, read from the catalog a chunk at a time as it is consumed (files
        added meanwhile with higher ids come too; those handled in this run do not return)."""
        after = 0
        while files := self.catalog.pending_files(self.model.name, CHUNK, after):
            yield from files
            after = files[-1].id

    def _batches(
        self, total: int, control: TaskControl | None
    ) -> Iterator[tuple[list, list[tuple[int, str]], str]]:
        """(ok [(id, vector, facts)], failed [(id, message)], last file name) per encoded
        batch, in order; `self.inference` batches are encoded at once while the next decode."""
        yield from iter_mapped(
            self._decoded_batches(total, control), self._encode, workers=self.inference
        )

    def _encode(self, job: tuple[list[np.ndarray], list[tuple[int, ImageFacts]], list, str]):
        pixels, ok_meta, failed, current = job
        if not pixels:
            return [], failed, current
        vectors = self.model.image.encode_pixels(np.stack(pixels))
        ok = [(fid, vectors[k], facts) for k, (fid, facts) in enumerate(ok_meta)]
        return ok, failed, current

    def _decoded_batches(self, total: int, control: TaskControl | None):
        """(pixels, [(id, facts)], failed [(id, message)], last name) per batch of decoded
        files; batches shrink towards the end of the `total` expected (`tapered_batch`)."""
        files: deque[FileRecord] = deque()  # submitted to the decoders, not yet yielded

        def paths() -> Iterator[Path]:
            for record in self._pending():
                files.append(record)
                yield record.path

        pixels: list[np.ndarray] = []
        ok_meta: list[tuple[int, ImageFacts]] = []
        failed: list[tuple[int, str]] = []
        cancel = (lambda: control.cancelled) if control is not None else None
        done = 0
        size = tapered_batch(total, self.batch_size, self.inference)
        record: FileRecord | None = None
        for _, result, error in iter_decoded(
            paths(), self._decode, workers=self.workers, window=2 * self.batch_size,
            cancel=cancel,
        ):  # fmt: skip
            if control is not None:
                control.checkpoint()
            record, done = files.popleft(), done + 1
            if error is not None or result is None:
                failed.append((record.id, error or "cannot decode"))
                log.warning("cannot read the photo %s (%s)", record.path, failed[-1][1])
            else:
                array, facts = result
                pixels.append(array)
                ok_meta.append((record.id, facts))
            if len(pixels) >= size or len(failed) >= self.batch_size:
                yield pixels, ok_meta, failed, record.path.name
                pixels, ok_meta, failed = [], [], []
                size = tapered_batch(total - done, self.batch_size, self.inference)
        if control is not None:
            control.checkpoint()
        if record is not None and (pixels or failed):
            yield pixels, ok_meta, failed, record.path.name

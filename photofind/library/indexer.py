"""Encoding pending photos into vectors: parallel decoding, batched inference and commits.

Each batch is committed to the catalog in one transaction before its vectors enter the
index, so a process killed at any moment loses at most the batch in flight: the catalog
never holds a half batch, and a restart picks up the files still pending. The vector index
is a cache; on the next open it is synced with whatever the catalog committed. Each batch
moves the index's change stamp on only if the index was in line before it (the caller
syncs it first, under the library's locks), so a saved stamp never claims a vector the
index lacks.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from photofind.clip.pipeline import inference_workers, iter_decoded, iter_mapped
from photofind.errors import Cancelled, PhotofindError
from photofind.library.catalog import Catalog
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

    def _decode(self, path: Path) -> tuple[np.ndarray, ImageFacts]:
        """Pixels and facts from one open of the file (its header is read before decoding)."""
        seen: list[ImageFacts] = []
        pixels = self.model.image.preprocess_path(
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
        name = self.model.name
        meter = ProgressMeter("index", self.catalog.pending_count(name), control=control)
        if progress is not None:
            progress(meter.progress())
        last_save = time.monotonic()
        after = 0
        try:
            while True:
                files = self.catalog.pending_files(name, CHUNK, after)
                if not files:
                    break
                after = files[-1].id
                for ok, failed in self._batches(files, control):
                    committed = self.catalog.store_batch(name, ok, failed)
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
                    report.failed += len(failed) + len(ok) - len(stored)
                    current = files[-1].path.name
                    if progress is not None:
                        progress(meter.update(report.indexed + report.failed,
                                              errors=report.failed, current=current))  # fmt: skip
                    if time.monotonic() - last_save > self.save_every:
                        self.vectors.save()
                        last_save = time.monotonic()
                if meter.total < meter.done:
                    meter.total = meter.done
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
            report.elapsed = time.monotonic() - started
        return report

    def _save_keeping_error(self) -> None:
        """Save on the way out of a failed run; the failure that stopped it stays the error
        (the index is a cache: the next open syncs it with what the catalog committed)."""
        try:
            self.vectors.save()
        except PhotofindError as exc:
            log.warning("%s", exc)

    def _batches(self, files, control: TaskControl | None):
        """(ok [(id, vector, facts)], failed [(id, message)]) per encoded batch, in order;
        `self.inference` batches are encoded at once while the next ones decode. The first
        batch opens the image session (or waits for a preload) while decoding goes on."""
        yield from iter_mapped(
            self._decoded_batches(files, control), self._encode, workers=self.inference
        )

    def _encode(self, job: tuple[list[np.ndarray], list[tuple[int, ImageFacts]], list]):
        pixels, ok_meta, failed = job
        vectors = self.model.image.encode_pixels(np.stack(pixels)) if pixels else None
        ok = [(fid, vectors[k], facts) for k, (fid, facts) in enumerate(ok_meta)]
        return ok, failed

    def _decoded_batches(self, files, control: TaskControl | None):
        """(pixels, [(id, facts)], failed [(id, message)]) per batch of decoded files."""
        paths = [f.path for f in files]
        pixels: list[np.ndarray] = []
        ok_meta: list[tuple[int, ImageFacts]] = []
        failed: list[tuple[int, str]] = []
        cancel = (lambda: control.cancelled) if control is not None else None
        for index, result, error in iter_decoded(
            paths, self._decode, workers=self.workers, window=2 * self.batch_size, cancel=cancel
        ):
            if control is not None:
                control.checkpoint()
            file_id = files[index].id
            if error is not None or result is None:
                failed.append((file_id, error or "cannot decode"))
                log.warning("cannot read the photo %s (%s)", files[index].path, failed[-1][1])
            else:
                array, facts = result
                pixels.append(array)
                ok_meta.append((file_id, facts))
            if len(pixels) >= self.batch_size or len(failed) >= self.batch_size:
                yield pixels, ok_meta, failed
                pixels, ok_meta, failed = [], [], []
        if control is not None:
            control.checkpoint()
        if pixels or failed:
            yield pixels, ok_meta, failed

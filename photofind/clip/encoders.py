"""The image encoder: photos -> unit vectors, with the preprocessing the manifest fixes.

The text encoder is `photofind.clip.textencoder` (a search loads it without Pillow).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from photofind.clip.graph import Graph
from photofind.clip.images import HeaderHook, Preprocessor
from photofind.clip.manifest import Manifest
from photofind.clip.pipeline import iter_decoded, iter_mapped
from photofind.clip.providers import ort  # the one importer: telemetry off

log = logging.getLogger(__name__)


@dataclass
class EncodeResult:
    """Vectors for the files that decoded, and an error line for each that did not."""

    vectors: np.ndarray
    ok: list[int] = field(default_factory=list)
    errors: dict[int, str] = field(default_factory=dict)


class ImageEncoder:
    """Photos -> unit vectors."""

    def __init__(self, session: ort.InferenceSession, manifest: Manifest) -> None:
        self.session = session
        self._graph = Graph(
            session,
            manifest.embed_dim,
            [None, 3, *manifest.image_size],
            manifest.inputs.image_input,
        )
        # Half-precision exports (the manifest says so, or the graph's input type does).
        half = (
            manifest.inputs.image_dtype == "float16" or self._graph.input.type == "tensor(float16)"
        )
        self._pixel_type = np.float16 if half else np.float32
        self.preprocess = Preprocessor.for_manifest(manifest)

    @property
    def input_size(self) -> tuple[int, int]:
        return self.preprocess.size

    def preprocess_image(self, img: Image.Image) -> np.ndarray:
        return self.preprocess(img)

    def preprocess_path(
        self, path: Path | str, *, draft: bool = True, header: HeaderHook | None = None
    ) -> np.ndarray:
        """Decode and preprocess one file; ImageLoadError if it cannot be read. `header`
        sees the opened file before decoding (its EXIF and full size), so a caller that
        also wants the file's facts does not open it twice."""
        return self.preprocess.load(path, draft=draft, header=header)

    def encode_pixels(self, pixels: np.ndarray) -> np.ndarray:
        if len(pixels) == 0:
            return np.zeros((0, self._graph.embed_dim), dtype=np.float32)
        return self._graph(np.ascontiguousarray(pixels, dtype=self._pixel_type))

    def encode_images(
        self, images: Sequence[Path | str | Image.Image], *, batch_size: int = 16
    ) -> np.ndarray:
        """Encode images or files; the first unreadable file raises ImageLoadError."""
        out = []
        for start in range(0, len(images), batch_size):
            chunk = images[start : start + batch_size]
            pixels = [
                self.preprocess_image(i) if isinstance(i, Image.Image) else self.preprocess_path(i)
                for i in chunk
            ]
            out.append(self.encode_pixels(np.stack(pixels)))
        if not out:
            return np.zeros((0, self._graph.embed_dim), dtype=np.float32)
        return np.concatenate(out)

    def iter_encode_files(
        self,
        paths: Sequence[Path | str],
        *,
        batch_size: int = 16,
        workers: int | None = None,
        cancel: Callable[[], bool] | None = None,
        inference_workers: int = 1,
    ) -> Iterator[EncodeResult]:
        """Encode files batch by batch, decoding ahead in threads; bad files are reported.
        `inference_workers` batches run at once (see `pipeline.inference_workers`)."""

        def batches() -> Iterator[tuple[list[np.ndarray], EncodeResult]]:
            pixels: list[np.ndarray] = []
            result = EncodeResult(np.zeros((0, self._graph.embed_dim), dtype=np.float32))
            for index, array, error in iter_decoded(
                paths, self.preprocess_path, workers=workers, window=2 * batch_size,
                cancel=cancel,
            ):  # fmt: skip
                if error is not None or array is None:
                    result.errors[index] = error or "cannot decode"
                else:
                    pixels.append(array)
                    result.ok.append(index)
                if len(pixels) >= batch_size:
                    yield pixels, result
                    pixels = []
                    result = EncodeResult(result.vectors[:0])
            if result.ok or result.errors:
                yield pixels, result

        def encode(job: tuple[list[np.ndarray], EncodeResult]) -> EncodeResult:
            pixels, result = job
            if pixels:
                result.vectors = self.encode_pixels(np.stack(pixels))
            return result

        yield from iter_mapped(batches(), encode, workers=inference_workers)

    def encode_files(
        self,
        paths: Sequence[Path | str],
        *,
        batch_size: int = 16,
        workers: int | None = None,
        cancel: Callable[[], bool] | None = None,
        inference_workers: int = 1,
    ) -> EncodeResult:
        """All of `paths` at once: vectors for `ok` (in order) and errors by index."""
        total = EncodeResult(np.zeros((0, self._graph.embed_dim), dtype=np.float32))
        parts = [total.vectors]
        for part in self.iter_encode_files(
            paths, batch_size=batch_size, workers=workers, cancel=cancel,
            inference_workers=inference_workers,
        ):  # fmt: skip
            parts.append(part.vectors)
            total.ok.extend(part.ok)
            total.errors.update(part.errors)
        total.vectors = np.concatenate(parts)
        return total

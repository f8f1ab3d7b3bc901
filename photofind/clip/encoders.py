"""The image and text encoders: ONNX sessions plus the preprocessing the manifest fixes."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from photofind.clip.images import HeaderHook, Preprocessor, open_image
from photofind.clip.manifest import Manifest
from photofind.clip.pipeline import iter_decoded, iter_mapped
from photofind.clip.providers import ort  # the one importer: telemetry off
from photofind.clip.tokenizer import ClipTokenizer
from photofind.clip.vectormath import unit
from photofind.errors import ModelError, ModelFolderError

log = logging.getLogger(__name__)

_INT_TYPES = {"tensor(int64)": np.int64, "tensor(int32)": np.int32}
# Texts per text-graph run: throughput is flat from 16 to 256 once batches are sorted by
# length (bench/labels.py --batches); 64 keeps a run short enough to cancel promptly.
TEXT_BATCH = 64


@dataclass
class EncodeResult:
    """Vectors for the files that decoded, and an error line for each that did not."""

    vectors: np.ndarray
    ok: list[int] = field(default_factory=list)
    errors: dict[int, str] = field(default_factory=dict)


class _Graph:
    """One ONNX session with its single input and output.

    Graphs exported with fixed shapes (Immich's take one image or one text per run) are fed
    one row at a time; a shape that contradicts the manifest is refused when the model loads,
    not on the first photo.
    """

    def __init__(
        self,
        session: ort.InferenceSession,
        embed_dim: int,
        expected: Sequence[int | None],
        input_name: str | None = None,
    ) -> None:
        self.session = session
        inputs = {i.name: i for i in session.get_inputs()}
        if input_name is not None and input_name not in inputs:
            raise ModelFolderError(
                f"the graph has no input {input_name!r} (it has {', '.join(inputs)})"
            )
        self.input = inputs[input_name] if input_name else session.get_inputs()[0]
        self.output = session.get_outputs()[0].name
        self.embed_dim = embed_dim
        shape = list(self.input.shape or [])
        fixed = [d if isinstance(d, int) and d > 0 else None for d in shape]
        if len(fixed) != len(expected) or any(
            want is not None and got is not None and got != want
            for got, want in zip(fixed[1:], expected[1:], strict=True)
        ):
            wanted = ["n" if d is None else d for d in expected]
            raise ModelFolderError(
                f"the graph input {self.input.name!r} has shape {shape}, but the manifest "
                f"describes {wanted}"
            )
        self.one_at_a_time = fixed[0] == 1
        if fixed[0] not in (None, 1):
            raise ModelFolderError(
                f"the graph takes exactly {fixed[0]} inputs per run; photofind needs 1 or any"
            )

    def _run(self, batch: np.ndarray) -> np.ndarray:
        try:
            (out,) = self.session.run([self.output], {self.input.name: batch})
        except Exception as exc:  # onnxruntime's errors are untyped
            raise ModelError(f"the model failed to run: {str(exc).splitlines()[0]}") from None
        return out

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        if self.one_at_a_time and len(batch) > 1:
            out = np.concatenate([self._run(batch[i : i + 1]) for i in range(len(batch))])
        else:
            out = self._run(batch)
        if out.ndim != 2 or out.shape != (len(batch), self.embed_dim):
            raise ModelError(
                f"the model gave vectors of shape {out.shape}, expected [n, {self.embed_dim}]"
            )
        return unit(out)  # our exports normalise in the graph; imported ones may not


class ImageEncoder:
    """Photos -> unit vectors."""

    def __init__(self, session: ort.InferenceSession, manifest: Manifest) -> None:
        self.session = session
        self._graph = _Graph(
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
        self.preprocess = Preprocessor(
            manifest.image_size, manifest.resize, manifest.interpolation, manifest.mean,
            manifest.std,
        )  # fmt: skip

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
        size = self.preprocess.draft_size if draft else None
        return self.preprocess(open_image(path, min_size=size, header=header))

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


class TextEncoder:
    """Texts -> unit vectors in the same space as the images.

    The session it starts with may be the quick-to-open kind (no weight prepacking: a cold
    query's only run); `packed` then builds the session that runs faster from the second
    run on (about 2.5x per query here). It is built in a background thread at the second
    graph run (a second query, or a batch of label texts' second batch) and swapped in when
    ready, so a one-query command never pays for it and the window's later queries and the
    label batches do not keep paying the unpacked runs.
    """

    def __init__(
        self,
        session: ort.InferenceSession,
        manifest: Manifest,
        tokenizer: ClipTokenizer,
        packed: Callable[[], ort.InferenceSession] | None = None,
    ) -> None:
        expected_length = None if manifest.text_variable_length else manifest.context_length
        self.session = session
        self._graph = _Graph(
            session, manifest.embed_dim, [None, expected_length], manifest.inputs.text_input
        )
        self.tokenizer = tokenizer
        self.variable_length = manifest.text_variable_length
        self._dtype = _INT_TYPES.get(self._graph.input.type, np.int64)
        self._packed = packed
        self._calls = 0
        self._lock = threading.Lock()

    def _count_call(self) -> None:
        with self._lock:
            self._calls += 1
            if self._calls < 2 or self._packed is None:
                return
            build, self._packed = self._packed, None
        # Not a daemon: ONNX Runtime must finish building before the interpreter exits.
        threading.Thread(target=self._swap, args=(build,), name="text-packed").start()

    def _swap(self, build: Callable[[], ort.InferenceSession]) -> None:
        try:
            session = build()
        except Exception as exc:  # the unpacked session keeps working
            log.warning("keeping the quick-open text session: %s", exc)
            return
        # One assignment each: a run in flight keeps the session it started on.
        self.session = self._graph.session = session

    def tokenize(self, texts: Sequence[str]) -> np.ndarray:
        return self.tokenizer(texts)

    def encode_texts(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = TEXT_BATCH,
        on_batch: Callable[[np.ndarray, np.ndarray], None] | None = None,
    ) -> np.ndarray:
        """Unit vectors of `texts`, in their order. A variable-length graph runs batches of
        texts of similar token length, each cut after its longest text's end token, so
        little of a batch is padding (causal attention and EOT pooling: tokens after the end
        cannot change a text's vector, so each equals its vector run alone).
        `on_batch(rows, vectors)` sees each batch as it is done (rows index `texts`); what
        it raises stops the encoding."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self._graph.embed_dim), dtype=np.float32)
        ids = self.tokenize(texts)
        lengths = self.tokenizer.lengths(ids)
        order = np.argsort(lengths, kind="stable") if self.variable_length else np.arange(len(ids))
        out = np.empty((len(texts), self._graph.embed_dim), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            if self._packed is not None:  # each run counts: many texts are many runs
                self._count_call()
            rows = order[start : start + batch_size]
            batch = ids[rows]
            if self.variable_length:
                batch = batch[:, : int(lengths[rows].max())]
            out[rows] = self._graph(batch.astype(self._dtype, copy=False))
            if on_batch is not None:
                on_batch(rows, out[rows])
        return out

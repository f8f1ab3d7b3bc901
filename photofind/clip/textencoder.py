"""The text encoder: texts -> unit vectors in the image space (tokenizer plus text graph)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

import numpy as np

from photofind.clip.graph import Graph
from photofind.clip.manifest import Manifest
from photofind.clip.providers import ort  # the one importer: telemetry off
from photofind.clip.tokenizer import ClipTokenizer

log = logging.getLogger(__name__)

_INT_TYPES = {"tensor(int64)": np.int64, "tensor(int32)": np.int32}
# Texts per text-graph run: throughput is flat from 16 to 256 once batches are sorted by
# length (bench/labels.py --batches); 64 keeps a run short enough to cancel promptly.
TEXT_BATCH = 64


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
        self._graph = Graph(
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

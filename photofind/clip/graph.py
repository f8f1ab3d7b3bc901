"""One ONNX session with its single input and output: what both encoders run.

Its own module so that the text encoder (a search) loads without the image code and Pillow.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from photofind.clip.providers import ort  # the one importer: telemetry off
from photofind.clip.vectormath import unit
from photofind.errors import ModelError, ModelFolderError


class Graph:
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

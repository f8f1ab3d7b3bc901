"""Unit-length vectors, the one way every layer scales them: CLIP compares by cosine, so the
encoders, the vector index, the query arithmetic and the feedback all work on unit vectors."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

TINY = 1e-12  # a vector shorter than this has no direction: it is left as it is


def unit(x: ArrayLike, dtype: DTypeLike = np.float32) -> np.ndarray:
    """`x` (a vector, or vectors as rows) scaled to length 1 along its last axis, as `dtype`;
    a zero (or shorter than TINY) vector stays as it is, so no NaN comes out of it."""
    x = np.asarray(x, dtype=dtype)
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return (x / np.where(norms > TINY, norms, 1.0)).astype(dtype, copy=False)

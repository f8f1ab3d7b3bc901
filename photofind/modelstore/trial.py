"""The one run every converted model folder gets before it counts as installed.

Graphs whose inputs, outputs or sizes do not fit the facts written into the manifest fail
here, with the layout's own wording, not in the user's first search.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from photofind.errors import ModelFolderError, PhotofindError


def try_out(folder: Path, refuse: Callable[[str], ModelFolderError]) -> None:
    """Load `folder` and encode one picture and one text; `refuse(why)` makes the error."""
    from photofind.clip.model import ClipModel

    try:
        model = ClipModel.load(folder, verify=False, threads=1)
        image = model.image.encode_images([Image.new("RGB", (32, 24), (128, 128, 128))])
        text = model.text.encode_texts(["a photo"])
    except PhotofindError as exc:
        raise refuse(str(exc)) from None
    if not (np.isfinite(image).all() and np.isfinite(text).all()):
        raise refuse("its graphs give non-finite vectors")

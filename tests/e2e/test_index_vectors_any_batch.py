"""`photofind index` stores for each photo the vector its fp32 graph gives it alone: the
batches the indexer cuts (smaller towards the end of a run) change no vector."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from photofind.clip import ClipModel
from photofind.library.catalog import Catalog
from photofind.testing.synthetic import COLORS, SHAPES, make_photo

ROOT = Path(__file__).resolve().parents[2]


def test_every_vector_is_the_photos_own_whatever_its_batch(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    photos, library = tmp_path / "photos", tmp_path / "library"
    photos.mkdir()
    for n in range(37):  # batches of 16 tapering to 2 on every core count
        colour, shape = list(COLORS)[n % len(COLORS)], SHAPES[n % len(SHAPES)]
        make_photo(photos / f"{n:02}.jpg", colour, shape, seed=n, size=(480, 360))
    base = [sys.executable, "-m", "photofind", "--library", str(library), "--model",
            str(tiny_model_dir)]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for args in (["folders", "add", str(photos)], ["index"]):
        done = subprocess.run([*base, *args], capture_output=True, text=True, env=env,
                              timeout=240)  # fmt: skip
        assert done.returncode == 0, done.stderr
    model = ClipModel.load(tiny_model_dir)
    catalog = Catalog(library / "catalog.sqlite")
    try:
        ids, stored = next(catalog.iter_embeddings(model.name, 1000))
        records = catalog.get_files(ids.tolist())
        paths = [records[int(i)].path for i in ids]
    finally:
        catalog.close()
    assert len(ids) == 37
    alone = np.stack([model.image.encode_pixels(model.image.preprocess_path(p)[None])[0]
                      for p in paths])  # fmt: skip
    np.testing.assert_array_equal(stored, alone)

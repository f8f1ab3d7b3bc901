"""The indexer opens each photo once: the vectors and facts it stores are those of the old
two-open path (pixels from one open, EXIF facts from another) on awkward photos."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from photofind.clip import ClipModel
from photofind.library.home import LibraryPaths
from photofind.library.library import Library
from photofind.library.metadata import read_facts
from photofind.testing.synthetic import draw, random_scene


@pytest.fixture(scope="module")
def model(tiny_model_dir: Path) -> ClipModel:
    return ClipModel.load(tiny_model_dir)


def _photos(folder: Path) -> list[Path]:
    folder.mkdir()
    scene = draw(random_scene(random.Random(3)), (1600, 1200))
    exif = Image.Exif()
    exif[0x0112] = 6  # shown rotated 90 degrees clockwise
    exif[0x010F], exif[0x0110] = "Canon", "Canon EOS R6"
    exif.get_ifd(0x8769)[0x9003] = "2021:07:04 18:30:00"
    rotated = folder / "rotated.jpg"
    scene.save(rotated, exif=exif, quality=92)
    cmyk = folder / "scan-cmyk.jpg"
    draw(random_scene(random.Random(4)), (1200, 1500)).convert("CMYK").save(cmyk, quality=92)
    png = folder / "plain.png"
    draw(random_scene(random.Random(5)), (640, 480)).save(png)
    return [rotated, cmyk, png]


def test_decode_once_stores_what_two_opens_gave(model, tmp_path):
    photos = _photos(tmp_path / "photos")
    with Library(LibraryPaths.resolve(tmp_path / "lib"), model) as library:
        library.add_folder(tmp_path / "photos")
        report = library.index()
        assert (report.indexed, report.failed) == (3, 0)
        catalog = library.catalog
        records = {catalog.file_by_path(p).path.name: catalog.file_by_path(p) for p in photos}
        ids = [records[p.name].id for p in photos]
        stored = catalog.get_embeddings(model.name, ids)
    old_pixels = np.stack([model.image.preprocess_path(p) for p in photos])  # the pixel open
    old_vectors = model.image.encode_pixels(old_pixels)
    for k, path in enumerate(photos):
        np.testing.assert_allclose(stored[ids[k]], old_vectors[k], atol=1e-5)
        facts, record = read_facts(path), records[path.name]  # the second, header-only open
        assert (record.width, record.height) == (facts.width, facts.height)
        assert (record.taken_at, record.camera) == (facts.taken_at, facts.camera)
    rotated = records["rotated.jpg"]
    assert (rotated.width, rotated.height, rotated.camera) == (1200, 1600, "Canon EOS R6")
    assert rotated.taken_at is not None

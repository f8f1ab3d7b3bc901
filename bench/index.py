"""End-to-end indexing rate of a folder of 12-megapixel JPEGs vs the image encoder alone.

    python bench/index.py [--model DIR] [--files 48] [--rounds 3]

Each round indexes a fresh library (scan, decode, encode, commit, vector index, save) and
runs the encoder alone on the same number of ready tensors, in the same process, so the
ratio is what the pipeline keeps of the model's own speed.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np
from common import WORK, camera_photos, median, model_dir, timed

from photofind.clip import ClipModel
from photofind.library.home import LibraryPaths
from photofind.library.library import Library


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path)
    parser.add_argument("--files", type=int, default=48)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    model = ClipModel.load(model_dir(args.model))
    photos = WORK / "photos12mp"
    paths = camera_photos(photos, args.files)
    for stray in sorted(photos.glob("*.jpg"))[args.files :]:
        stray.unlink()
    pixels = np.stack([model.image.preprocess_path(p) for p in paths[:16]])

    def encoder_alone() -> None:
        for _ in range(0, len(paths), 16):
            model.image.encode_pixels(pixels)

    def index() -> None:
        home = WORK / "index-lib"
        shutil.rmtree(home, ignore_errors=True)
        with Library(LibraryPaths.resolve(home), model) as library:
            library.add_folder(photos)
            report = library.index()
            assert report.indexed == len(paths), report

    encoder_alone()
    alone, full = [], []
    for _ in range(args.rounds):
        alone += timed(encoder_alone, 1)
        full += timed(index, 1)
    n = len(paths)
    a, f = n / median(alone), n / median(full)
    print(f"model {model.name}, {n} photos of 12 MP, medians of {args.rounds} rounds")
    print(f"encoder alone:          {a:6.1f} photos/s")
    print(f"index a folder (all):   {f:6.1f} photos/s")
    print(f"ratio index / encoder:  {f / a:.2f}")


if __name__ == "__main__":
    main()

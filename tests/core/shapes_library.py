"""A library of `make_photo` pictures indexed with the tiny CLIP, for the feature tests.

Photos are named `{colour}-{shape}-{seed}.jpg`, so a test reads the truth off the name.
"""

from __future__ import annotations

from itertools import product
from pathlib import Path

from photofind.clip import ClipModel
from photofind.library.home import LibraryPaths
from photofind.library.library import Library
from photofind.testing.synthetic import make_photo

WARM = ("red", "orange", "yellow")
ROUND = ("circle", "heart")


def truth(path: Path) -> tuple[str, str]:
    """(colour, shape) of a photo written by `write_shapes`."""
    colour, shape, _ = path.stem.split("-")
    return colour, shape


def write_shapes(folder: Path, colours, shapes, seeds=(0,)) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n, (colour, shape, seed) in enumerate(product(colours, shapes, seeds)):
        path = folder / f"{colour}-{shape}-{seed}.jpg"
        make_photo(path, colour, shape, size=(200 + 8 * (n % 8), 160), seed=seed * 100 + n)
        paths.append(path)
    return paths


def open_shapes_library(home: Path, model: ClipModel, folder: Path) -> Library:
    library = Library(LibraryPaths.resolve(home), model)
    library.add_folder(folder)
    library.index()
    return library

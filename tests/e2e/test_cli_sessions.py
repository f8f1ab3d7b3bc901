"""The console script opens only what a command needs: a search loads the text graph alone,
indexing the image graph, a second start hashes nothing, --fast runs the int8 graphs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from photofind.clip.manifest import sha256_file
from photofind.testing.synthetic import make_photo
from tests.e2e.test_cli import run


@pytest.fixture
def model(tiny_model_dir: Path, tmp_path: Path) -> Path:
    """A copy of the tiny model with a stand-in int8 image graph listed in its manifest."""
    folder = tmp_path / "model"
    shutil.copytree(tiny_model_dir, folder)
    (folder / ".verified.json").unlink(missing_ok=True)
    shutil.copyfile(folder / "visual.onnx", folder / "visual.int8.onnx")
    data = json.loads((folder / "manifest.json").read_text())
    data["files"]["visual.int8.onnx"] = sha256_file(folder / "visual.int8.onnx")
    (folder / "manifest.json").write_text(json.dumps(data))
    return folder


def test_each_command_opens_only_its_graphs_and_hashes_once(model, tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    make_photo(photos / "red-circle.jpg", "red", "circle", seed=1)
    make_photo(photos / "blue-square.png", "blue", "square", fmt="png", seed=2)
    library = tmp_path / "library"
    run("folders", "add", str(photos), library=library)
    first = run("--verbose", "index", library=library, model=model).stderr
    assert "(sha256)" in first and "opened visual.onnx" in first
    assert "textual" not in first  # 2 photos: too few for the labels, so no text graph
    search = run("--verbose", "search", "red circle", library=library, model=model)
    assert search.stdout.splitlines()[0].endswith("red-circle.jpg")
    assert "opened textual.onnx" in search.stderr
    assert "visual" not in search.stderr and "(sha256)" not in search.stderr
    make_photo(photos / "green-triangle.jpg", "green", "triangle", seed=3)
    fast = run("--verbose", "index", "--fast", library=library, model=model)
    assert "indexed 1 photos" in fast.stdout
    assert "opened visual.int8.onnx" in fast.stderr and "(sha256)" not in fast.stderr

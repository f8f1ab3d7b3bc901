"""Sessions open only when used, and a stamped model folder is trusted without hashing."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from photofind.clip import ClipModel, manifest, stamp
from photofind.errors import ModelFolderError


@pytest.fixture
def folder(tiny_model_dir: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "model"
    shutil.copytree(tiny_model_dir, copy)
    (copy / stamp.STAMP).unlink(missing_ok=True)
    return copy


@pytest.fixture
def hashed(monkeypatch) -> list[str]:
    """The names of the files sha256 reads from now on."""
    seen: list[str] = []
    real = manifest.sha256_file

    def counting(path: Path) -> str:
        seen.append(path.name)
        return real(path)

    monkeypatch.setattr(manifest, "sha256_file", counting)
    return seen


def test_a_text_query_opens_only_the_text_session(folder):
    model = ClipModel.load(folder)
    assert not model.loaded("text") and not model.loaded("image")
    vectors = model.text.encode_texts(["a red circle"])
    assert vectors.shape == (1, model.embed_dim)
    assert model.loaded("text") and not model.loaded("image")


def test_preload_opens_in_the_background_and_first_use_waits_for_it(folder):
    model = ClipModel.load(folder)
    model.preload("image")
    pixels = np.zeros((2, 3, *model.manifest.image_size), np.float32)
    assert model.image.encode_pixels(pixels).shape == (2, model.embed_dim)
    assert model.loaded("image") and not model.loaded("text")
    first = model.image
    model.preload("image")  # a second preload opens nothing new
    assert model.image is first


def test_the_first_start_hashes_and_stamps_later_starts_do_not(folder, hashed):
    ClipModel.load(folder)
    assert sorted(hashed) == sorted(json.loads((folder / "manifest.json").read_text())["files"])
    assert (folder / stamp.STAMP).is_file()
    hashed.clear()
    ClipModel.load(folder)
    assert hashed == []


def test_a_file_changed_after_the_stamp_is_hashed_again_and_named(folder, hashed):
    ClipModel.load(folder)
    hashed.clear()
    graph = folder / "visual.onnx"
    data = bytearray(graph.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size: only the mtime gives it away
    graph.write_bytes(bytes(data))
    info = graph.stat()
    os.utime(graph, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000))
    with pytest.raises(ModelFolderError, match=r"visual\.onnx is damaged or incomplete"):
        ClipModel.load(folder)
    assert "visual.onnx" in hashed


def test_a_folder_it_cannot_write_to_still_loads(folder, monkeypatch, hashed):
    def refuse(*args, **kwargs):
        raise PermissionError("read-only")

    monkeypatch.setattr(stamp.Path, "write_text", refuse)
    ClipModel.load(folder)
    ClipModel.load(folder)
    assert not (folder / stamp.STAMP).exists()
    assert hashed.count("visual.onnx") == 2  # hashed each time, as before stamps


def test_the_fast_setting_runs_the_int8_graphs_the_manifest_lists(folder, caplog):
    assert ClipModel.load(folder, int8=True).graph_path("image").name == "visual.onnx"
    assert "no int8 visual graph" in caplog.text
    shutil.copyfile(folder / "visual.onnx", folder / "visual.int8.onnx")  # a stand-in graph
    data = json.loads((folder / "manifest.json").read_text())
    data["files"]["visual.int8.onnx"] = manifest.sha256_file(folder / "visual.int8.onnx")
    (folder / "manifest.json").write_text(json.dumps(data))
    model = ClipModel.load(folder, int8=True)
    assert model.graph_path("image").name == "visual.int8.onnx"
    assert model.graph_path("text").name == "textual.onnx"  # none listed: fp32
    size = model.manifest.image_size
    assert model.image.encode_pixels(np.zeros((1, 3, *size), np.float32)).shape[0] == 1

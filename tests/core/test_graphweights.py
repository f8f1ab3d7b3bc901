"""Graphs stored with their weights in a mapped file: same results, verified, kill-safe."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from photofind.clip import graphweights, providers
from photofind.clip.manifest import read_manifest, verify_model_folder
from photofind.clip.model import ClipModel
from photofind.errors import ModelFolderError

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "tiny-clip"
TEXTS = ["a red circle", "two blue squares on grass", "x"]


def _embeddings(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    model = ClipModel.load(folder, providers=[providers.CPU])
    images = [Image.open(p).convert("RGB") for p in sorted((folder / "reference").glob("*.png"))]
    pixels = np.stack([model.image.preprocess_image(img) for img in images])
    return model.text.encode_texts(TEXTS), model.image.encode_pixels(pixels)


def test_a_rewritten_folder_gives_the_same_vectors_and_verifies(tmp_path):
    folder = tmp_path / "tiny-clip"
    shutil.copytree(TINY, folder)
    assert graphweights.externalize_folder(folder) == ["textual.onnx", "visual.onnx"]
    manifest = verify_model_folder(folder)  # every new file hashed as the manifest says
    for graph in ("textual.onnx", "visual.onnx"):
        assert graphweights.weights_name(graph) in manifest.files
        # the graph file is the structure only; the weights are beside it
        assert (folder / graph).stat().st_size * 10 < (TINY / graph).stat().st_size
    assert graphweights.inline_graphs(manifest) == []
    assert graphweights.externalize_folder(folder) == []  # nothing left to do
    assert not list(folder.glob(".*.rewrite"))
    text, image = _embeddings(folder)
    text_before, image_before = _embeddings(TINY)
    np.testing.assert_allclose(text, text_before, atol=1e-6)
    np.testing.assert_allclose(image, image_before, atol=1e-6)


def test_a_damaged_weights_file_is_named_by_the_check(tmp_path):
    folder = tmp_path / "tiny-clip"
    shutil.copytree(TINY, folder)
    graphweights.externalize_folder(folder)
    data = folder / "textual.onnx.data"
    with data.open("r+b") as stream:
        stream.seek(1000)
        stream.write(b"\x00" * 64)
    with pytest.raises(ModelFolderError, match=r"textual\.onnx\.data is damaged"):
        verify_model_folder(folder)


def test_a_rewrite_that_disagrees_keeps_that_graph_as_it_was(tmp_path, monkeypatch):
    folder = tmp_path / "tiny-clip"
    shutil.copytree(TINY, folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    real = providers.save_with_weights_file

    def wrong(source: Path, target: Path, weights: str) -> None:  # another graph instead
        real(source.with_name("visual.onnx"), target, weights)

    monkeypatch.setattr(providers, "save_with_weights_file", wrong)
    assert graphweights.externalize_folder(folder) == ["visual.onnx"]  # the text one refused
    after = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    assert after["textual.onnx"] == before["textual.onnx"]  # kept inline, as it was
    assert "textual.onnx.data" not in after and not list(folder.glob(".*.rewrite"))
    manifest = verify_model_folder(folder)  # the manifest lists exactly what is there
    assert graphweights.inline_graphs(manifest) == ["textual.onnx"]


def test_graphs_published_with_weights_beside_them_are_left_alone(tmp_path):
    folder = tmp_path / "tiny-clip"
    shutil.copytree(TINY, folder)
    (folder / "visual.onnx_data").write_bytes(b"weights published beside the graph")
    data = json.loads((folder / "manifest.json").read_text())
    data["files"]["visual.onnx_data"] = ""
    (folder / "manifest.json").write_text(json.dumps(data))
    assert graphweights.inline_graphs(read_manifest(folder)) == ["textual.onnx"]


def _prepacking(session) -> bool:
    try:
        return (
            session.get_session_options().get_session_config_entry("session.disable_prepacking")
            != "1"
        )
    except Exception:  # onnxruntime: the entry was never set, so prepacking is on
        return True


def _packed_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "text-packed"]


def test_the_text_session_opens_unpacked_and_a_second_call_swaps_in_a_packed_one(tmp_path):
    folder = tmp_path / "tiny-clip"
    shutil.copytree(TINY, folder)
    graphweights.externalize_folder(folder)
    encoder = ClipModel.load(folder, providers=[providers.CPU]).text
    assert not _prepacking(encoder.session)  # quick to open: a cold query's one run
    first = encoder.encode_texts(TEXTS)
    assert not _packed_threads()  # a one-query command never pays for the packed session
    second = encoder.encode_texts(TEXTS)
    for thread in _packed_threads():
        thread.join(timeout=60)
    assert _prepacking(encoder.session)
    third = encoder.encode_texts(TEXTS)
    np.testing.assert_allclose(second, first, atol=1e-6)
    np.testing.assert_allclose(third, first, atol=1e-5)  # packed kernels: same to rounding


def test_the_image_session_keeps_prepacking_for_batches():
    model = ClipModel.load(TINY, providers=[providers.CPU])
    assert _prepacking(model.image.session)

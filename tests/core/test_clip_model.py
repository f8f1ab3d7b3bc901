"""The encoders against the committed tiny model: parity with PyTorch, tokenizer, folder checks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from photofind.clip import ClipModel, providers, read_manifest, verify_model_folder
from photofind.errors import ImageLoadError, ModelError, ModelFolderError


@pytest.fixture(scope="module")
def model(tiny_model_dir: Path) -> ClipModel:
    return ClipModel.load(tiny_model_dir)


@pytest.fixture(scope="module")
def reference(tiny_model_dir: Path) -> dict:
    return json.loads((tiny_model_dir / "reference" / "reference.json").read_text("utf-8"))


def cosines(a, b) -> np.ndarray:
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    return (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def test_image_embeddings_match_pytorch(model, reference, tiny_model_dir):
    files = [tiny_model_dir / "reference" / name for name in reference["images"]]
    assert any(min(Image.open(f).size) > 4 * max(model.image.input_size) for f in files), (
        "the reference set needs a large JPEG so draft decoding is exercised"
    )
    full = np.stack([model.image.preprocess_path(f, draft=False) for f in files])
    exact = cosines(model.image.encode_pixels(full), reference["image_embeds"])
    assert exact.min() >= 0.9999, exact
    drafted = cosines(model.image.encode_images(files), reference["image_embeds"])
    assert drafted.min() >= 0.999, drafted


def test_text_embeddings_match_pytorch(model, reference):
    vectors = model.text.encode_texts(reference["texts"])
    assert vectors.shape == (len(reference["texts"]), model.embed_dim)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert cosines(vectors, reference["text_embeds"]).min() >= 0.9999


def test_tokenizer_gives_open_clips_ids(model, reference):
    cases = reference["tokenizer_cases"]
    assert len(cases) >= 200
    ours = model.text.tokenize([c["text"] for c in cases])
    wrong = [c["text"] for c, row in zip(cases, ours, strict=True) if row.tolist() != c["ids"]]
    assert not wrong, wrong[:5]


def test_variable_length_text_gives_the_same_vectors(model, reference, monkeypatch):
    # The tiny model's text tower is causal, so the export must have found the cut safe.
    assert model.manifest.text_variable_length
    cut = model.text.encode_texts(reference["texts"])
    monkeypatch.setattr(model.text, "variable_length", False)
    full = model.text.encode_texts(reference["texts"])
    assert cosines(cut, full).min() >= 0.99999


def test_encode_files_goes_on_past_bad_files(model, tmp_path, reference, tiny_model_dir):
    good = tiny_model_dir / "reference" / reference["images"][0]
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    text = tmp_path / "text.png"
    text.write_text("hello")
    paths = [good, empty, good, text, tmp_path / "missing.jpg", good]
    result = model.image.encode_files(paths, batch_size=2)
    assert result.ok == [0, 2, 5]
    assert sorted(result.errors) == [1, 3, 4]
    assert "empty file" in result.errors[1] and "not an image" in result.errors[3]
    assert result.vectors.shape == (3, model.embed_dim)
    assert cosines(result.vectors[:1], result.vectors[2:]).min() > 0.9999
    with pytest.raises(ImageLoadError):
        model.image.encode_images([empty])


def _copy(tiny_model_dir: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "model"
    shutil.copytree(tiny_model_dir, folder)
    return folder


def test_missing_file_is_named(tiny_model_dir, tmp_path):
    folder = _copy(tiny_model_dir, tmp_path)
    (folder / "textual.onnx").unlink()
    with pytest.raises(ModelFolderError, match=r"textual\.onnx is missing"):
        ClipModel.load(folder)


def test_truncated_graph_is_named_before_onnxruntime_sees_it(tiny_model_dir, tmp_path):
    folder = _copy(tiny_model_dir, tmp_path)
    data = (folder / "visual.onnx").read_bytes()
    (folder / "visual.onnx").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFolderError, match=r"visual\.onnx is damaged or incomplete"):
        verify_model_folder(folder)
    model = ClipModel.load(folder, verify=False)  # sessions open on first use
    with pytest.raises(ModelError, match=r"visual\.onnx"):
        model.image.encode_pixels(np.zeros((1, 3, *model.manifest.image_size), np.float32))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m.pop("embed_dim"), "lacks the key 'embed_dim'"),
        (lambda m: m.update(format=99), "unsupported manifest format"),
        (lambda m: m.update(resize="stretch"), "unknown resize mode"),
        (lambda m: m["files"].pop("tokenizer.json"), "does not list tokenizer.json"),
        (lambda m: m.update(mean=[0.5, 0.5]), "mean and std"),
        (lambda m: m.update(mean="grey"), "malformed value"),
    ],
)
def test_bad_manifest(tiny_model_dir, tmp_path, change, message):
    folder = _copy(tiny_model_dir, tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    change(manifest)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelFolderError, match=message):
        read_manifest(folder)


def test_unreadable_manifest(tmp_path):
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(ModelFolderError, match="unreadable"):
        read_manifest(tmp_path)
    with pytest.raises(ModelFolderError, match="does not exist"):
        read_manifest(tmp_path / "nowhere")


def test_failing_provider_falls_back_to_cpu(tiny_model_dir, monkeypatch, caplog):
    real = providers.ort.InferenceSession
    tried = []

    def fake(path, sess_options=None, providers=None):
        tried.append(list(providers))
        if providers != ["CPUExecutionProvider"]:
            raise RuntimeError("DirectML device lost")
        return real(path, sess_options=sess_options, providers=providers)

    monkeypatch.setattr(providers.ort, "InferenceSession", fake)
    monkeypatch.setattr(providers.ort, "get_available_providers",
                        lambda: ["DmlExecutionProvider", "CPUExecutionProvider"])  # fmt: skip
    monkeypatch.setattr(providers.sys, "platform", "win32")
    model = ClipModel.load(tiny_model_dir, verify=False)
    assert model.text.encode_texts(["a photo"]).shape == (1, model.embed_dim)
    assert tried[0] == ["DmlExecutionProvider", "CPUExecutionProvider"]
    assert ["CPUExecutionProvider"] in tried
    assert "falling back to CPU" in caplog.text


def test_provider_override_from_the_environment(monkeypatch):
    monkeypatch.setenv(providers.PROVIDERS_ENV, "NoSuchProvider,CPUExecutionProvider")
    assert providers.choose_providers() == ["CPUExecutionProvider"]

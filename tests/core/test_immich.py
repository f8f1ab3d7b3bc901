"""Immich's published exports: conversion, refusals, import, and installing from a hub.

tests/fixtures/tiny-clip-immich holds the committed tiny CLIP's weights exported the way
Immich's exporter does (fixed batch of one, int32 text, Hugging Face tokenizer files), so a
correct conversion must give the very vectors the tiny-clip folder gives.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from photofind.clip.manifest import read_manifest, sha256_file
from photofind.clip.model import ClipModel
from photofind.errors import ModelFolderError
from photofind.modelstore import ModelStore, immich

TEXTS = [
    "a photo of a red circle",
    "two small blue squares at the top",
    "",
    "Café déjà vu, “quoted” &amp; ＦＵＬＬ width",
    "a very long description " * 20,
]


@pytest.fixture(scope="module")
def converted(tmp_path_factory, tiny_immich_dir) -> Path:
    target = tmp_path_factory.mktemp("converted") / "tiny__immich"
    immich.convert(tiny_immich_dir, target, name="tiny__immich")
    return target


def _reference_images(tiny_model_dir: Path) -> list[Path]:
    return sorted((tiny_model_dir / "reference").glob("image*"))


def test_a_converted_export_gives_the_original_vectors(converted, tiny_model_dir):
    original = ClipModel.load(tiny_model_dir)
    model = ClipModel.load(converted)
    images = _reference_images(tiny_model_dir)
    cos = (original.image.encode_images(images) * model.image.encode_images(images)).sum(1)
    assert cos.min() >= 0.9999
    cos = (original.text.encode_texts(TEXTS) * model.text.encode_texts(TEXTS)).sum(1)
    assert cos.min() >= 0.9999


def test_the_manifest_is_read_from_immichs_configs(converted, tiny_immich_dir):
    manifest = read_manifest(converted)
    assert manifest.name == "tiny__immich"
    assert (manifest.arch, manifest.pretrained) == ("tiny", "immich")
    assert manifest.embed_dim == 64 and manifest.image_size == (64, 64)
    assert manifest.context_length == 32 and not manifest.text_variable_length
    assert manifest.tokenizer.pad_token_id == 49407  # the Hugging Face config pads with EOT
    assert manifest.raw["source"]["kind"] == "immich"
    # The graphs are used as published, byte for byte.
    assert manifest.files["visual.onnx"] == sha256_file(tiny_immich_dir / "visual/model.onnx")
    assert manifest.files["textual.onnx"] == sha256_file(tiny_immich_dir / "textual/model.onnx")


def test_the_hugging_face_tokenizer_gives_open_clips_ids(converted, tiny_model_dir):
    reference = json.loads((tiny_model_dir / "reference" / "reference.json").read_text())
    model = ClipModel.load(converted)
    cases = reference["tokenizer_cases"]
    ids = model.text.tokenize([c["text"] for c in cases])
    lengths = model.text.tokenizer.lengths(ids)
    for row, case, length in zip(ids, cases, lengths, strict=True):
        assert list(row[:length]) == case["ids"][:length], case["text"]


def test_fixed_batch_graphs_are_fed_one_row_at_a_time(converted, tiny_model_dir):
    model = ClipModel.load(converted)
    images = _reference_images(tiny_model_dir)
    together = model.image.encode_images(images, batch_size=16)
    alone = np.concatenate([model.image.encode_images([i]) for i in images])
    assert together.shape == (len(images), 64)
    np.testing.assert_allclose(together, alone, atol=1e-6)
    texts = model.text.encode_texts(TEXTS)
    assert texts.shape == (len(TEXTS), 64)


def _edit_json(folder: Path, name: str, change) -> None:
    path = folder / name
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


BROKEN = {
    "no config": (lambda f: (f / "config.json").unlink(), "config.json is missing"),
    "hf tokenizer without a pad token": (
        lambda f: (
            _edit_json(
                f, "config.json", lambda d: d["text_cfg"].update(hf_tokenizer_name="timm/x")
            ),
            _edit_json(f, "textual/tokenizer_config.json", lambda d: d.pop("pad_token")),
        ),
        "no pad token None",
    ),
    "other cleaning": (
        lambda f: _edit_json(
            f,
            "config.json",
            lambda d: d["text_cfg"].update(tokenizer_kwargs={"clean": "whitespace_underscore"}),
        ),
        "text cleaning 'whitespace_underscore'",
    ),
    "longest resize": (
        lambda f: _edit_json(
            f, "visual/preprocess_cfg.json", lambda d: d.update(resize_mode="longest")
        ),
        "resize mode 'longest'",
    ),
    "size the graph does not take": (
        lambda f: _edit_json(f, "visual/preprocess_cfg.json", lambda d: d.update(size=96)),
        "has shape [1, 3, 64, 64]",
    ),
    "wrong embedding size": (
        lambda f: _edit_json(f, "config.json", lambda d: d.update(embed_dim=128)),
        "vectors of shape (1, 64)",
    ),
    "not a BPE tokenizer": (
        lambda f: _edit_json(f, "textual/tokenizer.json", lambda d: d["model"].update(type="X")),
        "not CLIP's BPE",
    ),
    "truncated graph": (
        lambda f: (f / "textual/model.onnx").write_bytes(
            (f / "textual/model.onnx").read_bytes()[:50_000]
        ),
        "textual.onnx",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_unusable_exports_are_refused_with_the_reason(case, tmp_path, tiny_immich_dir):
    source = tmp_path / "ViT-X__broken"
    shutil.copytree(tiny_immich_dir, source)
    damage, reason = BROKEN[case]
    damage(source)
    with pytest.raises(ModelFolderError) as caught:
        immich.convert(source, tmp_path / "out")
    message = str(caught.value)
    assert "not an Immich CLIP export photofind can use" in message and reason in message
    # Nothing half-installed when the same folder is imported.
    store = ModelStore(tmp_path / "models")
    with pytest.raises(ModelFolderError):
        store.import_folder(source)
    assert store.installed() == [] and store.active_name() is None
    assert not list((tmp_path / "models").glob(".incoming-*"))


def test_the_store_imports_an_immich_folder_such_as_immichs_cache(tmp_path, tiny_immich_dir):
    cache = tmp_path / "cache" / "clip" / "ViT-B-32__openai"
    shutil.copytree(tiny_immich_dir, cache)
    store = ModelStore(tmp_path / "models")
    installed = store.import_folder(cache)
    assert installed.name == "ViT-B-32__openai" and store.active_name() == "ViT-B-32__openai"
    store.verify("ViT-B-32__openai")
    assert (installed.manifest.arch, installed.manifest.pretrained) == ("ViT-B-32", "openai")
    assert sorted(p.name for p in installed.folder.iterdir()) == [
        ".verified.json",  # the stamp the install's full check wrote (clip/stamp.py)
        "manifest.json",
        "textual.onnx",
        "textual.onnx.data",  # weights ONNX Runtime maps (clip/graphweights.py)
        "tokenizer.json",
        "visual.onnx",
        "visual.onnx.data",
    ]
    assert (cache / "visual" / "model.onnx").is_file()  # an import copies, never moves


SIGLIP = Path(__file__).resolve().parents[1] / "fixtures" / "tiny-siglip-immich"


def test_a_siglip_export_converts_with_its_sentencepiece_facts(tmp_path):
    target = tmp_path / "tiny__siglip"
    immich.convert(SIGLIP, target, name="tiny__siglip", multilingual=True)
    manifest = read_manifest(target)
    assert manifest.tokenizer.kind == "hf" and manifest.tokenizer.clean == "canonicalize"
    assert (manifest.tokenizer.prefix_ids, manifest.tokenizer.suffix_ids) == ((), (1,))
    assert manifest.tokenizer.pad_token_id == 0
    assert manifest.resize == "squash" and manifest.context_length == 64
    assert manifest.multilingual  # the catalog's word wins over the tiny vocabulary's size
    ids = ClipModel.load(target).text.tokenize(["Ein ROTER Kreis!"])[0]
    assert ids[0] != 0 and list(ids).count(1) == 1 and ids[-1] == 0  # ... <eos>, <pad>s


def test_an_external_data_export_keeps_each_encoder_in_its_folder(tmp_path, tiny_immich_dir):
    # Weights in external data files beside each graph (Immich's exports over 2 GB): the
    # two folders are kept apart, with every file, and the graphs still find their data.
    import onnx

    source = tmp_path / "ViT-X__big"
    shutil.copytree(tiny_immich_dir, source)
    for encoder in ("visual", "textual"):
        graph = onnx.load(str(source / encoder / "model.onnx"))
        onnx.save(graph, str(source / encoder / "model.onnx"), save_as_external_data=True,
                  all_tensors_to_one_file=True, location="weights.bin")  # fmt: skip
    target = tmp_path / "converted"
    immich.convert(source, target, name="ViT-X__big")
    manifest = read_manifest(target)
    assert manifest.graphs == {"visual": "visual/model.onnx", "textual": "textual/model.onnx"}
    assert {"visual/weights.bin", "textual/weights.bin"} <= set(manifest.files)
    images = sorted(Path(tiny_immich_dir).parent.glob("tiny-clip/reference/image*"))
    original = ClipModel.load(Path(tiny_immich_dir).parent / "tiny-clip")
    cos = original.image.encode_images(images) * ClipModel.load(target).image.encode_images(images)
    assert cos.sum(1).min() >= 0.9999

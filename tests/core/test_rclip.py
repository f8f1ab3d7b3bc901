"""rclip's published layout: conversion parity, the facts read from the graphs, refusals.

tests/fixtures/tiny-clip-rclip holds the committed tiny CLIP's graphs edited into rclip's
layout (models/rclip_layout.py: renamed inputs, fixed text length, float16 image input, the
gzipped BPE vocabulary instead of tokenizer.json), so a correct conversion must give the
vectors of tests/fixtures/tiny-clip.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from photofind.clip.manifest import read_manifest, sha256_file, verify_model_folder
from photofind.clip.model import ClipModel
from photofind.errors import ModelFolderError
from photofind.modelstore import layouts, rclip, registry

RCLIP = Path(__file__).resolve().parents[1] / "fixtures" / "tiny-clip-rclip"
SUB = "tiny-resnet-synthetic-none"
TEXTS = [
    "a photo of a red circle",
    "ein roter Kreis auf blauem Grund",
    "красный круг",
    "红色的圆圈",
    "🔴 circle!!! (red)",
    "",
    "a very long description " * 20,
]


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("rclip") / "tiny__rclip"
    layouts.convert(layouts.kind_of_folder(RCLIP), RCLIP, target, name="tiny__rclip")
    return target


def test_an_rclip_folder_is_recognised():
    assert layouts.kind_of_folder(RCLIP) == rclip.KIND
    assert layouts.kind_of_folder(RCLIP / SUB) is None


def test_the_converted_folder_gives_the_original_vectors(converted, tiny_model_dir):
    original, model = ClipModel.load(tiny_model_dir), ClipModel.load(converted)
    images = sorted((tiny_model_dir / "reference").glob("image*"))
    cos = (original.image.encode_images(images) * model.image.encode_images(images)).sum(1)
    assert cos.min() > 0.9999
    cos = (original.text.encode_texts(TEXTS) * model.text.encode_texts(TEXTS)).sum(1)
    assert cos.min() > 0.9999


def test_the_tokenizer_built_from_the_vocabulary_gives_open_clips_ids(converted, tiny_model_dir):
    cases = json.loads((tiny_model_dir / "reference" / "reference.json").read_text())
    cases = cases["tokenizer_cases"]
    model = ClipModel.load(converted)
    ids = model.text.tokenize([c["text"] for c in cases])
    for row, case in zip(ids, cases, strict=True):
        # open_clip's ids were recorded at the tiny model's 32 tokens; rclip's graph fixes 32.
        assert list(row) == case["ids"], case["text"]


def test_the_manifest_holds_what_the_graphs_say(converted):
    manifest = read_manifest(converted)
    assert manifest.image_size == (64, 64) and manifest.context_length == 32
    assert manifest.embed_dim == 64 and not manifest.text_variable_length
    assert manifest.inputs.image_dtype == "float16"
    assert (manifest.inputs.image_input, manifest.inputs.text_input) == ("input", "input")
    assert manifest.tokenizer.prefix_ids == (49406,) and manifest.tokenizer.pad_token_id == 0
    # The graphs are used as published, byte for byte; the licences travel with the model.
    assert manifest.files["visual.onnx"] == sha256_file(RCLIP / SUB / "visual.onnx")
    assert (converted / "LICENSE").read_text() == (RCLIP / "LICENSE").read_text()
    assert "LICENSE" in manifest.files and "OPENAI-CLIP-MIT.txt" in manifest.files
    verify_model_folder(converted)


def test_the_default_entry_fetches_rclips_files():
    entry = registry.find_entry(registry.default_name())
    assert layouts.kind_of_entry(entry) == rclip.KIND
    wanted = layouts.wanted_files(entry)
    assert "ViT-B-32-256-datacomp_s34b_b86k/visual.onnx" in wanted
    assert "ViT-B-32-256-datacomp_s34b_b86k/textual.onnx" in wanted
    assert "tokenizer/bpe_simple_vocab_16e6.txt.gz" in wanted and "LICENSE" in wanted


def _broken(tmp_path: Path, damage) -> Path:
    source = tmp_path / "rclip-models"
    shutil.copytree(RCLIP, source)
    damage(source)
    return source


BROKEN = {
    "no vocabulary": (lambda s: (s / rclip.VOCAB).unlink(), "bpe_simple_vocab_16e6.txt.gz"),
    "not a vocabulary": (
        lambda s: (s / rclip.VOCAB).write_bytes(b"not gzip"),
        "not CLIP's BPE vocabulary",
    ),
    "two model folders": (lambda s: shutil.copytree(s / SUB, s / "other"), "found other, tiny"),
    "truncated graph": (
        lambda s: (s / SUB / "textual.onnx").write_bytes(
            (s / SUB / "textual.onnx").read_bytes()[:40_000]
        ),
        "textual.onnx does not load",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_unusable_folders_are_refused_with_the_reason(case, tmp_path):
    damage, reason = BROKEN[case]
    source = _broken(tmp_path, damage)
    with pytest.raises(ModelFolderError) as caught:
        rclip.convert(source, tmp_path / "out", name="x")
    assert "not an rclip model repository" in str(caught.value)
    assert reason in str(caught.value)


def test_a_float32_export_as_rclip_publishes_it_today(tmp_path, tiny_model_dir):
    # rclip's scripts/convert_model.py exports float32 input; the fixture takes float16.
    import importlib.util

    tool = Path(__file__).resolve().parents[2] / "models" / "rclip_layout.py"
    spec = importlib.util.spec_from_file_location("rclip_layout", tool)
    assert spec is not None and spec.loader is not None
    rclip_layout = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rclip_layout)  # the dev tool itself (needs only onnx)
    rclip_graph = rclip_layout.rclip_graph

    source = tmp_path / "rclip-models"
    shutil.copytree(RCLIP, source)
    rclip_graph(tiny_model_dir / "visual.onnx", source / SUB / "visual.onnx", length=None,
                float16=False)  # fmt: skip
    target = tmp_path / "converted"
    rclip.convert(source, target, name="tiny__rclip32")
    model = ClipModel.load(target)
    assert model.manifest.inputs.image_dtype == "float32"
    images = sorted((tiny_model_dir / "reference").glob("image*"))
    original = ClipModel.load(tiny_model_dir).image.encode_images(images)
    assert (original * model.image.encode_images(images)).sum(1).min() > 0.9999


def test_converting_for_a_catalog_entry_records_its_facts(tmp_path):
    # What the installer hands over after a download: the entry's facts go into the manifest.
    entry = {
        **registry.find_entry(registry.default_name()),
        "source": {"kind": "rclip", "repo": "yurijmikhalevich/rclip-models",
                   "revision": "main", "model_folder": SUB},
    }  # fmt: skip
    target = tmp_path / "installed"
    layouts.convert("rclip", RCLIP, target, name=entry["name"], entry=entry)
    manifest = read_manifest(target)
    assert (manifest.arch, manifest.pretrained) == ("ViT-B-32-256", "datacomp_s34b_b86k")
    assert manifest.raw["source"]["repo"] == "yurijmikhalevich/rclip-models"
    assert manifest.raw["source"]["model_folder"] == SUB and not manifest.multilingual
    assert manifest.license.startswith("MIT")

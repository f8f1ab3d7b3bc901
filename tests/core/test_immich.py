"""Immich's published exports: conversion, refusals, import, and installing from a hub.

tests/fixtures/tiny-clip-immich holds the committed tiny CLIP's weights exported the way
Immich's exporter does (fixed batch of one, int32 text, Hugging Face tokenizer files), so a
correct conversion must give the very vectors the tiny-clip folder gives.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from local_http import Server

from photofind.clip.manifest import read_manifest, sha256_file
from photofind.clip.model import ClipModel
from photofind.errors import DownloadError, ModelFolderError
from photofind.models import ModelStore, catalog, immich
from photofind.models import download as dl

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
    "siglip tokenizer": (
        lambda f: _edit_json(
            f, "config.json", lambda d: d["text_cfg"].update(hf_tokenizer_name="timm/siglip")
        ),
        "timm/siglip tokenizer",
    ),
    "other cleaning": (
        lambda f: _edit_json(
            f,
            "config.json",
            lambda d: d["text_cfg"].update(tokenizer_kwargs={"clean": "canonicalize"}),
        ),
        "text cleaning 'canonicalize'",
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
        "manifest.json",
        "textual.onnx",
        "tokenizer.json",
        "visual.onnx",
    ]
    assert (cache / "visual" / "model.onnx").is_file()  # an import copies, never moves


# -- installing from a hub ----------------------------------------------------------------

REPO = "immich-app/tiny__immich"


def _git_blob(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class Hub:
    """A Hugging Face-like hub on 127.0.0.1: `resolve` URLs and the API's tree listing."""

    def __init__(self, root: Path, source: Path) -> None:
        files = root / REPO / "resolve" / "main"
        shutil.copytree(source, files)
        (files / "README.md").write_text("not needed by photofind\n")
        listing = []
        for path in sorted(p for p in files.rglob("*") if p.is_file()):
            data = path.read_bytes()
            item = {"type": "file", "path": path.relative_to(files).as_posix(), "size": len(data)}
            if path.suffix == ".onnx":  # large files live in LFS: sha256 in "lfs"
                item["oid"] = "0" * 40
                item["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data)}
            else:
                item["oid"] = _git_blob(data)
            listing.append(item)
        listing.append({"type": "directory", "path": "visual", "oid": "1" * 40, "size": 0})
        self.listing_path = root / "api" / "models" / REPO / "tree" / "main"
        self.listing_path.parent.mkdir(parents=True)
        self.write_listing(listing)
        self.server = Server(root)
        self.url = self.server.url

    def write_listing(self, listing: list[dict]) -> None:
        self.listing = listing
        self.listing_path.write_text(json.dumps(listing))

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def hub(tmp_path, tiny_immich_dir):
    h = Hub(tmp_path / "hub", tiny_immich_dir)
    yield h
    h.close()


@pytest.fixture
def hub_entry(hub, monkeypatch):
    item = {
        "name": "tiny__immich",
        "arch": "tiny-resnet-synthetic",
        "pretrained": "synthetic",
        "license": "MIT",
        "source": {
            "kind": "immich",
            "repo": REPO,
            "revision": "main",
            "listing": f"{hub.url}/api/models/{REPO}/tree/main?recursive=true",
        },
        "files": [
            {"path": p, "url": f"{hub.url}/{REPO}/resolve/main/{p}", "sha256": None}
            for p in immich.FILES
        ],
    }
    monkeypatch.setattr(catalog, "find_entry", lambda name: item)
    monkeypatch.setattr(dl.time, "sleep", lambda s: None)
    return item


def test_install_from_the_hub_checks_each_file_against_its_listing(
    tmp_path, hub, hub_entry, tiny_model_dir
):
    store = ModelStore(tmp_path / "models")
    seen = []
    installed = store.install("tiny__immich", progress=seen.append)
    assert store.active_name() == "tiny__immich"
    store.verify("tiny__immich")
    wanted = {i["path"]: i["size"] for i in hub.listing if i["path"] in immich.FILES}
    assert seen[-1].done == seen[-1].total == sum(wanted.values())
    fetched = {name for name, _ in hub.server.requests}
    assert not any(name.endswith("README.md") for name in fetched)
    source = installed.manifest.raw["source"]
    assert source == {"kind": "immich", "repo": REPO, "revision": "main"}
    assert installed.manifest.license == "MIT"
    original = ClipModel.load(tiny_model_dir)
    model = ClipModel.load(installed.folder)
    assert (original.text.encode_texts(TEXTS) * model.text.encode_texts(TEXTS)).sum(
        1
    ).min() > 0.9999
    assert not list((tmp_path / "models").glob(".incoming-*"))
    assert not (tmp_path / "models" / ".downloads").exists() or not any(
        (tmp_path / "models" / ".downloads").iterdir()
    )


def test_a_corrupted_graph_fails_the_hubs_sha256(tmp_path, hub, hub_entry):
    hub.server.corrupt.add(f"{REPO}/resolve/main/textual/model.onnx")
    store = ModelStore(tmp_path / "models")
    with pytest.raises(DownloadError, match=r"textual/model\.onnx failed its checksum"):
        store.install("tiny__immich")
    assert store.installed() == []


def test_a_corrupted_small_file_fails_the_hubs_git_hash(tmp_path, hub, hub_entry):
    hub.server.corrupt.add(f"{REPO}/resolve/main/config.json")
    with pytest.raises(DownloadError, match=r"config\.json does not match the hub's record"):
        ModelStore(tmp_path / "models").install("tiny__immich")


def test_resume_after_the_connection_drops(tmp_path, hub, hub_entry):
    name = f"{REPO}/resolve/main/visual/model.onnx"
    hub.server.drop_once.add(name)
    store = ModelStore(tmp_path / "models")
    store.install("tiny__immich")
    store.verify("tiny__immich")
    ranges = [r for n, r in hub.server.requests if n == name]
    assert ranges[0] is None and ranges[1].startswith("bytes=")


def test_a_file_missing_from_the_hub_is_named(tmp_path, hub, hub_entry):
    hub.write_listing([i for i in hub.listing if i["path"] != "textual/model.onnx"])
    with pytest.raises(DownloadError, match=r"no longer has textual/model\.onnx"):
        ModelStore(tmp_path / "models").install("tiny__immich")


def test_an_unusable_export_on_the_hub_is_not_installed(tmp_path, hub, hub_entry):
    config = hub.server.root / REPO / "resolve" / "main" / "visual" / "preprocess_cfg.json"
    data = json.loads(config.read_text())
    config.write_text(json.dumps({**data, "resize_mode": "longest"}))
    hub.write_listing(
        [
            {**i, "size": config.stat().st_size, "oid": _git_blob(config.read_bytes())}
            if i["path"] == "visual/preprocess_cfg.json"
            else i
            for i in hub.listing
        ]
    )
    store = ModelStore(tmp_path / "models")
    with pytest.raises(ModelFolderError, match="resize mode 'longest'"):
        store.install("tiny__immich")
    assert store.installed() == []
    assert not (tmp_path / "models" / ".downloads" / "tiny__immich").exists()


def test_catalog_entries_from_immichs_hub_name_every_file():
    hub_entries = [e for e in catalog.entries() if immich.is_immich_entry(e)]
    assert {e["name"] for e in hub_entries} >= {
        "ViT-B-32__openai",
        "ViT-B-32__laion2b_s34b_b79k",
    }
    for entry in hub_entries:
        repo = entry["source"]["repo"]
        assert repo.startswith("immich-app/")
        base = f"https://huggingface.co/{repo}/resolve/{entry['source']['revision']}/"
        assert [f["path"] for f in entry["files"]] == list(immich.FILES)
        assert all(f["url"] == base + f["path"] for f in entry["files"])
        assert entry["source"]["listing"].startswith(f"https://huggingface.co/api/models/{repo}/")
        assert "sha256" in entry["source"]["hashes"]

"""Which cache files are a model's (`search/modelcaches.py`): its tokenizer tables of any
size and mtime the file had, its label text vectors of both its text graphs; and removing a
model removes those, never the ones another installed model shares."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np

from photofind.clip import ClipModel
from photofind.clip.bpetable import FOLDER, table_path
from photofind.clip.manifest import sha256_file
from photofind.modelstore import ModelStore
from photofind.search import modelcaches, textcache


def _with_int8_text(tiny_model_dir: Path, folder: Path, name: str) -> Path:
    shutil.copytree(tiny_model_dir, folder)
    (folder / ".verified.json").unlink(missing_ok=True)
    shutil.copyfile(folder / "textual.onnx", folder / "textual.int8.onnx")
    data = json.loads((folder / "manifest.json").read_text())
    data["files"]["textual.int8.onnx"] = sha256_file(folder / "textual.int8.onnx")
    data["name"] = name
    (folder / "manifest.json").write_text(json.dumps(data))
    return folder


def _write_text_vectors(cache_dir: Path, folder: Path, *, int8: bool) -> Path:
    model = ClipModel.load(folder, verify=False, int8=int8)
    cache = textcache.TextVectorCache(textcache.cache_folder(cache_dir), model)
    cache.add(["a photo of a cat"], np.eye(1, model.embed_dim, dtype=np.float32))
    assert cache.path.is_file()
    return cache.path


def _write_table(cache_dir: Path, folder: Path) -> Path:
    path = table_path(cache_dir / FOLDER, folder / "tokenizer.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"a table")
    return path


def test_a_models_cache_files_are_found_and_removed_with_it(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    cache, store = tmp_path / "cache", ModelStore(tmp_path / "models")
    store.import_folder(_with_int8_text(tiny_model_dir, tmp_path / "a", "model-a"))
    store.import_folder(_with_int8_text(tiny_model_dir, tmp_path / "b", "model-b"))
    a, b = store.get("model-a"), store.get("model-b")
    old_table = _write_table(cache, a)
    os.utime(a / "tokenizer.json", ns=(1, 1))  # the file changed since: another table
    mine = {
        old_table,
        _write_table(cache, a),
        _write_text_vectors(cache, a, int8=False),
        _write_text_vectors(cache, a, int8=True),
    }
    assert len(mine) == 4
    theirs = {_write_table(cache, b), _write_text_vectors(cache, b, int8=False)}
    assert modelcaches.cache_files(a, cache) == mine
    removed = modelcaches.remove_model(store, "model-a", cache)
    assert set(removed) == mine and not any(p.exists() for p in mine)
    assert all(p.exists() for p in theirs)
    assert [m.name for m in store.installed()] == ["model-b"]


def test_text_vectors_another_installed_model_shares_are_kept(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    """The same model under two names: one text-vector file, kept while one of them is."""
    cache, store = tmp_path / "cache", ModelStore(tmp_path / "models")
    store.import_folder(tiny_model_dir, name="one")
    store.import_folder(tiny_model_dir, name="two")
    shared = _write_text_vectors(cache, store.get("one"), int8=False)
    assert _write_text_vectors(cache, store.get("two"), int8=False) == shared
    table = _write_table(cache, store.get("one"))
    assert modelcaches.remove_model(store, "one", cache) == [table]
    assert shared.exists()

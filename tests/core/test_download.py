"""Installing a photofind export from a static host on 127.0.0.1: resume, corruption, cancel,
disk full, 404 (the hub's own API: test_hub_install.py)."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
from replica_hub import Server

from photofind.clip.manifest import read_manifest
from photofind.errors import Cancelled, DownloadError, ModelError
from photofind.modelstore import ModelStore, registry, web
from photofind.tasks import BYTES, TaskControl


@pytest.fixture
def server(tiny_model_dir):
    s = Server(tiny_model_dir)
    yield s
    s.close()


@pytest.fixture
def entry(server, tiny_model_dir, monkeypatch):
    manifest = read_manifest(tiny_model_dir)
    names = ["manifest.json", *manifest.files]
    item = {
        "name": "tiny-clip",
        "files": [
            {
                "path": n,
                "url": f"{server.url}/{n}",
                "size": (tiny_model_dir / n).stat().st_size,
                "sha256": manifest.files.get(n),
            }
            for n in names
        ],
    }
    monkeypatch.setattr(registry, "find_entry", lambda name: item)
    monkeypatch.setattr(web, "sleep", lambda seconds, control: None)
    return item


def test_install_verifies_and_activates(tmp_path, entry):
    store = ModelStore(tmp_path / "models")
    seen = []
    store.install("tiny-clip", progress=seen.append)
    assert store.active_name() == "tiny-clip"
    store.verify("tiny-clip")
    assert seen[-1].done == seen[-1].total == sum(f["size"] for f in entry["files"])
    assert {(p.phase, p.unit) for p in seen} == {("download", BYTES)}
    assert not list((tmp_path / "models").glob(".incoming-*"))
    assert not (tmp_path / "models" / ".downloads" / "tiny-clip").exists()


def test_resume_after_the_connection_drops(tmp_path, entry, server):
    server.drop_once.add("visual.onnx")
    store = ModelStore(tmp_path / "models")
    store.install("tiny-clip")
    store.verify("tiny-clip")
    ranges = [r for name, r in server.requests if name == "visual.onnx"]
    assert ranges[0] is None and ranges[1] is not None and ranges[1].startswith("bytes=")


def test_a_failed_install_keeps_finished_files_for_the_next_try(tmp_path, entry, server):
    names = [f["path"] for f in entry["files"]]
    server.corrupt.add("tokenizer.json")
    store = ModelStore(tmp_path / "models")
    with pytest.raises(DownloadError, match=r"tokenizer\.json failed its checksum"):
        store.install("tiny-clip")
    server.corrupt.clear()
    asked = len(server.requests)
    store.install("tiny-clip")
    store.verify("tiny-clip")
    # Only the failed file and those after it are fetched again.
    assert [name for name, _ in server.requests[asked:]] == names[names.index("tokenizer.json") :]
    assert names.index("tokenizer.json") > 0


def test_corrupted_file_is_rejected_and_nothing_installed(tmp_path, entry, server):
    server.corrupt.add("textual.onnx")
    store = ModelStore(tmp_path / "models")
    with pytest.raises(DownloadError, match=r"textual\.onnx failed its checksum"):
        store.install("tiny-clip")
    assert store.installed() == []
    assert not (tmp_path / "models" / "tiny-clip").exists()


def test_cancel_leaves_nothing_half_installed(tmp_path, entry):
    control = TaskControl()
    control.cancel()
    store = ModelStore(tmp_path / "models")
    with pytest.raises(Cancelled):
        store.install("tiny-clip", control=control)
    assert store.installed() == []


def test_disk_full_is_a_clear_message(tmp_path, entry, monkeypatch):
    real_open = Path.open

    def full(self, mode="r", *args, **kwargs):
        if (self.suffix == ".part" and "a" in mode) or (self.suffix == ".part" and "w" in mode):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_open(self, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "open", full)
    with pytest.raises(DownloadError, match="disk is full"):
        ModelStore(tmp_path / "models").install("tiny-clip")


def test_404_and_no_network(tmp_path, entry, server):
    entry["files"][1]["url"] = f"{server.url}/nothing-here.onnx"
    with pytest.raises(DownloadError, match="404"):
        ModelStore(tmp_path / "models").install("tiny-clip")
    entry["files"][1]["url"] = "http://127.0.0.1:9/visual.onnx"  # discard port: refused
    with pytest.raises(DownloadError, match="cannot reach"):
        ModelStore(tmp_path / "models").install("tiny-clip")


def test_catalog_models_without_downloads_say_so(tmp_path):
    with pytest.raises(DownloadError, match="no published download yet"):
        ModelStore(tmp_path / "models").install(registry.default_name())
    with pytest.raises(ModelError, match="no model named"):
        ModelStore(tmp_path / "models").install("no-such-model")


def test_import_use_remove(tmp_path, tiny_model_dir):
    store = ModelStore(tmp_path / "models")
    store.import_folder(tiny_model_dir)
    assert [m.name for m in store.installed()] == ["tiny-clip"]
    store.use("tiny-clip")
    store.remove("tiny-clip")
    assert store.installed() == [] and store.active_name() is None


def test_catalog_entries_carry_what_the_model_picker_shows():
    names = [e["name"] for e in registry.entries()]
    assert registry.default_name() in names
    assert {"ViT-B-32__openai", "ViT-B-32__laion2b_s34b_b79k", "MobileCLIP2-S0__dfndr2b"} <= set(
        names
    )
    for entry in registry.entries():
        assert entry["download_bytes"] > 0 and entry["license"] and entry["embed_dim"] > 0
        assert entry["quality"]["source"]


def test_parts_of_files_no_longer_listed_are_removed(tmp_path, entry):
    area = tmp_path / "models" / ".downloads" / "tiny-clip"
    area.mkdir(parents=True)
    (area / "0123456789abcdef0123456789abcdef.part").write_bytes(b"x" * 1000)  # an old revision
    ModelStore(tmp_path / "models").install("tiny-clip")
    assert not area.exists()
    area.mkdir()
    stale = area / "0123456789abcdef0123456789abcdef.done"
    stale.write_bytes(b"x" * 1000)
    ModelStore(tmp_path / "models").remove("tiny-clip")
    entry["files"][1]["url"] += "-gone"
    with pytest.raises(DownloadError, match="404"):
        ModelStore(tmp_path / "models").install("tiny-clip")
    left = list(area.iterdir())
    assert len(left) == 1 and left[0].suffix == ".done" and left[0] != stale  # manifest.json

"""What a failed model download tells the user, and the catalog's downloadable models: disk
full, no network, a repository or commit the hub does not have (the replica:
tests/replica_hub.py; installs that work: test_hub_install.py)."""

from __future__ import annotations

import errno
import threading
from pathlib import Path

import pytest
from replica_hub import TINY_REPO as REPO
from replica_hub import list_in_catalog

from photofind.errors import Cancelled, DownloadError, ModelError
from photofind.modelstore import ModelStore, hubclient, registry


@pytest.fixture
def entry(repo, monkeypatch):
    return list_in_catalog(monkeypatch, repo.commit)


def test_cancel_before_it_starts_leaves_nothing(tmp_path, server, entry):
    from photofind.tasks import TaskControl

    control = TaskControl()
    control.cancel()
    store = ModelStore(tmp_path / "models")
    with pytest.raises(Cancelled):
        store.install("tiny__immich", control=control)
    assert store.installed() == []


def test_disk_full_is_a_clear_message(tmp_path, server, entry, monkeypatch):
    real_open = Path.open

    class Full:
        def __init__(self, stream):
            self.stream = stream

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

        def __getattr__(self, name):
            return getattr(self.stream, name)

    def opened(self, *args, **kwargs):
        stream = real_open(self, *args, **kwargs)
        return Full(stream) if self.suffix == ".incomplete" else stream

    monkeypatch.setattr(Path, "open", opened)
    with pytest.raises(DownloadError, match="disk is full") as caught:
        ModelStore(tmp_path / "models").install("tiny__immich")
    assert str(hubclient.cache_dir()) in str(caught.value)


def test_a_repository_or_commit_the_hub_lacks_and_no_network(tmp_path, server, entry, monkeypatch):
    entry["source"]["repo"] = "immich-app/nothing-here"
    with pytest.raises(DownloadError, match=r"immich-app/nothing-here is not on .* \(404"):
        ModelStore(tmp_path / "models").install("tiny__immich")
    entry["source"]["repo"] = REPO
    entry["source"]["revision"] = "0" * 40
    with pytest.raises(DownloadError, match="has no such commit"):
        ModelStore(tmp_path / "models").install("tiny__immich")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # the discard port: refused
    monkeypatch.setattr("time.sleep", lambda seconds: None)  # huggingface_hub's retry waits
    with pytest.raises(DownloadError, match=r"cannot reach http://127\.0\.0\.1:9"):
        ModelStore(tmp_path / "models").install("tiny__immich")


def test_catalog_models_without_downloads_say_so(tmp_path):
    with pytest.raises(DownloadError, match="no published download yet"):
        ModelStore(tmp_path / "models").install("MobileCLIP2-S0__dfndr2b")  # no ONNX anywhere
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


def test_a_cancel_is_answered_while_huggingface_hub_retries_a_dead_hub(
    tmp_path, server, entry, monkeypatch
):
    """huggingface_hub retries a refused listing for half a minute; the cancel the user gives
    meanwhile is answered at its next attempt, not after all of them."""
    from photofind.tasks import TaskControl

    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # refused
    control = TaskControl()
    threading.Timer(0.3, control.cancel).start()
    with pytest.raises(Cancelled):
        ModelStore(tmp_path / "models").install("tiny__immich", control=control)

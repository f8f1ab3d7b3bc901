"""Fixtures the model-install tests share: a loopback replica of the hub serving the tiny model
in Immich's layout (tests/replica_hub.py)."""

from __future__ import annotations

import pytest
from replica_hub import TINY_REPO as REPO
from replica_hub import Server, publish


@pytest.fixture
def server(monkeypatch):
    """The replica hub, with HF_ENDPOINT pointing at it."""
    s = Server()
    monkeypatch.setenv("HF_ENDPOINT", s.url)
    yield s
    s.close()


@pytest.fixture
def repo(server, tmp_path, tiny_immich_dir):
    """The tiny Immich export published on the replica as REPO."""
    return publish(server, REPO, tiny_immich_dir, tmp_path / "hub" / REPO)

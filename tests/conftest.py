"""Fixtures every test layer shares: the tiny trained CLIP and synthetic photos it understands."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
TINY_MODEL = FIXTURES / "tiny-clip"
TINY_IMMICH = FIXTURES / "tiny-clip-immich"

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(scope="session")
def tiny_model_dir() -> Path:
    """The committed tiny CLIP model folder (trained on synthetic shapes)."""
    assert (TINY_MODEL / "manifest.json").is_file(), "tests/fixtures/tiny-clip is missing"
    return TINY_MODEL


@pytest.fixture(scope="session")
def tiny_immich_dir() -> Path:
    """The same tiny CLIP exported the way Immich publishes models (models/immich_layout.py)."""
    assert (TINY_IMMICH / "visual" / "model.onnx").is_file(), "tiny-clip-immich is missing"
    return TINY_IMMICH


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """No test may touch the real user data folder (nor the user's Hugging Face cache)."""
    monkeypatch.setenv("PHOTOFIND_HOME", str(tmp_path_factory.mktemp("home")))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path_factory.mktemp("hf-hub-cache")))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    # Until every catalog entry pins a commit, tests may install a branch (hubclient.py).
    monkeypatch.setenv("PHOTOFIND_UNPINNED_REVISIONS_FOR_TESTS", "1")
    monkeypatch.delenv("PHOTOFIND_MODEL", raising=False)


@pytest.fixture
def race() -> Callable[..., None]:
    """Run thread targets side by side for `seconds`, then set `stop` and join them."""

    def run(targets: list[Callable[[], None]], stop: threading.Event, seconds: float = 1.0):
        threads = [threading.Thread(target=t) for t in targets]
        for t in threads:
            t.start()
        time.sleep(seconds)
        stop.set()
        for t in threads:
            t.join(30)

    return run

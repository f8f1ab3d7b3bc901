"""First run without a model: one button gets the recommended model from a loopback replica
of the hub, with progress and cancel; offline, a plain sentence and the import choice."""

from __future__ import annotations

import re

import pytest
from replica_hub import Gate, Server, publish
from shell_fixtures import TIMEOUT, open_window

from photofind.errors import Cancelled
from photofind.modelstore import immich, registry
from photofind.session import model_store, open_session

REPO = "immich-app/tiny__immich"
DEV_WORDS = re.compile(r"photofind model|export_onnx|models/|pip |python|`|--", re.I)


@pytest.fixture
def hub(tmp_path, monkeypatch, tiny_immich_dir):
    server = Server()
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    repo = publish(server, REPO, tiny_immich_dir, tmp_path / "hub" / REPO)
    entry = {
        "name": "tiny__immich", "arch": "tiny-resnet-synthetic", "pretrained": "synthetic",
        "license": "MIT", "download_bytes": 2_000_000, "good_for": "tests",
        "source": {"kind": "immich", "repo": REPO, "revision": repo.commit},
        "files": [{"path": p, "size": None, "sha256": None} for p in immich.FILES],
    }  # fmt: skip
    monkeypatch.setattr(registry, "find_entry", lambda name: entry)
    monkeypatch.setattr(registry, "recommended", lambda: "tiny__immich")
    yield server, repo
    server.close()


@pytest.fixture
def window(qtbot, tmp_path, hub):
    win = open_window(qtbot, tmp_path, lambda: open_session(tmp_path / "lib", None))
    yield win
    win.close()


def test_one_button_installs_the_recommended_model_with_progress(qtbot, window, hub):
    page = window.welcome
    assert window.stack.currentWidget() is page
    assert page.download_button.isVisible() and "2 MB" in page.download_button.text()
    assert "MIT" in page.offer_label.text(), "the licence is shown beside the button"
    assert not DEV_WORDS.search(page.message.text()), page.message.text()
    seen: list[int] = []
    window.controller.download_progress.connect(lambda p: seen.append(p.done))
    page.download_button.click()
    assert page.progress_row.isVisible() and page.cancel_button.isVisible()
    qtbot.waitUntil(lambda: window.session is not None and window.session.model is not None,
                    timeout=TIMEOUT)  # fmt: skip
    assert seen and seen == sorted(seen), "progress came, and only grew"
    assert window.model_label.text() == "Model: tiny__immich"
    assert model_store(window.session.paths).active_name() == "tiny__immich"
    assert not page.progress_row.isVisible()
    assert page.add_button.isVisible() and not page.download_button.isVisible()


def test_cancel_stops_the_download_and_offers_it_again(qtbot, window, hub):
    server, repo = hub
    gate = server.gates[repo.key("visual/model.onnx")] = Gate(at=50_000)
    page = window.welcome
    failures: list[BaseException] = []
    window.controller.download_failed.connect(failures.append)
    page.download_button.click()
    assert gate.reached.wait(30)
    qtbot.waitUntil(lambda: "Downloading" in page.progress_label.text(), timeout=TIMEOUT)
    page.cancel_button.click()
    gate.opened.set()
    qtbot.waitUntil(lambda: bool(failures), timeout=TIMEOUT)
    assert isinstance(failures[0], Cancelled)
    assert not page.progress_row.isVisible() and page.download_button.isEnabled()
    assert not page.problem.isVisible(), "a cancel is not an error"
    assert model_store(window.session.paths).installed() == []
    assert window.session.model is None and window.stack.currentWidget() is page


def test_offline_says_so_plainly_and_offers_the_import(qtbot, window, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there
    page = window.welcome
    page.download_button.click()
    qtbot.waitUntil(lambda: page.problem.isVisible(), timeout=TIMEOUT)
    text = page.problem.text()
    assert "offline" in text and "import a model folder" in text, text
    assert not DEV_WORDS.search(text) and "127.0.0.1" not in text
    assert page.model_button.isVisible() and page.download_button.isEnabled()

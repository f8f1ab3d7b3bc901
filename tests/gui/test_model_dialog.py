"""The Models dialog installs from the hub (a loopback replica) on the real thread pool, draws
the download's progress on the GUI thread, and cancels cleanly (pytest-qt, offscreen)."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt, QThread
from replica_hub import Gate, Server, publish

from photofind.gui.app import create_app
from photofind.gui.model_dialog import ModelDialog, NameRole
from photofind.modelstore import ModelStore
from photofind.tasks import BYTES, Progress

NAME, REPO = "ViT-B-32__openai", "immich-app/ViT-B-32__openai"
TIMEOUT = 60_000


@pytest.fixture
def hub(tmp_path, tiny_immich_dir, monkeypatch):
    server = Server()
    repo = publish(server, REPO, tiny_immich_dir, tmp_path / "hub" / REPO)
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    yield server, repo
    server.close()


@pytest.fixture
def dialog(qtbot, tmp_path):
    create_app([])
    used: list[str] = []
    d = ModelDialog(ModelStore(tmp_path / "models"), used.append)
    qtbot.addWidget(d)
    d.show()
    for row in range(d.catalog.count()):
        if d.catalog.item(row).data(NameRole) == NAME:
            d.catalog.setCurrentRow(row)
    assert d.catalog.currentItem().data(NameRole) == NAME
    return d


def spy_progress(dialog: ModelDialog) -> list[tuple[Progress, str, int, bool]]:
    """Record each report the dialog draws: the report, the status line, the bar, the thread."""
    seen: list[tuple[Progress, str, int, bool]] = []
    draw = dialog._progress

    def recorded(p: Progress) -> None:
        draw(p)
        on_gui = QThread.currentThread() is dialog.thread()
        seen.append((p, dialog.status.text(), dialog.progress.value(), on_gui))

    dialog._progress = recorded  # run_task connects the dialog's slot when Install is clicked
    return seen


def test_install_draws_download_progress_then_lists_the_model(qtbot, hub, dialog):
    seen = spy_progress(dialog)
    qtbot.mouseClick(dialog.install_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.status.text() == f"Installed {NAME}.", timeout=TIMEOUT)
    assert seen, "no progress reached the dialog"
    assert all(p.phase == "download" and p.unit == BYTES for p, *_ in seen)
    assert all(on_gui for *_, on_gui in seen)  # drawn on the GUI thread, not the worker's
    middle = [(text, bar) for p, text, bar, _ in seen if 0 < p.done < p.total]
    assert middle and all(" MB" in text and "Downloading" in text for text, _ in middle)
    assert any("visual/model.onnx" in text for text, _ in middle)
    assert [bar for *_, bar, _ in seen] == sorted(bar for *_, bar, _ in seen)
    assert seen[-1][2] == 1000
    assert dialog.installed.count() == 1 and NAME in dialog.installed.item(0).text()
    assert dialog.install_button.isEnabled() and not dialog.cancel_button.isEnabled()


def test_cancel_mid_download_installs_nothing_and_the_next_try_resumes(qtbot, hub, dialog):
    server, repo = hub
    middle = repo.key("textual/model.onnx")
    gate = server.gates[middle] = Gate(at=1_000_000)
    qtbot.mouseClick(dialog.install_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(gate.reached.is_set, timeout=TIMEOUT)
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    del server.gates[middle]
    threading.Timer(0.2, gate.opened.set).start()
    qtbot.waitUntil(lambda: dialog.status.text().startswith("Cancelled"), timeout=TIMEOUT)
    assert dialog.installed.count() == 0 and dialog.install_button.isEnabled()
    asked = len(server.requests)
    qtbot.mouseClick(dialog.install_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.status.text() == f"Installed {NAME}.", timeout=TIMEOUT)
    again = [(k, r) for k, r in server.requests[asked:] if not k.endswith("(redirect)")]
    assert again[0][0] == middle and again[0][1] not in (None, "bytes=0-")  # resumed

"""A preview or Models dialog closed while its work runs leaves nothing behind in the window.

Both ran their work on Qt's global pool, which outlives every window: a photo still decoding,
or a download, went on after the close, delivered into a closed (or deleted) dialog (a failed
import would pop a warning from a closed dialog), and the dialog itself stayed in the
window, a hidden child, one per opening. These tests open them from the real window on a
real library, the way a person does (`exec`), close them with the work in flight, twenty
times over. Closing does not wait for that work (a 48 MP PNG decodes for seconds): it is
dropped, and the window waits for it when the window closes.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import threading
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

import photofind.gui.preview as preview
from photofind.errors import Cancelled
from photofind.gui.model_dialog import ModelDialog
from photofind.gui.preview import PreviewDialog
from photofind.tasks import Progress
from photofind.testing.synthetic import make_photo
from tests.gui.shell_fixtures import TIMEOUT, index_folder, model_window, photos, search
from tests.gui.test_window_teardown import left_to_collector

ROUNDS = 20
ROOT = Path(__file__).resolve().parents[2]
SESSION = Path(__file__).with_name("dialog_exit_session.py")
KINDS = [("red", "circle"), ("blue", "square"), ("green", "triangle"), ("red", "square")]


def settle() -> None:
    """What the event loop does after `exec` returns: queued signals, deferred deletes."""
    for _ in range(3):
        QCoreApplication.sendPostedEvents()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        QCoreApplication.processEvents()


def while_open(action) -> None:
    """Run `action(dialog)` once the modal dialog about to be `exec`uted is up."""

    def run() -> None:
        dialog = QApplication.activeModalWidget()
        assert dialog is not None, "no dialog opened"
        action(dialog)

    QTimer.singleShot(0, run)


def test_a_preview_closed_while_its_photo_decodes_leaves_nothing(
    qtbot, tmp_path: Path, tiny_model_dir: Path, monkeypatch
) -> None:
    win = model_window(qtbot, tmp_path, tiny_model_dir)
    index_folder(qtbot, win, photos(tmp_path / "photos", KINDS))
    search(qtbot, win, "a photo of a red circle")
    assert len(win.results.hits) == len(KINDS)
    real = preview.decode
    drawn: list[str] = []
    for method in ("_decoded", "_unreadable"):
        original = getattr(PreviewDialog, method)

        def spy(self, *args, _original=original, _name=method):
            if not self.isVisible():
                drawn.append(_name)  # a result reaching a closed preview
            return _original(self, *args)

        monkeypatch.setattr(PreviewDialog, method, spy)
    settle()
    gc.collect()
    before = {id(o) for o in gc.get_objects()}
    for _ in range(ROUNDS):
        gate, reached = threading.Event(), threading.Event()
        decoded: list[Path] = []
        released: list[bool] = []

        def held(path, longest, gate=gate, reached=reached, decoded=decoded, released=released):
            decoded.append(path)
            reached.set()
            released.append(gate.wait(10))  # False: closing waited for this decode
            return real(path, longest)

        monkeypatch.setattr(preview, "decode", held)

        def walk_then_close(dialog, reached=reached) -> None:
            assert isinstance(dialog, PreviewDialog)
            assert reached.wait(TIMEOUT / 1000)  # the first photo is decoding
            for _ in range(3):  # walked on: three more photos asked for meanwhile
                QTest.keyClick(dialog, Qt.Key.Key_Right)
            QTest.keyClick(dialog, Qt.Key.Key_Escape)

        while_open(walk_then_close)
        win.preview(win.results.hits[0])
        gate.set()  # the decode goes on after the close; the window waits for it at its own
        assert win.preview_pool.waitForDone(TIMEOUT)
        settle()
        assert released and all(released), "closing the preview waited for its decode"
        # One decode per pool thread may have begun; the photos queued behind never are.
        assert decoded[0] == win.results.hits[0].file.path and len(decoded) <= 2, decoded
    assert drawn == [], "results reached a closed preview"
    assert win.findChildren(PreviewDialog) == [], "closed previews stay in the window"
    left = left_to_collector(before)
    assert left == [], f"left to the cycle collector: {left}"


class SlowStore:
    """Stands in for the ModelStore: an install that reports progress until it is cancelled,
    and an import that waits for the test's gate, then fails."""

    def __init__(self, real) -> None:
        self.real = real
        self.installs_running = 0
        self.gate, self.reached = threading.Event(), threading.Event()

    def __getattr__(self, name):
        return getattr(self.real, name)

    def install(self, name, *, progress=None, control=None):
        self.installs_running += 1
        try:
            done = 0
            while True:
                if control is not None and control.cancelled:
                    raise Cancelled("install cancelled")
                done += 1
                if progress is not None:
                    progress(Progress("download", done, 1_000_000))
                self.reached.set()
                threading.Event().wait(0.002)
                if done > 5_000:  # some 10 s
                    raise AssertionError("closing the dialog did not cancel the download")
        finally:
            self.installs_running -= 1

    def import_folder(self, folder):
        self.reached.set()
        self.released = self.gate.wait(10)  # False: closing waited for the import
        raise Cancelled(f"{folder} is not a model folder")


def test_a_models_dialog_closed_mid_install_or_import_leaves_nothing(
    qtbot, tmp_path: Path, tiny_model_dir: Path, monkeypatch
) -> None:
    win = model_window(qtbot, tmp_path, tiny_model_dir)
    stores: list[SlowStore] = []
    real_store = win._store

    def slow_store():
        stores.append(SlowStore(real_store()))
        return stores[-1]

    monkeypatch.setattr(win, "_store", slow_store)
    late: list[str] = []
    for method in ("_progress", "_installed", "_failed"):
        original = getattr(ModelDialog, method)

        def spy(self, *args, _original=original, _name=method):
            if not self.isVisible():
                late.append(_name)  # a report reaching a closed dialog
                return None
            return _original(self, *args)

        monkeypatch.setattr(ModelDialog, method, spy)
    settle()
    gc.collect()
    before = {id(o) for o in gc.get_objects()}
    for n in range(ROUNDS):
        importing = n % 2 == 1

        def start_then_close(dialog, importing=importing) -> None:
            assert isinstance(dialog, ModelDialog)
            store = stores[-1]
            if importing:
                dialog.import_folder(tmp_path / "not-a-model")
            else:
                qtbot.mouseClick(dialog.install_button, Qt.MouseButton.LeftButton)
            assert store.reached.wait(TIMEOUT / 1000)
            QTest.keyClick(dialog, Qt.Key.Key_Escape)

        while_open(start_then_close)
        win.show_models()
        store = stores[-1]
        store.gate.set()  # an import goes on, unheard, after the close
        qtbot.waitUntil(lambda store=store: store.installs_running == 0, timeout=TIMEOUT)
        assert win.pool.waitForDone(TIMEOUT)
        settle()
        assert getattr(store, "released", True), "closing the dialog waited for the import"
    assert late == [], f"reports reached a closed Models dialog: {sorted(set(late))}"
    assert win.findChildren(ModelDialog) == [], "closed Models dialogs stay in the window"
    assert QApplication.activeModalWidget() is None, "a message box outlived its dialog"
    left = left_to_collector(before)
    assert left == [], f"left to the cycle collector: {left}"


def test_the_window_closing_over_a_downloading_models_dialog_cancels_it(
    qtbot, tmp_path: Path, tiny_model_dir: Path, monkeypatch
) -> None:
    """Closed with the Models dialog open (a logout closes every window; a modal dialog
    blocks only the person's clicks), the window waited for the download to end: a
    600 MB model, or forever. Its open dialogs are closed first, so the download stops."""
    win = model_window(qtbot, tmp_path, tiny_model_dir)
    stores: list[SlowStore] = []
    real_store = win._store
    monkeypatch.setattr(win, "_store", lambda: stores.append(SlowStore(real_store())) or stores[-1])
    outcome: list[str] = []

    def install_then_close_the_window(dialog) -> None:
        qtbot.mouseClick(dialog.install_button, Qt.MouseButton.LeftButton)
        assert stores[-1].reached.wait(TIMEOUT / 1000)
        try:
            win.close()
            outcome.append("closed")
        except AssertionError as exc:  # the fake's own limit: the download was never cancelled
            outcome.append(str(exc))
        if dialog.isVisible():
            outcome.append("the dialog stayed open")
            dialog.reject()

    while_open(install_then_close_the_window)
    win.show_models()
    assert outcome == ["closed"]
    assert stores[-1].installs_running == 0 and not win.isVisible()
    settle()
    assert win.findChildren(ModelDialog) == []


def test_quitting_with_dialog_work_in_flight_exits_cleanly(tmp_path: Path, tiny_model_dir: Path):
    """The same closes in a process of their own, then a quit while a preview decodes: the
    process exits 0 with nothing from faulthandler (a crash or a hang at exit shows here)."""
    folder = tmp_path / "photos"
    folder.mkdir()
    for n, (colour, shape) in enumerate(KINDS[:2]):
        make_photo(folder / f"{colour}-{shape}.png", colour, shape, seed=n, fmt="png",
                   size=(5000, 3500))  # fmt: skip  # 17 MP PNG: a decode that takes a while
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT),
           "XDG_CONFIG_HOME": str(tmp_path / "config")}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-X", "faulthandler", str(SESSION), str(tmp_path / "lib"),
         str(tiny_model_dir), str(folder)],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, f"exit {done.returncode}:\n{done.stderr[-4000:]}"
    assert done.stdout.strip().splitlines()[-1] == "closed"
    assert "Fatal Python error" not in done.stderr and "Traceback" not in done.stderr, done.stderr

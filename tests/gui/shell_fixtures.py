"""Helpers the window-shell tests share: a window on a temporary library, photos, waits."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings

from photofind.gui.app import create_app
from photofind.gui.main_window import MainWindow
from photofind.session import Session, open_session
from photofind.testing.synthetic import make_photo

TIMEOUT = 60_000


def gated(monkeypatch, owner: type, method: str) -> tuple[threading.Event, threading.Event]:
    """Hold `owner.method` at its first call: (gate, reached). `reached` is set when a call
    arrives; the call waits until the test sets `gate`, then runs the real method."""
    gate, reached = threading.Event(), threading.Event()
    original = getattr(owner, method)

    def held(self, *args, **kwargs):
        reached.set()
        assert gate.wait(TIMEOUT / 1000)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(owner, method, held)
    return gate, reached


def isolated_settings(tmp_path: Path) -> None:
    """QSettings in tmp_path (the window's geometry and Preferences)."""
    create_app([])
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "qs"))
    QSettings().clear()


def photos(folder: Path, kinds: list[tuple[str, str]], start: int = 0) -> Path:
    for n, (colour, shape) in enumerate(kinds, start):
        make_photo(folder / f"{colour}-{shape}.jpg", colour, shape, seed=n)
    return folder


def open_window(qtbot, tmp_path: Path, open_fn: Callable[[], Session],
                open_library: Callable[[], Session] | None = None) -> MainWindow:  # fmt: skip
    isolated_settings(tmp_path)
    win = MainWindow(open_fn, open_library)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.session is not None, timeout=TIMEOUT)
    return win


def model_window(qtbot, tmp_path: Path, model: Path) -> MainWindow:
    lib = tmp_path / "lib"
    return open_window(qtbot, tmp_path, lambda: open_session(lib, model))


def index_folder(qtbot, window: MainWindow, folder: Path) -> None:
    window.add_folder(folder)
    qtbot.waitUntil(lambda: window.folder_state(folder) in ("up to date", "errors"),
                    timeout=TIMEOUT)  # fmt: skip
    qtbot.waitUntil(lambda: not window.indexing, timeout=TIMEOUT)


def names(window: MainWindow) -> set[str]:
    return {h.file.path.name for h in window.results.hits}


def search(qtbot, window: MainWindow, text: str) -> set[str]:
    with qtbot.waitSignal(window.search_finished, timeout=TIMEOUT):
        window.search_field.setText(text)
        window.search_now()
    return names(window)

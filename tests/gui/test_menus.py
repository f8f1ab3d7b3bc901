"""The menu bar carries the shortcuts people expect, and its entries do what they say."""

from __future__ import annotations

import logging

from PySide6.QtWidgets import QApplication
from shell_fixtures import model_window

from photofind import logs
from photofind.gui import desktop


def test_menu_shortcuts_and_show_log(qtbot, tmp_path, tiny_model_dir, monkeypatch):
    win = model_window(qtbot, tmp_path, tiny_model_dir)
    acts = win.menu_actions
    keys = {name: acts[name].shortcut().toString() for name in acts}
    assert keys["quit"] == "Ctrl+Q"
    assert keys["close"] == "Ctrl+W" and keys["find"] == "Ctrl+F"
    assert keys["preferences"] == "Ctrl+,"
    menus = [a.text().replace("&", "") for a in win.menuBar().actions()]
    assert menus == ["File", "Edit", "View", "Help"]

    win.view.setFocus()
    acts["find"].trigger()
    assert QApplication.focusWidget() is win.search_field

    opened: list = []
    monkeypatch.setattr(desktop, "open_file", opened.append)
    logs.setup(tmp_path / "lib")
    logging.getLogger("photofind.test").warning("something a person should see later")
    acts["show_log"].trigger()
    assert opened == [logs.log_file()] and opened[0].is_file()
    assert "something a person should see later" in opened[0].read_text()

    acts["preferences"].trigger()
    qtbot.waitUntil(
        lambda: any(
            w.windowTitle() == "Preferences"
            for w in QApplication.topLevelWidgets()
            if w.isVisible()
        )
    )
    win.close()

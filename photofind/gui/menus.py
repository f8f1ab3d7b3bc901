"""The menu bar with the shortcuts people expect (Quit Ctrl+Q, Close Ctrl+W, Find Ctrl+F,
Preferences Ctrl+,), built from the window's slots. GUI thread only.

The keys are spelled out, not Qt's standard keys: those come from the platform theme, and a
plain X11 session has none for Quit (Qt maps Ctrl to Cmd on macOS by itself)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu


@dataclass(frozen=True)
class MenuSlots:
    """What each menu entry calls; `show_log` None leaves "Show log" out."""

    add_folder: Callable[[], object]
    close: Callable[[], object]
    quit: Callable[[], object]
    find: Callable[[], object]
    clear_filters: Callable[[], object]
    preferences: Callable[[], object]
    models: Callable[[], object]
    errors: Callable[[], object]
    about: Callable[[], object]
    show_log: Callable[[], object] | None = None


def _add(menu: QMenu, text: str, slot: Callable[[], object], key=None) -> QAction:
    action = menu.addAction(text)
    if key is not None:
        action.setShortcut(QKeySequence(key))
    action.triggered.connect(lambda _checked=False: slot())
    return action


def build_menus(window: QMainWindow, slots: MenuSlots) -> dict[str, QAction]:
    """File, Edit, View and Help menus; returns the actions by name (tests, toolbars)."""
    bar = window.menuBar()
    actions: dict[str, QAction] = {}
    file = bar.addMenu("&File")
    actions["add_folder"] = _add(file, "&Add a photo folder…", slots.add_folder, "Ctrl+O")
    file.addSeparator()
    actions["close"] = _add(file, "&Close window", slots.close, "Ctrl+W")
    actions["quit"] = _add(file, "&Quit", slots.quit, "Ctrl+Q")
    actions["quit"].setMenuRole(QAction.MenuRole.QuitRole)
    edit = bar.addMenu("&Edit")
    actions["find"] = _add(edit, "&Find", slots.find, "Ctrl+F")
    actions["clear_filters"] = _add(edit, "C&lear filters", slots.clear_filters)
    edit.addSeparator()
    actions["preferences"] = _add(edit, "&Preferences…", slots.preferences, "Ctrl+,")
    actions["preferences"].setMenuRole(QAction.MenuRole.PreferencesRole)
    view = bar.addMenu("&View")
    actions["errors"] = _add(view, "Files that could not be &read", slots.errors)
    actions["models"] = _add(view, "&Models…", slots.models)
    help_menu = bar.addMenu("&Help")
    if slots.show_log is not None:
        actions["show_log"] = _add(help_menu, "Show &log", slots.show_log)
    actions["about"] = _add(help_menu, "&About", slots.about, QKeySequence.StandardKey.HelpContents)
    actions["about"].setMenuRole(QAction.MenuRole.AboutRole)
    return actions

"""Light and dark palettes that follow the system's colour scheme (Qt 6.5+ style hints).

Qt follows the system by itself where the platform theme reports a scheme (macOS, Windows,
GNOME/KDE portals); where it only says "dark" through `QStyleHints.colorScheme()` but hands
out a light palette (plain X11, Fusion), this applies a dark Fusion palette so text stays
readable. PHOTOFIND_THEME=dark|light forces one (screenshots, tests). GUI thread only.
"""

from __future__ import annotations

import os

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

THEME_ENV = "PHOTOFIND_THEME"


def dark_palette() -> QPalette:
    p = QPalette()
    role, group = QPalette.ColorRole, QPalette.ColorGroup
    colours = {
        role.Window: "#2b2b2e", role.WindowText: "#e8e8ea", role.Base: "#1f1f22",
        role.AlternateBase: "#29292d", role.ToolTipBase: "#3a3a3f", role.ToolTipText: "#f0f0f0",
        role.Text: "#e8e8ea", role.Button: "#35353a", role.ButtonText: "#e8e8ea",
        role.BrightText: "#ff6b6b", role.Highlight: "#3d7bd9", role.HighlightedText: "#ffffff",
        role.Link: "#7fb0ff", role.PlaceholderText: "#8c8c92", role.Mid: "#45454b",
        role.Dark: "#1a1a1d", role.Light: "#4a4a50", role.Midlight: "#3c3c41",
        role.Shadow: "#000000",
    }  # fmt: skip
    for r, colour in colours.items():
        p.setColor(r, QColor(colour))
    for r in (role.WindowText, role.Text, role.ButtonText):
        p.setColor(group.Disabled, r, QColor("#7a7a80"))
    return p


def wants_dark(app: QGuiApplication) -> bool:
    forced = os.environ.get(THEME_ENV, "").lower()
    if forced in ("dark", "light"):
        return forced == "dark"
    return app.styleHints().colorScheme() == Qt.ColorScheme.Dark


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def apply_scheme(app: QApplication) -> None:
    """Match the palette to the wanted scheme; a palette the platform made is kept."""
    dark = wants_dark(app)
    if dark and not is_dark(app.palette()):
        app.setStyle("Fusion")  # the palette is honoured fully by Fusion
        app.setPalette(dark_palette())
    elif not dark and is_dark(app.palette()):
        app.setPalette(app.style().standardPalette())


def follow_system(app: QApplication) -> None:
    """Apply the scheme now and whenever the system's changes (connected once per app)."""
    apply_scheme(app)
    if not app.property("photofind_follows_scheme"):
        app.setProperty("photofind_follows_scheme", True)
        app.styleHints().colorSchemeChanged.connect(lambda _scheme: apply_scheme(app))

"""Application metadata in one place: the GUI, the CLI, the bundle and the desktop entry read it.

`packaging/metadata.py` writes the Linux desktop entry and AppStream metainfo from these values
(a test fails when the committed files fall behind), and `packaging/photofind.spec` names the
bundle, its icon and its macOS/Windows version fields from them.
"""

from __future__ import annotations

from pathlib import Path

APP_NAME = "photofind"  # command, bundle folder, data folder
APP_DISPLAY_NAME = "photofind"  # window titles, menus
APP_ID = "io.github.photofind.Photofind"  # reverse-DNS: desktop file, icon name, macOS bundle id
ORGANIZATION = "photofind"
ORGANIZATION_DOMAIN = "photofind.github.io"
VERSION = "0.1.0"
RELEASE_DATE = "2026-11-25"  # of VERSION; AppStream lists it
SUMMARY = "Find photos on your computer by describing them"
DESCRIPTION = "Find photos on your own computer by describing them. Runs fully offline."
GENERIC_NAME = "Photo Search"
KEYWORDS = ("photo", "search", "image", "picture", "similar", "CLIP")
LICENSE = "MIT"  # SPDX
COPYRIGHT = "Copyright © 2026 the photofind developers"
HOMEPAGE = "https://github.com/photofind/photofind"
ICON_NAME = APP_ID  # freedesktop icon theme name; files: assets/icons/photofind-<size>.png
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def resource_path(name: str) -> Path:
    """Where a bundled resource lives: inside the installed package, else the source tree.

    The wheel and the PyInstaller bundle carry `photofind/assets/`; a source checkout has
    it at the same place (the screenshot, a repository-only file, is in the top-level `resources/`).
    """
    return Path(__file__).resolve().parent / "assets" / name

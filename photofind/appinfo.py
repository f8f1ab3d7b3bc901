"""Application metadata in one place: the GUI, the CLI, the bundle and the desktop entry read it."""

from __future__ import annotations

from pathlib import Path

APP_NAME = "photofind"
APP_DISPLAY_NAME = "photofind"
APP_ID = "io.github.photofind.Photofind"
ORGANIZATION = "photofind"
ORGANIZATION_DOMAIN = "photofind.github.io"
VERSION = "0.1.0"
DESCRIPTION = "Find photos on your own computer by describing them. Runs fully offline."
LICENSE = "MIT"
HOMEPAGE = "https://github.com/photofind/photofind"


def resource_path(name: str) -> Path:
    """Where a bundled resource lives: inside the installed package, else the source tree.

    The wheel and the PyInstaller bundle carry `resources/` as `photofind/resources/`; a source
    checkout keeps it at the repository top.
    """
    here = Path(__file__).resolve().parent
    for base in (here / "resources", here.parent / "resources"):
        candidate = base / name
        if candidate.exists():
            return candidate
    return here / "resources" / name

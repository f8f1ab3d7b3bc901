"""install-desktop.sh puts photofind in the menu and --uninstall takes out all it put there."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from photofind import appinfo

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "packaging" / "linux" / "install-desktop.sh"
TOOLS = ("update-desktop-database", "gtk-update-icon-cache")


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    """The layout of an unpacked bundle: the script beside photofind-gui and _internal/."""
    for tool in TOOLS:
        assert shutil.which(tool), f"{tool} missing: apt-get install desktop-file-utils " \
            "gtk-update-icon-cache (.ci/run installs them)"  # fmt: skip
    folder = tmp_path / "opt" / "photofind"
    shutil.copytree(ROOT / "photofind" / "assets", folder / "_internal/photofind/assets")
    gui = folder / "photofind-gui"
    gui.write_text("#!/bin/sh\nexit 0\n")
    gui.chmod(0o755)
    shutil.copy2(SCRIPT, folder / SCRIPT.name)
    return folder


def files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


def run(bundle: Path, data: Path, *args: str) -> str:
    env = {**os.environ, "XDG_DATA_HOME": str(data), "HOME": str(data.parent / "home")}
    done = subprocess.run(["sh", str(bundle / SCRIPT.name), *args], capture_output=True,
                          text=True, env=env, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_install_then_uninstall_leaves_nothing(bundle, tmp_path):
    data = tmp_path / "share"
    data.mkdir()
    run(bundle, data)
    entry = data / "applications" / f"{appinfo.APP_ID}.desktop"
    assert f'Exec="{bundle / "photofind-gui"}" %F' in entry.read_text()
    assert (data / "applications" / "mimeinfo.cache").is_file()
    assert (data / "icons" / "hicolor" / "icon-theme.cache").is_file()
    assert (data / "icons/hicolor/256x256/apps" / f"{appinfo.APP_ID}.png").is_file()
    run(bundle, data, "--uninstall")
    assert files(data) == set(), "left behind by --uninstall"


def test_uninstall_keeps_other_apps_and_their_caches(bundle, tmp_path):
    data = tmp_path / "share"
    other = data / "applications" / "other.desktop"
    other.parent.mkdir(parents=True)
    other.write_text("[Desktop Entry]\nType=Application\nName=Other\nExec=other %F\n"
                     "MimeType=image/png;\n")  # fmt: skip
    run(bundle, data)
    assert appinfo.APP_ID in (data / "applications" / "mimeinfo.cache").read_text()
    run(bundle, data, "--uninstall")
    cache = (data / "applications" / "mimeinfo.cache").read_text()
    assert "other.desktop" in cache and appinfo.APP_ID not in cache
    assert other.is_file() and not (data / "icons").exists()

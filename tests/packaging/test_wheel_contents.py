"""The wheel carries the app's resources: icons, desktop entry, metainfo, model catalogue."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

from photofind import appinfo

ROOT = Path(__file__).resolve().parents[2]


def _setuptools_builds_wheels() -> bool:
    """Offline build: needs setuptools >= 70.1 (bdist_wheel built in) in this environment."""
    try:
        major, minor = (int(x) for x in version("setuptools").split(".")[:2])
    except Exception:
        return False
    return (major, minor) >= (70, 1)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    assert _setuptools_builds_wheels(), "an offline wheel build needs setuptools>=70.1 ([dev])"
    src = tmp_path_factory.mktemp("src")
    # A copy, so the build's egg-info and build/ never land in the shared checkout.
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "photofind", src / "photofind",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))  # fmt: skip
    out = tmp_path_factory.mktemp("wheel")
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
           "--no-index", "-q", "-w", str(out), str(src)]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    (path,) = out.glob("photofind-*.whl")
    with zipfile.ZipFile(path) as archive:
        yield archive


def test_wheel_carries_icons_and_linux_files(wheel):
    names = set(wheel.namelist())
    expected = {f"photofind/assets/icons/photofind-{s}.png" for s in appinfo.ICON_SIZES}
    expected |= {
        "photofind/assets/icons/photofind.svg",
        "photofind/assets/icons/photofind.ico",
        "photofind/assets/icons/photofind.icns",
        f"photofind/assets/linux/{appinfo.APP_ID}.desktop",
        f"photofind/assets/linux/{appinfo.APP_ID}.metainfo.xml",
        "photofind/modelstore/registry.json",
    }
    assert expected <= names, sorted(expected - names)


def test_wheel_has_both_commands_and_no_dev_files(wheel):
    (entry_points,) = [n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt")]
    text = wheel.read(entry_points).decode()
    assert "photofind = photofind.cli:main" in text
    assert "photofind-gui = photofind.gui.app:main" in text
    assert not [n for n in wheel.namelist() if n.startswith(("tests/", "models/", "bench/"))]
    (meta,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    assert f"Version: {appinfo.VERSION}" in wheel.read(meta).decode()


def test_wheel_carries_the_licence_and_reads_heic_without_extras(wheel):
    """HEIC is advertised, so pillow-heif is a default requirement; the MIT text ships."""
    names = wheel.namelist()
    assert any(n.endswith(".dist-info/licenses/LICENSE") or n.endswith(".dist-info/LICENSE")
               for n in names), names  # fmt: skip
    (meta,) = [n for n in names if n.endswith(".dist-info/METADATA")]
    requires = [line for line in wheel.read(meta).decode().splitlines() if
                line.startswith("Requires-Dist:")]  # fmt: skip
    heif = [line for line in requires if "pillow-heif" in line.lower()]
    assert heif and "extra ==" not in heif[0], requires
    assert any(line.split()[1].lower().startswith("certifi") for line in requires)
    assert "photofind/assets/licences/LGPL-3.0.txt" in names

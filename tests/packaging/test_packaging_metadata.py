"""App metadata in one place: the desktop entry, metainfo and icons agree with appinfo."""

from __future__ import annotations

import configparser
import importlib.util
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image

from photofind import appinfo

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = ROOT / "photofind" / "assets"
DESKTOP = RESOURCES / "linux" / f"{appinfo.APP_ID}.desktop"
METAINFO = RESOURCES / "linux" / f"{appinfo.APP_ID}.metainfo.xml"


def _load_metadata_writer():
    """packaging/metadata.py by path: a plain `import packaging` is the PyPI library."""
    spec = importlib.util.spec_from_file_location(
        "photofind_packaging_metadata", ROOT / "packaging" / "metadata.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_linux_files_are_written_from_appinfo():
    writer = _load_metadata_writer()
    assert writer.stale() == [], "run: python packaging/metadata.py"


def test_desktop_entry_names_the_app_and_its_icon():
    entry = configparser.ConfigParser(interpolation=None, strict=True)
    entry.optionxform = str  # keys are case-sensitive
    entry.read(DESKTOP, encoding="utf-8")
    section = entry["Desktop Entry"]
    assert section["Name"] == appinfo.APP_DISPLAY_NAME
    assert section["Icon"] == appinfo.ICON_NAME
    assert section["Exec"].split()[0] == "photofind-gui"
    assert "image/jpeg" in section["MimeType"].split(";")


def test_metainfo_release_is_the_current_version():
    root = ET.parse(METAINFO).getroot()
    assert root.findtext("id") == appinfo.APP_ID
    assert root.findtext("project_license") == appinfo.LICENSE
    assert root.find("launchable").text == DESKTOP.name
    releases = root.findall("releases/release")
    assert releases[0].get("version") == appinfo.VERSION
    assert releases[0].get("date") == appinfo.RELEASE_DATE


def tool(name: str, package: str) -> str:
    """A test whose tool is missing fails (.ci/run installs them), it is never skipped."""
    path = shutil.which(name)
    assert path, f"{name} missing: apt-get install {package}"
    return path


def test_desktop_entry_validates():
    validate = tool("desktop-file-validate", "desktop-file-utils")
    done = subprocess.run([validate, str(DESKTOP)], capture_output=True, text=True)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout


def test_metainfo_validates():
    appstreamcli = tool("appstreamcli", "appstream")
    done = subprocess.run(
        [appstreamcli, "validate", "--no-net", str(METAINFO)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("size", appinfo.ICON_SIZES)
def test_icon_png_has_its_size_and_a_transparent_corner(size):
    with Image.open(RESOURCES / "icons" / f"photofind-{size}.png") as image:
        assert image.size == (size, size)
        assert image.mode == "RGBA"
        assert image.getpixel((0, 0))[3] == 0


def test_windows_and_macos_icons_carry_several_sizes():
    with Image.open(RESOURCES / "icons" / "photofind.ico") as ico:
        assert {(16, 16), (32, 32), (256, 256)} <= set(ico.info["sizes"])
    with Image.open(RESOURCES / "icons" / "photofind.icns") as icns:
        assert icns.format == "ICNS"
    assert (RESOURCES / "icons" / "photofind.svg").read_text("utf-8").startswith("<svg")

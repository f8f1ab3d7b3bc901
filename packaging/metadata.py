"""Write the Linux desktop entry and AppStream metainfo from photofind/appinfo.py.

    python packaging/metadata.py            # rewrite photofind/assets/linux/*
    python packaging/metadata.py --check    # exit 1 if the committed files are out of date

The files are committed (the wheel and the bundle ship them as package data) and
tests/packaging/test_metadata.py fails when they disagree with appinfo.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from photofind import appinfo  # noqa: E402

LINUX = ROOT / "photofind" / "assets" / "linux"

from photofind.clip.images import decodable_mime_types  # noqa: E402

LONG_DESCRIPTION = (
    "photofind searches the photos on your own disk by what they show: type "
    "“kids on a beach at sunset”, or right-click a photo and ask for similar ones.",
    "A CLIP model runs on your computer, on the CPU or the graphics card; no photo, "
    "vector or query ever leaves it. New and changed photos in your folders are indexed "
    "as they appear.",
)


def desktop_entry() -> str:
    """The freedesktop .desktop file. `Exec` names the `photofind-gui` command, which pip
    installs as a script and the bundle as an executable; install-desktop.sh writes the
    absolute path in when it registers the app. `MimeType` lists what the running Python's
    Pillow and pillow-heif decode, so "Open with photofind" never offers a format the build
    cannot read; photofind.spec writes the bundle's copy with the build venv's decoders."""
    lines = [
        "[Desktop Entry]",
        "Type=Application",
        f"Name={appinfo.APP_DISPLAY_NAME}",
        f"GenericName={appinfo.GENERIC_NAME}",
        f"Comment={appinfo.SUMMARY}",
        "Exec=photofind-gui %F",
        f"Icon={appinfo.ICON_NAME}",
        "Terminal=false",
        "Categories=Graphics;Photography;Viewer;",
        f"Keywords={';'.join(appinfo.KEYWORDS)};",
        f"MimeType={';'.join(decodable_mime_types())};",
        f"StartupWMClass={appinfo.APP_NAME}",
    ]
    return "\n".join(lines) + "\n"


def metainfo() -> str:
    """The AppStream component (software centres, Flathub)."""
    para = "\n".join(f"    <p>{escape(text)}</p>" for text in LONG_DESCRIPTION)
    home = appinfo.HOMEPAGE
    keywords = "\n".join(f"    <keyword>{escape(k)}</keyword>" for k in appinfo.KEYWORDS)
    raw = home.replace("github.com", "raw.githubusercontent.com")
    shot = f"{raw}/main/resources/screenshot.png"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by packaging/metadata.py from photofind/appinfo.py; edit those, not this. -->
<component type="desktop-application">
  <id>{appinfo.APP_ID}</id>
  <metadata_license>CC0-1.0</metadata_license>
  <project_license>{appinfo.LICENSE}</project_license>
  <name>{escape(appinfo.APP_DISPLAY_NAME)}</name>
  <summary>{escape(appinfo.SUMMARY)}</summary>
  <developer id="{".".join(reversed(appinfo.ORGANIZATION_DOMAIN.split(".")))}">
    <name>{escape(appinfo.ORGANIZATION)} developers</name>
  </developer>
  <description>
{para}
  </description>
  <launchable type="desktop-id">{appinfo.APP_ID}.desktop</launchable>
  <icon type="stock">{appinfo.ICON_NAME}</icon>
  <url type="homepage">{home}</url>
  <url type="bugtracker">{home}/issues</url>
  <categories>
    <category>Graphics</category>
    <category>Photography</category>
  </categories>
  <keywords>
{keywords}
  </keywords>
  <provides>
    <binary>{appinfo.APP_NAME}</binary>
    <binary>photofind-gui</binary>
  </provides>
  <supports>
    <control>pointing</control>
    <control>keyboard</control>
  </supports>
  <screenshots>
    <screenshot type="default">
      <caption>Searching a photo library by description</caption>
      <image>{shot}</image>
    </screenshot>
  </screenshots>
  <content_rating type="oars-1.1"/>
  <releases>
    <release version="{appinfo.VERSION}" date="{appinfo.RELEASE_DATE}"/>
  </releases>
</component>
"""


FILES = {
    LINUX / f"{appinfo.APP_ID}.desktop": desktop_entry,
    LINUX / f"{appinfo.APP_ID}.metainfo.xml": metainfo,
}


def stale() -> list[Path]:
    """Committed files whose text differs from what appinfo says now."""
    return [p for p, make in FILES.items() if not p.is_file() or p.read_text("utf-8") != make()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale files")
    args = parser.parse_args()
    if args.check:
        for path in stale():
            print(f"out of date: {path.relative_to(ROOT)} (run python packaging/metadata.py)")
        return 1 if stale() else 0
    for path, make in FILES.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(make(), "utf-8")
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())

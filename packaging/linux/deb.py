"""The one-file Linux release: a .deb of the bundle, made with dpkg-deb (Debian, Ubuntu, ...).

    python packaging/linux/deb.py [BUNDLE]    # -> packaging/dist/photofind_<version>_<arch>.deb

`python packaging/build.py --deb` runs it after the smoke test and smoke-tests the package
(unpacked with dpkg-deb -x, never installed on the build machine). The package holds:

    /opt/photofind/                 the bundle, as built
    /usr/bin/photofind, photofind-gui               links into it
    /usr/share/applications, metainfo, icons/hicolor   the desktop entry, metainfo and icons

`Depends` lists the Debian packages that own the system libraries the bundle links to and does
not carry (X11/xcb, OpenGL, fontconfig, glib, the C and C++ runtimes...), found with ldd and
dpkg -S on the build machine, with the versions installed there as the minimum: build on the
oldest release you support. dpkg's triggers refresh the menu and icon caches; no maintainer
scripts are needed.
"""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))
from photofind import appinfo  # noqa: E402

PREFIX = Path("opt") / appinfo.APP_NAME


def output(*cmd: str) -> str:
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


def system_libraries(bundle: Path) -> set[Path]:
    """Libraries outside the bundle that its ELF files link to (by ldd); a name the bundle
    carries itself (found by ldd on the system only because of the missing rpath) is not one."""
    carried = {p.name for p in bundle.rglob("*.so*")}
    found: set[Path] = set()
    for path in bundle.rglob("*"):
        if path.is_symlink() or not path.is_file() or path.read_bytes()[:4] != b"\x7fELF":
            continue
        done = subprocess.run(["ldd", str(path)], capture_output=True, text=True)
        for match in re.finditer(r"^\s*(\S+) => (/\S+)", done.stdout, re.MULTILINE):
            if match.group(1) not in carried:
                found.add(Path(match.group(2)).resolve())
    return found


def depends(bundle: Path) -> str:
    """Debian packages owning those libraries, each at least the installed upstream version
    (2.36 for libc6, not 2.36-9+deb12u14: any build of that release will do)."""
    owners: set[str] = set()
    for lib in sorted(system_libraries(bundle)):
        done = subprocess.run(["dpkg", "-S", str(lib)], capture_output=True, text=True)
        if done.returncode != 0:  # usr-merge: dpkg knows /lib/... as /usr/lib/... or back
            other = str(lib)[4:] if str(lib).startswith("/usr/") else f"/usr{lib}"
            done = subprocess.run(["dpkg", "-S", other], capture_output=True, text=True)
        if done.returncode == 0:
            owners.add(done.stdout.split(":")[0].split(",")[0].strip())
    items = []
    for name in sorted(owners):
        version = output("dpkg-query", "-W", "-f=${Version}", name).strip()
        version = re.sub(r"-[^-]*$", "", version)  # upstream version: no Debian revision
        items.append(f"{name} (>= {version})" if version else name)
    return ", ".join(items)


def control(bundle: Path, arch: str, size_kb: int) -> str:
    return "\n".join([
        f"Package: {appinfo.APP_NAME}",
        f"Version: {appinfo.VERSION}",
        f"Architecture: {arch}",
        f"Maintainer: {appinfo.ORGANIZATION} developers <noreply@{appinfo.ORGANIZATION_DOMAIN}>",
        f"Installed-Size: {size_kb}",
        f"Depends: {depends(bundle)}",
        "Section: graphics",
        "Priority: optional",
        f"Homepage: {appinfo.HOMEPAGE}",
        f"Description: {appinfo.SUMMARY}",
        " photofind searches the photos on your own disk by what they show, with a CLIP model",
        " that runs on this computer. No photo, vector or query ever leaves it.",
    ]) + "\n"  # fmt: skip


def stage(bundle: Path, root: Path) -> None:
    """The package's file tree under `root`."""
    shutil.copytree(bundle, root / PREFIX, symlinks=True)
    (root / "usr" / "bin").mkdir(parents=True)
    for name in ("photofind", "photofind-gui"):
        (root / "usr" / "bin" / name).symlink_to(f"/{PREFIX}/{name}")
    res = root / PREFIX / "_internal" / "photofind" / "assets"
    share = root / "usr" / "share"
    desktop = res / "linux" / f"{appinfo.APP_ID}.desktop"
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(desktop, encoding="utf-8")
    assert entry["Desktop Entry"]["Exec"].startswith("photofind-gui "), "Exec must use PATH"
    (share / "applications").mkdir(parents=True)
    shutil.copy2(desktop, share / "applications" / desktop.name)
    (share / "metainfo").mkdir()
    shutil.copy2(res / "linux" / f"{appinfo.APP_ID}.metainfo.xml", share / "metainfo")
    for size in appinfo.ICON_SIZES:
        target = share / "icons" / "hicolor" / f"{size}x{size}" / "apps"
        target.mkdir(parents=True)
        shutil.copy2(res / "icons" / f"photofind-{size}.png", target / f"{appinfo.APP_ID}.png")
    scalable = share / "icons" / "hicolor" / "scalable" / "apps"
    scalable.mkdir(parents=True)
    shutil.copy2(res / "icons" / "photofind.svg", scalable / f"{appinfo.APP_ID}.svg")
    (root / PREFIX / "install-desktop.sh").unlink(missing_ok=True)  # the package does it


def build_deb(bundle: Path, out_dir: Path) -> Path:
    for tool in ("dpkg-deb", "dpkg", "ldd"):
        assert shutil.which(tool), f"{tool} is needed to build the .deb (Debian/Ubuntu)"
    arch = output("dpkg", "--print-architecture").strip()
    deb = out_dir / f"{appinfo.APP_NAME}_{appinfo.VERSION}_{arch}.deb"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "root"
        stage(bundle, root)
        size_kb = sum(p.lstat().st_size for p in root.rglob("*")) // 1024
        (root / "DEBIAN").mkdir()
        (root / "DEBIAN" / "control").write_text(control(bundle, arch, size_kb), "utf-8")
        subprocess.run(["dpkg-deb", "--root-owner-group", "-Zxz", "--build", str(root),
                        str(deb)], check=True, capture_output=True)  # fmt: skip
    return deb


def main() -> int:
    bundle = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "packaging" / "dist" / "photofind"
    deb = build_deb(bundle.resolve(), bundle.resolve().parent)
    print(f"{deb} ({deb.stat().st_size / 1e6:.0f} MB)")
    print(output("dpkg-deb", "--field", str(deb), "Depends"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

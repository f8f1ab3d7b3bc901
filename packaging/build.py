"""Build the one-folder bundle and smoke-test it with no Python on PATH.

    python packaging/build.py                 # build packaging/dist/photofind, then smoke-test it
    python packaging/build.py --compare       # also build without trimming and print both sizes
    python packaging/build.py --skip-build    # smoke-test an existing packaging/dist/photofind

Needs only a Python 3.10+ with venv: it makes a build venv (default /tmp/photofind-pkg) with
photofind and PyInstaller from PyPI, never torch, pinned by packaging/requirements-lock.txt
(versions and sha256 hashes, `pip install --require-hashes`; `--no-lock` resolves afresh).
packaging/smoke.py then runs the bundle as a person without Python would (see there).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from smoke import smoke  # packaging/smoke.py, beside this script

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DIST = HERE / "dist"
LOCK = HERE / "requirements-lock.txt"


def run(*cmd: str, env: dict[str, str] | None = None, timeout: float = 3600) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return done.stdout


def size_mb(folder: Path) -> float:
    """Bytes on disk, each file once (the bundle links Qt libraries into _internal/)."""
    files = [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()]
    return sum(p.stat().st_size for p in files) / 1e6


def venv_python(venv: Path) -> Path:
    return venv / "Scripts" / "python.exe" if os.name == "nt" else venv / "bin" / "python"


def install_photofind(python: Path, *, deps: bool, lock: Path | None) -> None:
    """pip-install this checkout from a copy, so no build/ or egg-info lands in the tree.

    With `lock`, the dependencies come first from the lock file, each checked against its
    hash, and photofind then goes in without resolving anything; `pip check` proves the lock
    covers what pyproject asks for on this platform."""
    pip = [str(python), "-m", "pip", "install", "-q"]
    if deps and lock is not None:
        run(*pip, "--require-hashes", "-r", str(lock))
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "photofind-src"
        src.mkdir()
        for name in ("pyproject.toml", "README.md", "LICENSE"):
            shutil.copy2(ROOT / name, src / name)
        shutil.copytree(ROOT / "photofind", src / "photofind",
                        ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
        if deps and lock is None:
            run(*pip, str(src), "pyinstaller")
        else:
            run(*pip, "--no-deps", "--force-reinstall", str(src))
    run(str(python), "-m", "pip", "check")


def ensure_venv(venv: Path, lock: Path | None) -> Path:
    python = venv_python(venv)
    has_pyinstaller = (
        python.exists()
        and subprocess.run(
            [str(python), "-c", "import PyInstaller"], capture_output=True
        ).returncode
        == 0
    )
    if not has_pyinstaller:
        run(sys.executable, "-m", "venv", str(venv))
        run(str(python), "-m", "pip", "install", "-q", "--upgrade", "pip")
    # A reused venv gets this checkout, and the lock again (a no-op when nothing changed).
    install_photofind(python, deps=True, lock=lock)
    return python


def build(python: Path, dist: Path, work: Path, *, trimmed: bool = True) -> Path:
    env = dict(os.environ, PHOTOFIND_BUNDLE_UNTRIMMED="0" if trimmed else "1")
    start = time.monotonic()
    out = run(str(python), "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
              "--distpath", str(dist), "--workpath", str(work), str(HERE / "photofind.spec"),
              env=env)  # fmt: skip
    for line in out.splitlines():
        if line.startswith("photofind.spec:"):
            print(line[:300])
    bundle = dist / "photofind"
    kind = "trimmed" if trimmed else "untrimmed"
    print(f"{kind} bundle {bundle}: {size_mb(bundle):.0f} MB ({time.monotonic() - start:.0f} s)")
    return bundle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, default=Path(tempfile.gettempdir()) / "photofind-pkg")
    parser.add_argument("--skip-build", action="store_true", help="smoke-test the existing build")
    parser.add_argument("--compare", action="store_true", help="also build untrimmed, for size")
    parser.add_argument("--no-gui", action="store_true", help="smoke-test the CLI only")
    parser.add_argument("--lock", type=Path, default=LOCK, help="requirements lock with hashes")
    parser.add_argument("--no-lock", action="store_true", help="resolve the dependencies afresh")
    parser.add_argument("--deb", action="store_true", help="then make and check a .deb (Linux)")
    args = parser.parse_args()
    bundle = DIST / "photofind"
    python = venv_python(args.venv)
    if not args.skip_build:
        python = ensure_venv(args.venv, None if args.no_lock else args.lock)
        if args.compare:
            with tempfile.TemporaryDirectory() as tmp:
                build(python, Path(tmp) / "dist", Path(tmp) / "work", trimmed=False)
        bundle = build(python, DIST, HERE / "build")
    with tempfile.TemporaryDirectory() as tmp:
        smoke(bundle, python if python.exists() else Path(sys.executable),
              gui=not args.no_gui, work=Path(tmp))  # fmt: skip
    if args.deb:
        make_deb(bundle)


def make_deb(bundle: Path) -> None:
    """packaging/linux/deb.py, then a look inside the package: unpacked (never installed
    here), its photofind runs, its desktop entry validates, its links point into /opt."""
    sys.path.insert(0, str(HERE / "linux"))
    from deb import build_deb

    start = time.monotonic()
    deb = build_deb(bundle, bundle.parent)
    print(f"{deb.name}: {deb.stat().st_size / 1e6:.0f} MB ({time.monotonic() - start:.0f} s)")
    listing = run("dpkg-deb", "--contents", str(deb))
    for needed in ("./usr/bin/photofind -> /opt/photofind/photofind",
                   "./usr/share/applications/io.github.photofind.Photofind.desktop",
                   "./usr/share/icons/hicolor/256x256/apps/io.github.photofind.Photofind.png",
                   "./opt/photofind/LICENSES/README.txt"):  # fmt: skip
        assert needed in listing, f"the .deb lacks {needed}"
    with tempfile.TemporaryDirectory() as tmp:
        run("dpkg-deb", "-x", str(deb), tmp)
        print(run(f"{tmp}/opt/photofind/photofind", "--version").strip(), "(from the .deb)")
        desktop = f"{tmp}/usr/share/applications/io.github.photofind.Photofind.desktop"
        if shutil.which("desktop-file-validate"):
            run("desktop-file-validate", desktop)
    print("Depends:", run("dpkg-deb", "--field", str(deb), "Depends").strip())


if __name__ == "__main__":
    main()

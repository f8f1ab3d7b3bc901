"""Build the one-folder bundle and smoke-test it with no Python on PATH.

    python packaging/build.py                 # build packaging/dist/photofind, then smoke-test it
    python packaging/build.py --compare       # also build without trimming and print both sizes
    python packaging/build.py --skip-build    # smoke-test an existing packaging/dist/photofind

Needs only a Python 3.10+ with venv: it makes a build venv (default /tmp/photofind-pkg) with
photofind and PyInstaller from PyPI, never torch. The smoke test runs the bundle with a
PATH that holds no Python and an environment that names none: `photofind --version`,
`folders add`, `index`, `search` and `similar` against tests/fixtures/tiny-clip, then the app
window for a few seconds (offscreen, and on X11 under Xvfb when it is installed).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DIST = HERE / "dist"
TINY_MODEL = ROOT / "tests" / "fixtures" / "tiny-clip"
FORBIDDEN = ("torch", "torchvision", "open_clip", "onnx/", "yaml")  # must never be bundled


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


def install_photofind(python: Path, *, deps: bool) -> None:
    """pip-install this checkout from a copy, so no build/ or egg-info lands in the tree."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "photofind-src"
        src.mkdir()
        for name in ("pyproject.toml", "README.md"):
            shutil.copy2(ROOT / name, src / name)
        shutil.copytree(ROOT / "photofind", src / "photofind",
                        ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
        extra = ["pyinstaller"] if deps else ["--no-deps", "--force-reinstall"]
        run(str(python), "-m", "pip", "install", "-q", str(src), *extra)


def ensure_venv(venv: Path) -> Path:
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
    install_photofind(python, deps=not has_pyinstaller)  # a reused venv gets this checkout
    return python


def build(python: Path, dist: Path, work: Path, *, trimmed: bool = True) -> Path:
    env = dict(os.environ, PHOTOFIND_BUNDLE_UNTRIMMED="0" if trimmed else "1")
    start = time.monotonic()
    run(str(python), "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
        "--distpath", str(dist), "--workpath", str(work), str(HERE / "photofind.spec"),
        env=env)  # fmt: skip
    bundle = dist / "photofind"
    kind = "trimmed" if trimmed else "untrimmed"
    print(f"{kind} bundle {bundle}: {size_mb(bundle):.0f} MB ({time.monotonic() - start:.0f} s)")
    return bundle


def check_contents(bundle: Path) -> None:
    names = [p.relative_to(bundle).as_posix() + ("/" if p.is_dir() else "") for p in
             bundle.rglob("*")]  # fmt: skip
    bad = sorted({n for n in names for f in FORBIDDEN if f"/{f}" in f"/{n}"})
    assert not bad, f"the bundle carries what it must not: {bad[:5]}"
    for needed in ("icons/photofind-256.png", "linux/io.github.photofind.Photofind.desktop",
                   "models/catalog.json"):  # fmt: skip
        assert any(n.endswith(needed) for n in names), f"the bundle lacks {needed}"


def bare_env(work: Path) -> dict[str, str]:
    """An environment with no Python anywhere: an empty PATH directory, no PYTHON* variables."""
    empty = work / "bin"
    empty.mkdir()
    env = {"PATH": str(empty), "HOME": str(work / "home"), "LANG": "C.UTF-8",
           "PHOTOFIND_HOME": str(work / "library")}  # fmt: skip
    if os.name == "nt":  # Windows cannot start a process without these
        for name in ("SYSTEMROOT", "WINDIR", "TEMP", "TMP", "LOCALAPPDATA", "APPDATA"):
            if name in os.environ:
                env[name] = os.environ[name]
    (work / "home").mkdir()
    assert shutil.which("python3", path=env["PATH"]) is None
    assert shutil.which("python", path=env["PATH"]) is None
    return env


def make_photos(python: Path, photos: Path) -> None:
    """Three shape pictures the tiny model knows, drawn by models/synthetic.py (Pillow), and
    outside the library a copy of the red circle to look for similar photos with."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); from synthetic import make_photo\n"
        "for c, s in [('red', 'circle'), ('blue', 'square'), ('green', 'triangle')]:\n"
        "    make_photo(f'{sys.argv[2]}/{c}-{s}.jpg', c, s)\n"
        "make_photo(f'{sys.argv[3]}/query.jpg', 'red', 'circle')"
    )
    run(str(python), "-c", code, str(ROOT / "models"), str(photos), str(photos.parent))


def smoke_cli(exe: Path, work: Path, env: dict[str, str], python: Path) -> None:
    photos = work / "photos"
    make_photos(python, photos)
    model = ["--model", str(TINY_MODEL)]
    print(run(str(exe), "--version", env=env).strip())
    run(str(exe), "folders", "add", str(photos), env=env)
    run(str(exe), *model, "index", env=env)
    out = run(str(exe), *model, "search", "a photo of a blue square", "-k", "1", env=env)
    assert "blue-square.jpg" in out, out
    out = run(str(exe), *model, "similar", str(work / "query.jpg"), "-k", "1", env=env)
    assert "red-circle.jpg" in out, out
    print("CLI smoke test passed: --version, folders add, index, search, similar")


def smoke_gui(exe: Path, env: dict[str, str], platform: str, seconds: float = 8) -> None:
    """Start the window and see it still running, with nothing on stderr, after `seconds`."""
    env = dict(env, QT_QPA_PLATFORM=platform, PHOTOFIND_MODEL=str(TINY_MODEL))
    log = Path(env["HOME"]) / f"gui-{platform}.log"
    with open(log, "w") as err:
        proc = subprocess.Popen([str(exe)], env=env, stdout=err, stderr=err)
        try:
            time.sleep(seconds)
            alive = proc.poll() is None
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    text = log.read_text(errors="replace")
    assert alive, f"the app window exited at once ({platform}):\n{text[-3000:]}"
    problems = [line for line in text.splitlines() if "Traceback" in line or "rror" in line
                or "Could not load the Qt platform plugin" in line]  # fmt: skip
    assert not problems, f"the app window reported ({platform}):\n{text[-3000:]}"
    print(f"GUI smoke test passed: the window ran {seconds:.0f} s on {platform}")


def smoke_gui_x11(exe: Path, env: dict[str, str]) -> None:
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        print("no Xvfb: skipped the X11 run of the window")
        return
    display = f":{os.getpid() % 400 + 100}"
    server = subprocess.Popen([xvfb, display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        time.sleep(1.5)
        smoke_gui(exe, dict(env, DISPLAY=display), "xcb")
    finally:
        server.terminate()
        server.wait(10)


def smoke(bundle: Path, python: Path, *, gui: bool = True) -> None:
    """`python` (the build venv's) only draws the test photos; the bundle runs without it."""
    check_contents(bundle)
    exe = bundle / ("photofind.exe" if os.name == "nt" else "photofind")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        env = bare_env(work)
        smoke_cli(exe, work, env, python)
        if gui and os.name == "posix" and sys.platform != "darwin":
            smoke_gui(exe, env, "offscreen")
            smoke_gui_x11(bundle / "photofind-gui", env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, default=Path(tempfile.gettempdir()) / "photofind-pkg")
    parser.add_argument("--skip-build", action="store_true", help="smoke-test the existing build")
    parser.add_argument("--compare", action="store_true", help="also build untrimmed, for size")
    parser.add_argument("--no-gui", action="store_true", help="smoke-test the CLI only")
    args = parser.parse_args()
    bundle = DIST / "photofind"
    python = venv_python(args.venv)
    if not args.skip_build:
        python = ensure_venv(args.venv)
        if args.compare:
            with tempfile.TemporaryDirectory() as tmp:
                build(python, Path(tmp) / "dist", Path(tmp) / "work", trimmed=False)
        bundle = build(python, DIST, HERE / "build")
    smoke(bundle, python if python.exists() else Path(sys.executable), gui=not args.no_gui)


if __name__ == "__main__":
    main()

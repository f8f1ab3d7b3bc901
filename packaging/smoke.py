"""The bundle's smoke test: run it as a person without Python would, and fail on any problem.

    python packaging/build.py --skip-build    # runs this on packaging/dist/photofind

Runs with an empty PATH directory, no PYTHON* variables and no LANG: `photofind --version`,
`folders add` on one photo of every MIME type the bundle's desktop entry offers (HEIC, AVIF,
JPEG, PNG, WebP, ...), `index` (all must decode), `search`, `similar`, leaving HOME empty (no
ONNX Runtime telemetry queue); then the window offscreen, and on X11 under Xvfb, where xdotool
types a query into the real window and the app's log must report the results while the
process stays alive (a screenshot is kept).
"""

from __future__ import annotations

import configparser
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TINY_MODEL = ROOT / "tests" / "fixtures" / "tiny-clip"
FORBIDDEN = ("torch", "torchvision", "open_clip", "onnx/", "yaml")  # must never be bundled
APP_ID = "io.github.photofind.Photofind"
QUERY = "a photo of a blue square"
# A suffix for each MIME type the desktop entry may offer (Pillow picks the writer by it).
SUFFIX = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "image/bmp": ".bmp",
    "image/tiff": ".tiff",
    "image/heif": ".heif",
    "image/heic": ".heic",
    "image/avif": ".avif",
    "image/x-adobe-dng": ".dng",
}  # fmt: skip  (one RAW: a DNG, testing/dng.py)
MUST_READ = {"image/heic", "image/avif", "image/jpeg", "image/png", "image/webp"}
# stderr lines from the window that mean something went wrong.
TROUBLE = ("Traceback", "rror", "Could not load the Qt platform plugin", "Detected locale",
           "QStandardPaths", "Segmentation", "Fatal Python")  # fmt: skip


def run(*cmd: str, env: dict[str, str] | None = None, timeout: float = 600) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return done.stdout


def bundle_files(bundle: Path) -> list[str]:
    return [p.relative_to(bundle).as_posix() + ("/" if p.is_dir() else "") for p in
            bundle.rglob("*")]  # fmt: skip


def offered_mime_types(bundle: Path) -> list[str]:
    (desktop,) = bundle.rglob(f"linux/{APP_ID}.desktop")
    entry = configparser.ConfigParser(interpolation=None)
    entry.read(desktop, encoding="utf-8")
    return [m for m in entry["Desktop Entry"]["MimeType"].split(";") if m]


def check_contents(bundle: Path) -> None:
    names = bundle_files(bundle)
    bad = sorted({n for n in names for f in FORBIDDEN if f"/{f}" in f"/{n}"})
    assert not bad, f"the bundle carries what it must not: {bad[:5]}"
    for needed in ("icons/photofind-256.png", f"linux/{APP_ID}.desktop", "modelstore/registry.json",
                   "photofind/assets/licences.json", "LICENSES/README.txt"):  # fmt: skip
        assert any(n.endswith(needed) for n in names), f"the bundle lacks {needed}"
    for component in ("photofind-", "PySide6_Essentials-", "onnxruntime-", "pillow-", "Python-"):
        assert any(n.startswith(f"LICENSES/{component}") and not n.endswith("/") for n in
                   names), f"no licence text for {component.rstrip('-')}"  # fmt: skip
    dangling = [p for p in bundle.rglob("*") if p.is_symlink() and not p.exists()]
    assert not dangling, f"dangling links: {dangling[:4]}"
    missing = MUST_READ - set(offered_mime_types(bundle))
    assert not missing, f"the desktop entry does not offer {sorted(missing)}"


def bare_env(work: Path) -> dict[str, str]:
    """No Python anywhere (an empty PATH directory, no PYTHON* variables), no LANG."""
    empty = work / "bin"
    empty.mkdir()
    env = {"PATH": str(empty), "HOME": str(work / "home"), "PHOTOFIND_HOME": str(work / "lib")}
    if os.name == "nt":  # Windows cannot start a process without these
        for name in ("SYSTEMROOT", "WINDIR", "TEMP", "TMP", "LOCALAPPDATA", "APPDATA"):
            if name in os.environ:
                env[name] = os.environ[name]
    (work / "home").mkdir()
    assert shutil.which("python3", path=env["PATH"]) is None
    assert shutil.which("python", path=env["PATH"]) is None
    return env


def make_photos(python: Path, photos: Path, mime_types: list[str]) -> list[str]:
    """One shape picture the tiny model knows per offered MIME type, drawn by photofind's
    testing/synthetic.py in the build venv (pillow-heif writes HEIC/HEIF, Pillow AVIF), and
    outside the library a red circle to look for similar photos with. Returns the names."""
    shapes = [("blue", "square"), ("red", "circle"), ("green", "triangle"), ("yellow", "star")]
    names = [f"{shapes[i % 4][0]}-{shapes[i % 4][1]}-{i}{SUFFIX[m]}" for i, m in
             enumerate(mime_types)]  # fmt: skip
    code = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from photofind.testing.synthetic import make_photo\n"
        "import pillow_heif; pillow_heif.register_heif_opener(); from PIL import Image\n"
        "from photofind.testing.dng import make_dng\n"
        "for name in sys.argv[4:]:\n"
        "    colour, shape, _ = name.split('-', 2)\n"
        "    if name.endswith('.dng'):\n"
        "        png = make_photo(f'{sys.argv[3]}/{name}.png', colour, shape)\n"
        "        make_dng(f'{sys.argv[2]}/{name}', Image.open(png))\n"
        "        continue\n"
        "    kind = Image.registered_extensions()['.' + name.rsplit('.', 1)[1]]\n"
        "    make_photo(f'{sys.argv[2]}/{name}', colour, shape, fmt=kind)\n"
        "make_photo(f'{sys.argv[3]}/query.jpg', 'red', 'circle')"
    )
    run(str(python), "-c", code, str(ROOT), str(photos), str(photos.parent), *names)
    return names


def smoke_cli(exe: Path, bundle: Path, work: Path, env: dict[str, str], python: Path) -> None:
    photos = work / "photos"
    photos.mkdir()
    offered = [m for m in offered_mime_types(bundle) if m in SUFFIX]
    names = make_photos(python, photos, offered)
    model = ["--model", str(TINY_MODEL)]
    print(run(str(exe), "--version", env=env).strip())
    run(str(exe), "folders", "add", str(photos), env=env)
    out = run(str(exe), *model, "index", env=env)
    assert f"indexed {len(names)} photos" in out and "could not be read" not in out, out
    out = run(str(exe), *model, "search", QUERY, "-k", "1", env=env)
    assert "blue-square-" in out, out
    out = run(str(exe), *model, "similar", str(work / "query.jpg"), "-k", "1", env=env)
    assert "red-circle-" in out, out
    left = sorted(p.relative_to(work).as_posix() for p in (work / "home").rglob("*"))
    assert not left, f"the CLI wrote into HOME (telemetry?): {left[:5]}"
    kinds = ", ".join(SUFFIX[m].lstrip(".").upper() for m in offered)
    print(f"CLI smoke test passed: --version, index decoded {len(names)} files ({kinds}), "
          "search, similar")  # fmt: skip


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def trouble(log: Path) -> list[str]:
    return [line for line in log.read_text(errors="replace").splitlines()
            if any(word in line for word in TROUBLE)]  # fmt: skip


def smoke_gui(exe: Path, env: dict[str, str], platform: str, seconds: float = 8) -> None:
    """Start the window and see it still running, with nothing wrong on stderr."""
    env = dict(env, QT_QPA_PLATFORM=platform, PHOTOFIND_MODEL=str(TINY_MODEL))
    log = Path(env["HOME"]) / f"gui-{platform}.log"
    with open(log, "w") as err:
        proc = subprocess.Popen([str(exe)], env=env, stdout=err, stderr=err)
        try:
            time.sleep(seconds)
            alive = proc.poll() is None
        finally:
            stop(proc)
    text = log.read_text(errors="replace")
    assert alive, f"the app window exited at once ({platform}):\n{text[-3000:]}"
    assert not trouble(log), f"the app window reported ({platform}):\n{text[-3000:]}"
    print(f"GUI smoke test passed: the window ran {seconds:.0f} s on {platform}")


def xdotool(*args: str, env: dict[str, str], timeout: float = 30) -> str:
    return run("xdotool", *args, env=env, timeout=timeout).strip()


def smoke_gui_typing(gui: Path, env: dict[str, str], shot: Path) -> None:
    """The real window on X11 (Xvfb): xdotool types the query as a person would, the app's
    log (PHOTOFIND_LOG=INFO) must show results while it stays alive; a screenshot is kept."""
    for tool in ("Xvfb", "xdotool", "import"):
        assert shutil.which(tool), f"{tool} missing: apt-get install xvfb xdotool imagemagick"
    display = f":{os.getpid() % 400 + 100}"
    xvfb = ["Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"]
    server = subprocess.Popen(xvfb, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    x = dict(os.environ, DISPLAY=display)
    env = dict(env, DISPLAY=display, QT_QPA_PLATFORM="xcb", PHOTOFIND_MODEL=str(TINY_MODEL),
               PHOTOFIND_LOG="INFO")  # fmt: skip
    log = Path(env["HOME"]) / "gui-typing.log"
    try:
        time.sleep(1.5)
        with open(log, "w") as err:
            proc = subprocess.Popen([str(gui)], env=env, stdout=err, stderr=err)
            try:
                window = xdotool("search", "--sync", "--onlyvisible", "--name", "photofind",
                                 env=x, timeout=60).splitlines()[0]  # fmt: skip
                xdotool("windowfocus", "--sync", window, env=x)
                xdotool("key", "ctrl+f", env=x)  # XTEST, as a keyboard would: Find
                xdotool("type", "--delay", "40", QUERY, env=x)
                found = wait_for_results(proc, log, x)
                run("import", "-window", "root", str(shot), env=x)
                alive = proc.poll() is None
            finally:
                stop(proc)
    finally:
        server.terminate()
        server.wait(10)
    text = log.read_text(errors="replace")
    assert alive, f"the window died after the query (exit {proc.returncode}):\n{text[-3000:]}"
    assert found, f"no results after typing {QUERY!r}:\n{text[-3000:]}"
    assert not trouble(log), f"the window reported:\n{text[-3000:]}"
    print(f"GUI smoke test passed: typed {QUERY!r} on X11, {found}; screenshot {shot}")


def wait_for_results(proc: subprocess.Popen, log: Path, x: dict[str, str], seconds: float = 90
                     ) -> str:  # fmt: skip
    """The log line of a search for QUERY with photos in it ('search ...: 3 photos'). Until
    the model has loaded a search finds nothing; Return searches again."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        for line in log.read_text(errors="replace").splitlines():
            if f"search {QUERY!r}:" in line and line.rstrip().endswith("photos"):
                return line.split(f"search {QUERY!r}: ", 1)[1]
        time.sleep(1.0)
        if proc.poll() is None:
            xdotool("key", "Return", env=x)
    return ""


def smoke(bundle: Path, python: Path, *, gui: bool = True, work: Path) -> None:
    """`python` (the build venv's) only draws the test photos; the bundle runs without it."""
    check_contents(bundle)
    exe = bundle / ("photofind.exe" if os.name == "nt" else "photofind")
    env = bare_env(work)
    smoke_cli(exe, bundle, work, env, python)
    if gui and os.name == "posix" and sys.platform != "darwin":
        smoke_gui(exe, env, "offscreen")
        smoke_gui_typing(bundle / "photofind-gui", env, bundle.parent / "smoke-x11.png")

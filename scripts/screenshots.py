"""Screenshots of every state of the window, made on a virtual X screen, into docs/screenshots/.

    python scripts/screenshots.py [--only NAME ...] [--out docs/screenshots]

Builds a demo library with the `photofind` console script (synthetic photos the tiny test
model understands, in three folders, one unreadable file, a few near-duplicates), then for
each state starts a fresh Xvfb screen the size of the shot, launches the real window on it
(Qt's xcb platform, as a desktop runs it), puts the window in that state and captures the
screen with ImageMagick's `import -window root`. Each PNG is re-saved optimised. Needs
`xvfb` and `imagemagick`. The states: first run, timeline, search with a cut, selection,
preview, duplicates, errors panel, preferences, dark, 2x scale, 640x480.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "tests" / "fixtures" / "tiny-clip"
QUERY = "a photo of a red circle"

# name: (screen width, height, extra environment)
STATES: dict[str, tuple[int, int, dict[str, str]]] = {
    "first-run": (900, 620, {}),
    "timeline": (1100, 720, {}),
    "search-cut": (1100, 720, {}),
    "selection": (1100, 720, {}),
    "preview": (1100, 720, {}),
    "duplicates": (1100, 720, {}),
    "errors": (1100, 720, {}),
    "preferences": (1100, 720, {}),
    "dark": (1100, 720, {"PHOTOFIND_THEME": "dark"}),
    "scale-2x": (1440, 1000, {"QT_SCALE_FACTOR": "2"}),
    "small-640x480": (640, 480, {}),
}


# -- the demo library (parent process) ------------------------------------------------------


def build_library(work: Path) -> dict[str, Path]:
    """Photos in three folders, indexed by the CLI; an empty library for the first run."""
    from PIL import Image

    from photofind.testing.synthetic import COLORS, SHAPES, make_photo

    pictures = work / "Pictures"
    colours = list(COLORS)
    n = 0
    for folder, count in (("Holiday 2024", 30), ("Garden", 24), ("Phone", 18)):
        for _ in range(count):
            n += 1
            colour, shape = colours[(n * 3) % len(colours)], SHAPES[(n * 5) % len(SHAPES)]
            size = ((1200, 900), (900, 1200), (1000, 1000))[n % 3]  # landscape, portrait, square
            path = make_photo(pictures / folder / f"IMG_{n:04}.jpg", colour, shape, seed=n,
                              size=size)  # fmt: skip
            stamp = time.time() - n * 86400 * 9  # spread over two years: timeline headers
            os.utime(path, (stamp, stamp))
    twin = pictures / "Phone" / "IMG_0061.jpg"
    for k in (1, 2):  # near-duplicates: the same picture, re-saved smaller
        Image.open(twin).resize((800 - 100 * k, 600 - 75 * k)).save(
            pictures / "Phone" / f"IMG_0061 copy {k}.jpg", quality=80
        )
    (pictures / "Phone" / "IMG_9999.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    library = work / "library"
    env = {**os.environ, "PHOTOFIND_HOME": str(library), "PHOTOFIND_MODEL": str(MODEL)}
    env.pop("QT_QPA_PLATFORM", None)
    cli = [sys.executable, "-m", "photofind"]
    for folder in sorted(pictures.iterdir()):
        subprocess.run([*cli, "folders", "add", str(folder)], env=env, check=True,
                       capture_output=True)  # fmt: skip
    subprocess.run([*cli, "index"], env=env, check=True, capture_output=True)
    return {"library": library, "empty": work / "empty-library", "config": work / "config"}


def shoot(name: str, paths: dict[str, Path], out: Path) -> Path:
    """One state on its own Xvfb screen; returns the PNG."""
    width, height, extra = STATES[name]
    read, write = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", f"{width}x{height}x24",
         "-nolisten", "tcp"],
        pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(write)
    with os.fdopen(read) as pipe:
        display = f":{pipe.readline().strip()}"
    target = out / f"{name}.png"
    try:
        env = {**os.environ, **extra, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb",
               "PYTHONPATH": str(ROOT), "XDG_CONFIG_HOME": str(paths["config"] / name)}  # fmt: skip
        done = subprocess.run(
            [sys.executable, __file__, "--drive", name, "--paths", json.dumps(
                {k: str(v) for k, v in paths.items()}), "--target", str(target)],
            env=env, capture_output=True, text=True, timeout=240,
        )  # fmt: skip
        if done.returncode != 0:
            raise SystemExit(f"{name}: the window failed:\n{done.stderr[-3000:]}")
    finally:
        xvfb.terminate()
        xvfb.wait(10)
    optimise(target)
    return target


def optimise(png: Path) -> None:
    """Re-save smaller: 256 colours (a window's flat colours and the demo's painted shapes
    lose nothing visible), no metadata, best zlib effort."""
    from PIL import Image

    with Image.open(png) as image:
        small = image.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT, dither=0)
    small.save(png, optimize=True)


# -- one state (child process, on the virtual screen) ----------------------------------------


def drive(name: str, paths: dict[str, Path], target: Path) -> None:
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from photofind.gui.app import create_app
    from photofind.gui.main_window import MainWindow
    from photofind.session import open_session

    app = create_app([sys.argv[0]])
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    width, height, _ = STATES[name]
    scale = float(os.environ.get("QT_SCALE_FACTOR", "1"))
    library = paths["empty"] if name == "first-run" else paths["library"]
    model = None if name == "first-run" else MODEL
    window = MainWindow(lambda: open_session(library, model))
    window.move(0, 0)
    window.resize(int(width / scale), int(height / scale))
    window.show()

    def spin(until, what: str, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while not until():
            if time.monotonic() > deadline:
                raise SystemExit(f"{name}: timed out waiting for {what}")
            app.processEvents()
            time.sleep(0.01)

    def settle(seconds: float = 1.0) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)

    def capture() -> None:
        settle(0.6)
        subprocess.run(["import", "-window", "root", str(target)], check=True)

    spin(lambda: window.session is not None, "the library to open")
    spin(lambda: not window.indexing, "indexing")
    if name != "first-run":
        spin(lambda: window.results.rowCount() > 0, "the timeline")
        settle(1.5)  # thumbnails
    if name in ("search-cut", "selection", "preview", "dark", "scale-2x", "small-640x480"):
        window.search_field.setFocus()
        finished: list[bool] = []
        window.search_finished.connect(lambda: finished.append(True))
        if name == "selection":  # more tiles to choose from
            box = window.search_bar.strictness
            box.setCurrentIndex(box.findData("more"))
        window.search_field.setText(QUERY)
        window.search_now()
        spin(lambda: bool(finished), "the search")
        settle(1.5)
    if name == "selection":
        from PySide6.QtCore import QItemSelectionModel

        model_ = window.view.selectionModel()
        for row in (0, 2, 3, 5):
            model_.select(window.results.index(row), QItemSelectionModel.SelectionFlag.Select)
        window.view.setFocus()
        settle(0.5)
    if name == "errors":
        window.show_errors()
        panel = window.errors_panel
        spin(lambda: panel.table.rowCount() > 0, "the errors")
        panel.move(120, 140)
    if name == "preferences":
        dialog = window.show_preferences()
        assert dialog is not None
        dialog.move(220, 40)
    if name in ("preview", "duplicates"):
        # Both are modal: capture from a timer while their event loop runs, then close them.
        def shot_and_close() -> None:
            modal = QApplication.activeModalWidget()
            if name == "duplicates" and modal is not None:
                loaded: list[bool] = []
                modal.groups_loaded.connect(lambda: loaded.append(True))  # type: ignore[attr-defined]
                deadline = time.monotonic() + 60
                while not loaded and "Looking" in modal.status.text():  # type: ignore[attr-defined]
                    if time.monotonic() > deadline:
                        break
                    app.processEvents()
                    time.sleep(0.05)
                settle(1.5)  # its thumbnails
            capture()
            if modal is not None:
                modal.reject()

        QTimer.singleShot(2500, shot_and_close)
        if name == "preview":
            window.view.setCurrentIndex(window.results.index(0))
            window.preview_current()
        else:
            window.show_duplicates()
    else:
        capture()
    window.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--only", nargs="*", choices=sorted(STATES), help="just these states")
    parser.add_argument("--work", type=Path, help="keep the demo library here")
    parser.add_argument("--drive", help=argparse.SUPPRESS)
    parser.add_argument("--paths", help=argparse.SUPPRESS)
    parser.add_argument("--target", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.drive:
        drive(args.drive, {k: Path(v) for k, v in json.loads(args.paths).items()}, args.target)
        return 0
    for tool in ("Xvfb", "import"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is missing: apt-get install xvfb imagemagick")
    work = args.work or Path(tempfile.mkdtemp(prefix="photofind-shots-"))
    paths = (
        build_library(work)
        if not (work / "library").exists()
        else {"library": work / "library", "empty": work / "empty-library",
              "config": work / "config"}
    )  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.only or list(STATES):
        png = shoot(name, paths, args.out)
        print(f"{png.relative_to(ROOT) if png.is_relative_to(ROOT) else png}: "
              f"{png.stat().st_size / 1024:.0f} KiB", flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

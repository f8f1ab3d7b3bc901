"""Screenshots of the photo grid as a person uses it, under Xvfb, for docs/screenshots/.

    python scripts/grid_screenshots.py [--shots docs/screenshots] [--model DIR] [--work DIR]

A folder like a person's (12 MP JPEGs, some stored sideways with EXIF orientation, portraits,
panoramas, squares, a PNG, a WebP, a copy, a broken file; EXIF dates over two years), the
real window (`python -m photofind`) on a 1280x800 virtual screen, driven with xdotool: the
timeline it opens on, two photos Ctrl-clicked, the trash confirmation, the preview (Space).
(Without a window manager, keys reach the window under the pointer; typing a query and the
menus were not reliable this way, so they are left to the tests.) Needs `xvfb`, `xdotool`
and `imagemagick`. Look at every picture it writes: that is what it is for.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

from photofind.testing.synthetic import COLORS, SHAPES, make_photo

ROOT = Path(__file__).resolve().parent.parent
KINDS = [(4000, 3000, "12mp"), (3000, 4000, "12mp-portrait"), (4000, 3000, "12mp-sideways"),
         (1200, 1600, "portrait"), (5000, 1200, "panorama"), (1500, 1500, "square"),
         (1920, 1080, "wide"), (800, 600, "small")]  # fmt: skip


def make_folder(folder: Path, count: int = 60) -> None:
    rnd = random.Random(5)
    for n in range(count):
        w, h, kind = KINDS[n % len(KINDS)]
        colour, shape = list(COLORS)[n % len(COLORS)], SHAPES[(n // 3) % len(SHAPES)]
        path = make_photo(folder / f"{kind}-{colour}-{shape}-{n:03}.jpg", colour, shape,
                          seed=n, size=(w, h))  # fmt: skip
        with Image.open(path) as img:
            img.load()
            exif = Image.Exif()
            when = time.time() - (n * 3600 if n < 10 else rnd.uniform(0, 700) * 86400)
            exif[0x8769] = {0x9003: time.strftime("%Y:%m:%d %H:%M:%S", time.localtime(when))}
            exif[0x010F], exif[0x0110] = "Canon", "Canon EOS 80D"
            if kind == "12mp-sideways":  # stored sideways, shown upright (as phones do)
                exif[0x0112] = 6
                img = img.transpose(Image.Transpose.ROTATE_90)
            img.save(path, quality=90, exif=exif)
    shutil.copy(next(folder.glob("wide-*")), folder / "a copy.jpg")
    make_photo(folder / "drawing.png", "green", "star", seed=200, size=(900, 700))
    with Image.open(make_photo(folder / "w.jpg", "blue", "heart", seed=201)) as img:
        img.save(folder / "web.webp")
    (folder / "w.jpg").unlink()
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--model", type=Path, default=ROOT / "tests" / "fixtures" / "tiny-clip")
    parser.add_argument("--work", type=Path)
    args = parser.parse_args()
    for tool in ("Xvfb", "xdotool", "import"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is missing: apt-get install xvfb xdotool imagemagick")
    work = args.work or Path(tempfile.mkdtemp(prefix="photofind-grid-"))
    photos = work / "Pictures"
    args.shots.mkdir(parents=True, exist_ok=True)
    display = f":{150 + os.getpid() % 100}"
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    env = {**os.environ, "DISPLAY": display, "PHOTOFIND_HOME": str(work / "library"),
           "PHOTOFIND_MODEL": str(args.model), "XDG_CONFIG_HOME": str(work / "config"),
           "XDG_DATA_HOME": str(work / "data"), "QT_QPA_PLATFORM": "xcb"}  # fmt: skip
    cli = [sys.executable, "-m", "photofind"]

    def x(*words: str) -> str:
        done = subprocess.run(["xdotool", *words], env=env, capture_output=True, text=True)
        return done.stdout.strip()

    def shot(name: str) -> None:
        subprocess.run(["import", "-window", "root", str(args.shots / f"grid-{name}.png")],
                       env=env, check=True)  # fmt: skip
        print("wrote", args.shots / f"grid-{name}.png")

    def click(px: int, py: int, *keys: str, button: str = "1") -> None:
        x("mousemove", str(px), str(py))
        for key in keys:
            x("keydown", key)
        x("click", button)
        for key in keys:
            x("keyup", key)
        time.sleep(0.8)

    def dialog_key(key: str) -> None:
        """No window manager here: keys go to the window under the pointer, so point at the
        dialog (centred on the screen) first."""
        x("mousemove", "640", "400")
        x("key", key)
        time.sleep(0.8)

    app = None
    try:
        if not photos.exists():
            make_folder(photos)
        subprocess.run([*cli, "folders", "add", str(photos)], env=env, capture_output=True)
        subprocess.run([*cli, "index"], env=env, check=True, capture_output=True)
        app = subprocess.Popen(cli, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        window = ""
        for _ in range(120):
            window = x("search", "--onlyvisible", "--name", "photofind").split("\n")[0]
            if window:
                break
            time.sleep(0.5)
        if not window:
            sys.exit("the window did not appear")
        x("windowsize", window, "1280", "800")
        x("windowmove", window, "0", "0")
        time.sleep(6)
        shot("timeline")
        click(551, 210)
        click(992, 210, "ctrl")
        shot("selection")
        x("key", "--window", window, "Delete")
        time.sleep(1)
        shot("trash-confirm")
        dialog_key("Escape")  # "No": nothing is trashed
        click(757, 210)
        x("key", "--window", window, "space")
        time.sleep(2.5)
        shot("preview")
    finally:
        if app is not None:
            app.terminate()
            try:
                app.wait(20)
            except subprocess.TimeoutExpired:
                app.kill()
        xvfb.terminate()


if __name__ == "__main__":
    main()

"""Launch the real app under Xvfb again and again, type a query with xdotool, screenshot it.

    python scripts/window_cycles.py [--cycles 20] [--photos 1536] [--new 48] [--model DIR]
                                    [--work DIR] [--shots DIR]

The issue-10 journey as a person lives it, outside the test suite: a library built with the
`photofind` console script, new photos dropped into its folder before every launch, then the
real window (`photofind`, the same entry point as the desktop menu) on a virtual screen,
a query typed key by key while the startup pass indexes the new photos, a screenshot, Ctrl+Q.
A launch whose process dies, or that never shows results, counts as a failure; the script
prints one line per launch and a summary. Needs `xvfb`, `xdotool` and `imagemagick`
(`apt-get install xvfb xdotool imagemagick`).
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

ROOT = Path(__file__).resolve().parent.parent

from photofind.testing.synthetic import COLORS, SHAPES, make_photo  # noqa: E402

KINDS = [(c, s) for s in SHAPES for c in COLORS]


def drop(folder: Path, start: int, count: int) -> None:
    for n in range(start, start + count):
        colour, shape = KINDS[n % len(KINDS)]
        make_photo(folder / f"{colour}-{shape}-{n:05}.jpg", colour, shape, seed=n,
                   size=(640, 480))  # fmt: skip


def xdotool(*args: str, env: dict[str, str], check: bool = True) -> str:
    done = subprocess.run(["xdotool", *args], env=env, capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    if check and done.returncode != 0:
        raise RuntimeError(f"xdotool {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout.strip()


def wait_for_window(env: dict[str, str], app: subprocess.Popen, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.poll() is not None:
            raise RuntimeError(f"the app exited with {app.returncode} before its window showed")
        found = xdotool("search", "--onlyvisible", "--name", "photofind", env=env, check=False)
        if found:
            return found.splitlines()[-1]
        time.sleep(0.2)
    raise RuntimeError("no window appeared")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--photos", type=int, default=1536)
    parser.add_argument("--new", type=int, default=48, help="photos dropped before each launch")
    parser.add_argument("--model", type=Path, default=ROOT / "tests" / "fixtures" / "tiny-clip")
    parser.add_argument("--work", type=Path, help="keep the library here (default: temporary)")
    parser.add_argument("--shots", type=Path, help="save a screenshot per launch here")
    parser.add_argument("--query", default="a photo of a red circle")
    args = parser.parse_args()
    for tool in ("Xvfb", "xdotool", "import"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is missing: apt-get install xvfb xdotool imagemagick")
    work = args.work or Path(tempfile.mkdtemp(prefix="photofind-cycles-"))
    photos, library = work / "Pictures", work / "library"
    display = f":{90 + os.getpid() % 100}"
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    env = {**os.environ, "DISPLAY": display, "PHOTOFIND_HOME": str(library),
           "PHOTOFIND_MODEL": str(args.model), "XDG_CONFIG_HOME": str(work / "config"),
           "PYTHONFAULTHANDLER": "1"}  # fmt: skip
    env.pop("QT_QPA_PLATFORM", None)
    failures = 0
    try:
        time.sleep(1.0)
        cli = [sys.executable, "-m", "photofind"]
        if not library.exists():
            drop(photos, 0, args.photos)
            subprocess.run([*cli, "folders", "add", str(photos)], env=env, check=True,
                           capture_output=True)  # fmt: skip
            subprocess.run([*cli, "index"], env=env, check=True, capture_output=True)
        total = sum(1 for _ in photos.iterdir())
        for cycle in range(args.cycles):
            drop(photos, total, args.new)
            total += args.new
            log = work / f"launch-{cycle:02}.log"
            start = time.monotonic()
            with log.open("w") as err:
                app = subprocess.Popen(cli, env=env, stdout=err, stderr=subprocess.STDOUT)
                try:
                    window = wait_for_window(env, app, 60)
                    xdotool("windowactivate", "--sync", window, env=env, check=False)
                    xdotool("windowfocus", "--sync", window, env=env, check=False)
                    xdotool("type", "--delay", "40", args.query, env=env)
                    xdotool("key", "Return", env=env)
                    time.sleep(3.0)  # the startup pass indexes the new photos meanwhile
                    if args.shots:
                        args.shots.mkdir(parents=True, exist_ok=True)
                        subprocess.run(["import", "-display", display, "-window", "root",
                                        str(args.shots / f"launch-{cycle:02}.png")],
                                       env=env, check=False)  # fmt: skip
                    if app.poll() is not None:
                        raise RuntimeError(f"the app died with exit code {app.returncode}")
                    # To the focused window, as a person's keyboard does: the id `search`
                    # found may be one of Qt's helper windows, gone by now.
                    xdotool("key", "ctrl+q", env=env)
                    code = app.wait(60)
                    if code != 0:
                        raise RuntimeError(f"the app exited with {code}")
                    print(f"launch {cycle:2}: ok ({time.monotonic() - start:.1f} s, "
                          f"{total} photos)", flush=True)  # fmt: skip
                except (RuntimeError, subprocess.TimeoutExpired) as exc:
                    failures += 1
                    app.kill()
                    print(f"launch {cycle:2}: FAILED: {exc} (log: {log})", flush=True)
        print(f"{args.cycles - failures} of {args.cycles} launches survived")
    finally:
        xvfb.terminate()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

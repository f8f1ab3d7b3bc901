"""Helpers for the library journeys: the `photofind` console script, real mounts, catalog peeks."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from photofind.testing.synthetic import make_photo

ROOT = Path(__file__).resolve().parents[2]
COLOURS = ("red", "green", "blue", "yellow")
SHAPES = ("circle", "square", "triangle")


def console_script() -> list[str]:
    """The installed `photofind` script beside this Python (what a person runs)."""
    script = Path(sys.executable).with_name("photofind")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "photofind"]


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def command(library: Path, *args: str, model: Path | None = None) -> list[str]:
    """`photofind --library LIBRARY [--model MODEL] ARGS...` as an argument list."""
    head = [*console_script(), "--library", str(library)]
    if model is not None:
        head += ["--model", str(model)]
    return [*head, *args]


def photofind(library: Path, *args: str, model: Path | None = None, check: bool = True,
              timeout: float = 240) -> subprocess.CompletedProcess:  # fmt: skip
    done = subprocess.run(
        command(library, *args, model=model),
        capture_output=True,
        text=True,
        env=env(),
        timeout=timeout,
    )
    if check and done.returncode != 0:
        raise AssertionError(f"photofind {' '.join(args)} failed ({done.returncode}):\n"
                             f"{done.stdout}\n{done.stderr}")  # fmt: skip
    return done


# root reads any folder: drop the two capabilities that let it, as an ordinary user has neither
AS_A_USER = ["--bounding-set=-dac_override,-dac_read_search",
             "--inh-caps=-dac_override,-dac_read_search"]  # fmt: skip


def index_as_a_user(library: Path, model: Path, *args: str) -> subprocess.CompletedProcess:
    """`photofind index` with an ordinary user's rights (root without its file capabilities)."""
    setpriv = shutil.which("setpriv")
    assert setpriv, "setpriv (util-linux) is missing: apt-get install util-linux"
    return subprocess.run([setpriv, *AS_A_USER, *command(library, "index", *args, model=model)],
                          capture_output=True, text=True, env=env(), timeout=120)  # fmt: skip


def make_photos(folder: Path, n: int, prefix: str = "p", size=(96, 96)) -> list[Path]:
    return [
        make_photo(folder / f"{prefix}{i:04}.jpg", COLOURS[i % 4], SHAPES[i % 3], seed=i, size=size)
        for i in range(n)
    ]


def two_model_library(library: Path, photos: Path, first: Path, second: Path) -> None:
    """Six photos in a folder of a library with two models imported (in that order), through
    the console script: where removing one model must leave the other working."""
    make_photos(photos, 6)
    photofind(library, "model", "import", str(first))
    photofind(library, "model", "import", str(second))
    photofind(library, "folders", "add", str(photos))


def embeddings(library: Path) -> dict[str, tuple[int, int, bytes]]:
    """{path: (file id, vector change number, vector bytes)}: any re-encode changes `seq`."""
    with contextlib.closing(sqlite3.connect(library / "catalog.sqlite", timeout=30)) as conn:
        rows = conn.execute(
            "SELECT f.path, f.id, e.seq, e.vector FROM files f "
            "JOIN embeddings e ON e.file_id = f.id"
        ).fetchall()
    return {str(p): (i, s, v) for p, i, s, v in rows}


def require_root() -> None:
    assert os.geteuid() == 0, "this journey mounts file systems: run the tests as root (CI does)"
    assert shutil.which("mount") and shutil.which("umount"), "mount(8) is missing"


def mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True, timeout=30)


def umount(target: Path) -> None:
    subprocess.run(["umount", str(target)], check=True, capture_output=True, timeout=30)


def is_mount(target: Path) -> bool:
    """From mountinfo: os.path.ismount misses a bind mount within one file system."""
    text = Path("/proc/self/mountinfo").read_text()
    points = {line.split(" ")[4].replace("\\040", " ") for line in text.splitlines()}
    return str(target) in points


@contextlib.contextmanager
def cleanup_mounts(*targets: Path) -> Iterator[None]:
    """Unmount whatever is still mounted on `targets` when the test ends, pass or fail."""
    try:
        yield
    finally:
        for target in targets:
            for _ in range(5):
                if not is_mount(target):
                    break
                subprocess.run(["umount", "-l", str(target)], capture_output=True, timeout=30)

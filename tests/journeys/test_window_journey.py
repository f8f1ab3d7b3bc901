"""The window on a library the CLI built, relaunched again and again with new photos waiting.

This is the journey that crashed for a new user: build a library with `photofind folders add`
and `photofind index`, drop new photos in, open the window and type a query while its startup
pass indexes them. Each launch is its own process (a crash in native code is an exit code
here, not a dead test run), with the real `QThreadPool` and typed keys; the loop is what lets
a race show.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from photofind.testing.synthetic import COLORS, SHAPES, make_photo

ROOT = Path(__file__).resolve().parents[2]
SESSION = Path(__file__).with_name("window_session.py")
CYCLES = 20
FIRST_PHOTOS = 48
NEW_PER_LAUNCH = 6


def _env(library: Path, model: Path, display: dict[str, str]) -> dict[str, str]:
    return {
        **os.environ,
        **display,
        "PYTHONPATH": str(ROOT),
        "PHOTOFIND_HOME": str(library),
        "PHOTOFIND_MODEL": str(model),
        "XDG_CONFIG_HOME": str(library.parent / "config"),  # QSettings of the window
    }


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "photofind", *args], env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, f"photofind {' '.join(args)} failed:\n{done.stderr}"
    return done.stdout


def _kinds() -> list[tuple[str, str]]:
    return [(c, s) for s in SHAPES for c in COLORS]


def _drop_photos(folder: Path, start: int, count: int) -> list[tuple[str, str]]:
    """Photos named `<colour>-<shape>-<n>`, in JPEG, PNG and WebP, some rotated by EXIF."""
    kinds = _kinds()
    made = []
    for n in range(start, start + count):
        colour, shape = kinds[n % len(kinds)]
        fmt = ("jpeg", "png", "webp")[n % 3]
        suffix = {"jpeg": "jpg"}.get(fmt, fmt)
        make_photo(folder / f"{colour}-{shape}-{n:04}.{suffix}", colour, shape, seed=n,
                   fmt=fmt, size=(900, 600))  # fmt: skip
        made.append((colour, shape))
    return made


def _launch(env: dict[str, str], queries: list[str]) -> dict:
    done = subprocess.run(
        [sys.executable, "-X", "faulthandler", str(SESSION), *queries],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, f"the window died (exit {done.returncode}):\n{done.stderr[-6000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_window_survives_launch_type_search_cycles(tmp_path: Path, tiny_model_dir: Path,
                                                   x_display: dict[str, str]):  # fmt: skip
    photos = tmp_path / "Pictures"
    library = tmp_path / "library"
    env = _env(library, tiny_model_dir, x_display)
    _drop_photos(photos, 0, FIRST_PHOTOS)
    (photos / "broken.jpg").write_bytes(b"\xff\xd8\xff not a photo")
    _cli(env, "folders", "add", str(photos))
    assert f"indexed {FIRST_PHOTOS} photos" in _cli(env, "index")
    total = FIRST_PHOTOS
    for cycle in range(CYCLES):
        new = _drop_photos(photos, total, NEW_PER_LAUNCH)
        total += NEW_PER_LAUNCH
        colour, shape = new[-1]
        query = f"a photo of a {colour} {shape}"
        result = _launch(env, [query, "a photo of a red circle"])
        assert result["counts"]["ok"] == total, f"cycle {cycle}: {result['counts']}"
        assert result["counts"]["error"] == 1, "the broken file stays recorded, once"
        assert result["vectors"] == total, f"cycle {cycle}: the index lacks photos"
        assert result["early"], f"cycle {cycle}: the query typed at launch found nothing"
        top = result["after"][query][0]
        assert top.startswith(f"{colour}-{shape}-"), f"cycle {cycle}: {query!r} gave {top}"
        assert result["after"]["a photo of a red circle"][0].startswith("red-circle-")
    # The CLI reads the same library after twenty window sessions.
    hits = json.loads(_cli(env, "search", "a photo of a red circle", "--json"))["hits"]
    assert Path(hits[0]["path"]).name.startswith("red-circle-")

"""A smart album is a saved search: through `photofind`, `album add NAME WORDS` holds the
photos `search WORDS` shows, and `album show` lists them.

Found by using it: on a library of six photos, `search red circle` showed the red circle and
`album add reds red circle` said "0 photos". The album read its cut-off with the zero-shot
labels' rule (tuned to tag a few photos of a large library), which put it above every score;
the search cut where its own scores parted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from itertools import product
from pathlib import Path

from photofind.testing.synthetic import COLORS, SHAPES, make_photo

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
QUERIES = (["red", "circle"], ["a", "photo", "of", "a", "square"], ["blue"], ["green", "star"])


def photofind(library: Path, model: Path, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "photofind", "--library", str(library), "--model", str(model),
         *args],
        capture_output=True, text=True, env=ENV, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done


def run(library: Path, model: Path, *args: str) -> dict:
    """The command's JSON answer (`--json` among `args`), or {}."""
    done = photofind(library, model, *args)
    return json.loads(done.stdout) if "--json" in args else {}


def say(library: Path, model: Path, *args: str) -> str:
    """What the command printed, stdout then stderr."""
    done = photofind(library, model, *args)
    return done.stdout + done.stderr


def test_an_album_holds_what_its_search_shows(tmp_path: Path, tiny_model_dir: Path) -> None:
    photos, library = tmp_path / "photos", tmp_path / "library"
    photos.mkdir()
    scenes = list(product(COLORS, SHAPES))
    for n in range(14):  # a small, uneven mix: some scenes twice, most once or not at all
        colour, shape = scenes[(n * 5) % len(scenes) if n < 10 else (n - 10) * 5]
        make_photo(photos / f"{n:02}-{colour}-{shape}.jpg", colour, shape, seed=n)
    run(library, tiny_model_dir, "folders", "add", str(photos))
    run(library, tiny_model_dir, "index")
    for number, words in enumerate(QUERIES):
        found = run(library, tiny_model_dir, "search", *words, "--json")
        shown = sorted(hit["path"] for hit in found["hits"])
        assert found["matches"] == len(shown) >= 1
        added = run(library, tiny_model_dir, "album", "add", f"album {number}", *words, "--json")
        assert added["album"]["count"] == len(shown), words
        listed = run(library, tiny_model_dir, "album", "show", f"album {number}", "--json")
        assert sorted(hit["path"] for hit in listed["hits"]) == shown, words


def test_album_messages_count_and_say_why_nothing_was_linked(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    """`album add` said "1 photos", and a second `album export` said "linked 0 photos"
    without why: the album's photos were in the folder from the first."""
    photos, library, out = tmp_path / "photos", tmp_path / "library", tmp_path / "out"
    photos.mkdir()
    for n, (colour, shape) in enumerate([("red", "circle")] + [("blue", "square")] * 5):
        make_photo(photos / f"{n}-{colour}-{shape}.jpg", colour, shape, seed=n)
    say(library, tiny_model_dir, "folders", "add", str(photos))
    say(library, tiny_model_dir, "index")
    assert "'reds': 1 photo\n" in say(
        library, tiny_model_dir, "album", "add", "reds", "red", "circle"
    )
    assert "linked 1 photo into" in say(
        library, tiny_model_dir, "album", "export", "reds", str(out)
    )
    again = say(library, tiny_model_dir, "album", "export", "reds", str(out))
    assert "linked 0 photos" in again and "1 photo of the album is there already" in again
    say(library, tiny_model_dir, "album", "add", "pngs", "red", "circle", "--type", "png")
    empty = say(library, tiny_model_dir, "album", "export", "pngs", str(tmp_path / "none"))
    assert "the album has no photos yet" in empty

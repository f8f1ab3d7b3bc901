"""`photofind index --json` on a new library: the "labels" phase counts toward one total,
given on its first line, that is the label texts to encode plus two passes over the photos.

It said "0/16" and then "1,841/1,841": a bar whose end moved a hundredfold once the label
texts began encoding. Texts the computer's text vector cache already holds are no work
and are not counted (a second library on the same model, with one label of its own).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from itertools import product
from pathlib import Path

from photofind.search.vocabulary import Vocabulary
from photofind.testing.synthetic import COLORS, SHAPES, make_photo

ROOT = Path(__file__).resolve().parents[2]
PHOTOS = 8


def run(env: dict[str, str], model: Path, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "photofind", "--model", str(model), *args],
                          capture_output=True, text=True, env=env, timeout=240)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done


def new_library(tmp_path: Path, name: str, model: Path) -> dict[str, str]:
    """The environment of a library in the platform's folders (XDG), all libraries sharing
    one cache folder as on a person's computer, with PHOTOFIND_HOME unset; photos added."""
    env = {k: v for k, v in os.environ.items() if k != "PHOTOFIND_HOME"}
    env.update(PYTHONPATH=str(ROOT), XDG_DATA_HOME=str(tmp_path / name / "data"),
               XDG_CACHE_HOME=str(tmp_path / "cache"),
               XDG_STATE_HOME=str(tmp_path / name / "state"))  # fmt: skip
    folder = tmp_path / name / "photos"
    folder.mkdir(parents=True)
    for n, (colour, shape) in enumerate(list(product(COLORS, SHAPES))[:PHOTOS]):
        make_photo(folder / f"{n:02}-{colour}-{shape}.jpg", colour, shape, seed=n)
    run(env, model, "folders", "add", str(folder))
    return env


def labels_phase(env: dict[str, str], model: Path) -> list[tuple[int, int]]:
    done = run(env, model, "index", "--json")
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    phase = [(p["done"], p["total"]) for p in lines if p["phase"] == "labels"]
    assert phase, done.stderr
    totals = {total for _, total in phase}
    assert len(totals) == 1, f"the total moved: {phase}"
    counts = [d for d, _ in phase]
    assert counts == sorted(counts), f"the count went back: {phase}"
    assert counts[0] == 0 and counts[-1] == phase[0][1], phase
    return phase


def test_the_labels_phase_has_one_total_from_its_first_line(tmp_path: Path, tiny_model_dir: Path):
    vocabulary = Vocabulary.builtin()
    texts = sum(len(vocabulary.texts(prompt)) for _, prompt in vocabulary.labels)
    first = new_library(tmp_path, "first", tiny_model_dir)
    phase = labels_phase(first, tiny_model_dir)
    assert phase[0][1] == texts + 2 * PHOTOS, "a new library encodes every label text"

    # Another library on this computer: the built-in texts are cached, its own label's
    # five texts are the only ones encoded.
    second = new_library(tmp_path, "second", tiny_model_dir)
    run(second, tiny_model_dir, "tags", "add", "my car=a red hatchback")
    phase = labels_phase(second, tiny_model_dir)
    assert phase[0][1] == len(vocabulary.templates) + 2 * PHOTOS, phase

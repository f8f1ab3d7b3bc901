"""`photofind index` as a person runs it: the label phase after the last photo writes the
cut-offs and tags the label-at-a-time code wrote (to the bit), and a kill -9 during it leaves
a library that the next `photofind index` finishes, with the same tags."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from itertools import product
from pathlib import Path

import numpy as np
import reference_cutoffs as reference

from photofind.clip import ClipModel
from photofind.library.catalog import Catalog
from photofind.library.labels import LabelStore
from photofind.search.thresholds import NEVER
from photofind.testing.synthetic import COLORS, SHAPES, make_photo

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def photofind(library: Path, model: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "photofind", "--library", str(library), "--model", str(model),
            *args]  # fmt: skip


def run(library: Path, model: Path, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run(photofind(library, model, *args), capture_output=True, text=True,
                          env=ENV, timeout=240)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done


def write_photos(folder: Path, start: int, count: int) -> None:
    folder.mkdir(exist_ok=True)
    scenes = list(product(COLORS, SHAPES))
    for n in range(start, start + count):
        colour, shape = scenes[(n * 7) % len(scenes)]
        fmt = "png" if n % 5 == 0 else "jpg"
        make_photo(folder / f"{n:03}-{colour}-{shape}.{fmt}", colour, shape, fmt=fmt, seed=n)


def labels_state(library: Path, model: Path) -> tuple[dict[int, tuple[float, int]], set]:
    """(cut-offs {label: (cut-off, photos)}, tags {(label, file, score)}) in the catalog."""
    name = ClipModel.load(model).name
    catalog = Catalog(library / "catalog.sqlite")
    try:
        cutoffs = LabelStore(catalog).cutoffs(name)
        rows = catalog.select(
            "SELECT label_id, file_id, score FROM file_labels WHERE model = ?", (name,)
        )
        return cutoffs, {(int(a), int(b), float(c)) for a, b, c in rows}
    finally:
        catalog.close()


def expected_state(library: Path, model: Path) -> tuple[dict[int, tuple[float, int]], set]:
    """The same, computed from the catalog's vectors by the label-at-a-time code."""
    name = ClipModel.load(model).name
    catalog = Catalog(library / "catalog.sqlite")
    try:
        store = LabelStore(catalog)
        labels = store.labels()
        stored = store.vectors(name)
        label_ids = np.asarray([lab.id for lab in labels], dtype=np.int64)
        matrix = np.stack([stored[lab.id][1] for lab in labels])
        ids, vectors = next(catalog.iter_embeddings(name, 10**6))
    finally:
        catalog.close()
    scores = vectors @ matrix.T
    cutoffs = np.array([reference.cut_off(reference.histogram(col)) for col in scores.T])
    tags = reference.tags(scores, cutoffs, label_ids, ids)
    stored_cutoffs = {
        int(i): (float(c) if c != NEVER else 1e9, len(ids))
        for i, c in zip(label_ids, cutoffs, strict=True)
    }
    return stored_cutoffs, tags


def test_the_label_phase_writes_what_the_label_at_a_time_code_wrote(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    photos, library = tmp_path / "photos", tmp_path / "library"
    write_photos(photos, 0, 16)
    (photos / "broken.jpg").write_bytes(b"\xff\xd8\xff not a picture")
    run(library, tiny_model_dir, "folders", "add", str(photos))
    run(library, tiny_model_dir, "index")
    cutoffs, tags = labels_state(library, tiny_model_dir)
    want_cutoffs, want_tags = expected_state(library, tiny_model_dir)
    assert len(want_tags) > 50 and any(c < 1e9 for c, _ in want_cutoffs.values())
    assert cutoffs == want_cutoffs
    assert tags == want_tags
    # The library grows by half: the batches are tagged with the old cut-offs, then the
    # cut-offs are read again and every photo is tagged anew.
    write_photos(photos, 16, 8)
    run(library, tiny_model_dir, "index")
    cutoffs, tags = labels_state(library, tiny_model_dir)
    want_cutoffs, want_tags = expected_state(library, tiny_model_dir)
    assert {p for _, p in cutoffs.values()} == {24}
    assert cutoffs == want_cutoffs
    assert tags == want_tags
    # What a person reads: `photofind tags` counts the same tags.
    listed = json.loads(run(library, tiny_model_dir, "tags", "--json").stdout)["labels"]
    counts = {row["name"]: row["count"] for row in listed}
    assert sum(counts.values()) == len(want_tags)


def test_a_kill_during_the_label_phase_leaves_a_library_the_next_index_finishes(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    photos, library = tmp_path / "photos", tmp_path / "library"
    write_photos(photos, 0, 8)
    run(library, tiny_model_dir, "folders", "add", str(photos))
    run(library, tiny_model_dir, "index")  # the label vectors: computed once per model
    killed, count = 0, 8
    for round_, more in enumerate((4, 6, 8, 10)):  # a quarter more or over: cut-offs again
        write_photos(photos, count, more)
        count += more
        proc = subprocess.Popen(photofind(library, tiny_model_dir, "index", "--json"),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV,
                                text=True)  # fmt: skip
        assert proc.stderr is not None
        for line in proc.stderr:
            if '"labels"' in line:  # the label phase has begun
                proc.send_signal(signal.SIGKILL)
                break
        proc.wait(timeout=120)
        killed += proc.returncode == -signal.SIGKILL
        done = run(library, tiny_model_dir, "index", "--json")
        assert json.loads(done.stdout)["failed"] == 0
        cutoffs, tags = labels_state(library, tiny_model_dir)
        want_cutoffs, want_tags = expected_state(library, tiny_model_dir)
        assert {p for _, p in cutoffs.values()} == {count}
        assert cutoffs == want_cutoffs, f"round {round_}"
        assert tags == want_tags, f"round {round_}"
    assert killed >= 2  # the kill landed in the label phase, not after the process ended

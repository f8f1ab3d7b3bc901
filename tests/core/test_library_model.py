"""The library with the tiny trained model: re-encoding avoided, watcher, killed runs, bad files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from photofind.clip import ClipModel
from photofind.errors import LibraryError
from photofind.library.home import LibraryPaths
from photofind.library.library import Library
from photofind.search import Query, Searcher
from photofind.testing.synthetic import make_photo

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def model(tiny_model_dir: Path) -> ClipModel:
    return ClipModel.load(tiny_model_dir)


def wait_for(condition, timeout: float = 30.0, every: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the condition")
        time.sleep(every)


class Counting:
    """Counts the images the encoder really runs on."""

    def __init__(self, model: ClipModel, monkeypatch: pytest.MonkeyPatch) -> None:
        self.images = 0
        real = model.image.encode_pixels

        def encode(pixels):
            self.images += len(pixels)
            return real(pixels)

        monkeypatch.setattr(model.image, "encode_pixels", encode)


def test_rename_and_move_are_not_encoded_again(tmp_path, model, monkeypatch):
    photos = tmp_path / "photos"
    make_photo(photos / "red.jpg", "red", "circle", seed=1)
    make_photo(photos / "blue.jpg", "blue", "square", seed=2)
    counter = Counting(model, monkeypatch)
    with Library(LibraryPaths.resolve(tmp_path / "lib"), model) as library:
        library.add_folder(photos)
        assert library.index().indexed == 2 and counter.images == 2
        (photos / "trip").mkdir()
        (photos / "red.jpg").rename(photos / "trip" / "renamed.jpg")
        report = library.index()
        assert report.scan.moved == 1 and report.indexed == 0
        assert counter.images == 2, "a moved photo must keep its vector"
        hits = Searcher(library).search(Query(text="a photo of a red circle", k=1))
        assert hits[0].file.path == photos / "trip" / "renamed.jpg"


def test_bad_files_are_recorded_and_skipped(tmp_path, model):
    photos = tmp_path / "photos"
    make_photo(photos / "good.jpg", "green", "triangle")
    (photos / "empty.jpg").write_bytes(b"")
    (photos / "notes.png").write_text("not a picture")
    data = (photos / "good.jpg").read_bytes()
    (photos / "cut.jpg").write_bytes(data[: len(data) // 3])
    with Library(LibraryPaths.resolve(tmp_path / "lib"), model) as library:
        library.add_folder(photos)
        report = library.index()
        assert (report.indexed, report.failed) == (1, 3)
        errors = {f.path.name: f.error for f in library.catalog.errors()}
        assert set(errors) == {"empty.jpg", "notes.png", "cut.jpg"}
        assert "empty file" in errors["empty.jpg"]
        assert library.folders()[0].state == "errors"
        assert library.index().failed == 0, "failed files are not retried until they change"


def test_watcher_picks_up_a_dropped_file(tmp_path, model):
    photos = tmp_path / "photos"
    make_photo(photos / "first.jpg", "blue", "circle")
    with Library(LibraryPaths.resolve(tmp_path / "lib"), model) as library:
        library.add_folder(photos)
        library.index()
        indexed = []
        library.watch(on_indexed=indexed.append, debounce=0.2, poll=0.5)
        make_photo(photos / "dropped.jpg", "red", "star", seed=3)
        searcher = Searcher(library)

        def found() -> bool:
            hits = searcher.search(Query(text="a photo of a red star", k=1))
            return bool(hits) and hits[0].file.path.name == "dropped.jpg"

        wait_for(found)
        wait_for(lambda: bool(indexed))  # on_indexed reports the pass
        (photos / "dropped.jpg").unlink()
        wait_for(lambda: library.catalog.file_by_path(photos / "dropped.jpg") is None)


def test_unplugged_folder_goes_offline_and_returns(tmp_path, model):
    drive = tmp_path / "drive"
    make_photo(drive / "a.jpg", "red", "circle")
    with Library(LibraryPaths.resolve(tmp_path / "lib"), model) as library:
        library.add_folder(drive)
        library.index()
        library.watch(debounce=0.2, poll=0.2)
        drive.rename(tmp_path / "away")
        wait_for(lambda: library.folders()[0].state == "offline")
        hits = Searcher(library).search(Query(text="a photo of a red circle", k=1))
        assert hits and hits[0].offline, "offline photos stay in the results, marked"
        (tmp_path / "away").rename(drive)
        make_photo(drive / "b.jpg", "blue", "square")
        wait_for(lambda: library.folders()[0].state == "up to date" and
                 library.status()["ok"] == 2)  # fmt: skip


def test_killed_indexing_resumes_without_loss_or_duplicates(tmp_path, tiny_model_dir):
    photos = tmp_path / "photos"
    colours, shapes = ["red", "green", "blue", "yellow"], ["circle", "square", "triangle"]
    for n in range(120):
        make_photo(photos / f"p{n:03}.jpg", colours[n % 4], shapes[n % 3], seed=n,
                   size=(800, 600))  # fmt: skip
    library_dir = tmp_path / "lib"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    base = [sys.executable, "-m", "photofind", "--library", str(library_dir)]
    subprocess.run([*base, "folders", "add", str(photos)], check=True, env=env, timeout=120)
    proc = subprocess.Popen([*base, "--model", str(tiny_model_dir), "index"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    catalog_path = LibraryPaths.resolve(library_dir).catalog
    import sqlite3

    def committed() -> int:
        try:
            with sqlite3.connect(catalog_path, timeout=5) as conn:
                return conn.execute("SELECT count(*) FROM embeddings").fetchone()[0]
        except sqlite3.Error:
            return 0

    wait_for(lambda: committed() >= 16 or proc.poll() is not None, timeout=120, every=0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    model = ClipModel.load(tiny_model_dir)
    with Library(LibraryPaths.resolve(library_dir), model) as library:
        counts = library.status()
        stored = library.catalog.embedding_count(model.name)
        assert counts["files"] == 120
        assert stored == counts["ok"] >= 16
        assert len(library.vectors) == stored, "the index is synced with what was committed"
        library.index()
        assert library.status() == {**library.status(), "ok": 120, "pending": 0, "error": 0}
        ids = library.catalog.embedding_ids(model.name)
        assert len(ids) == len(np.unique(ids)) == 120
        assert len(library.vectors) == 120
        hits = Searcher(library).search(Query(text="a photo of a blue circle", k=5))
        assert hits and all(h.file.path.name.startswith("p") for h in hits)


def test_cancel_keeps_what_is_done_and_pause_holds_work(tmp_path, model):
    from photofind.errors import Cancelled
    from photofind.tasks import TaskControl

    photos = tmp_path / "photos"
    for n in range(40):
        make_photo(photos / f"{n}.jpg", "red", "circle", seed=n)
    with Library(LibraryPaths.resolve(tmp_path / "lib"), model) as library:
        library.add_folder(photos)
        control = TaskControl()
        seen = []

        def progress(p):
            seen.append(p)
            if p.phase == "index" and p.done >= 16:
                control.cancel()

        with pytest.raises(Cancelled):
            library.index(control, progress, batch_size=8)
        done = library.status()["ok"]
        assert 16 <= done < 40
        assert any(p.total == 40 and p.rate >= 0 for p in seen if p.phase == "index")
        # Paused work makes no progress until resumed.
        control = TaskControl()
        control.pause()
        worker = threading.Thread(target=lambda: library.index(control, batch_size=8))
        worker.start()
        time.sleep(0.5)
        assert library.status()["ok"] == done
        control.resume()
        worker.join(timeout=120)
        assert library.status()["ok"] == 40


def _second_model(tiny_model_dir: Path, tmp_path: Path) -> ClipModel:
    """The tiny model's weights under another name: a different model to the library."""
    import json
    import shutil as sh

    second = tmp_path / "second-model"
    sh.copytree(tiny_model_dir, second)
    manifest = json.loads((second / "manifest.json").read_text())
    manifest["name"] = "tiny-clip-b"
    (second / "manifest.json").write_text(json.dumps(manifest))
    return ClipModel.load(second)


def test_switching_models_keeps_answering_until_the_new_one_is_complete(tmp_path, tiny_model_dir):
    old, new = ClipModel.load(tiny_model_dir), _second_model(tiny_model_dir, tmp_path)

    photos = tmp_path / "photos"
    for n in range(30):
        make_photo(photos / f"{n}.jpg", ["red", "blue", "green"][n % 3], "circle", seed=n)
    with Library(LibraryPaths.resolve(tmp_path / "lib"), old) as library:
        library.add_folder(photos)
        library.index()
        searcher = Searcher(library)
        answered_by: list[str] = []

        def progress(p) -> None:
            hits = searcher.search(Query(text="a photo of a red circle", k=3))
            assert hits, "queries are answered throughout the switch"
            answered_by.append(library.model.name)

        library.switch_model(new, progress=progress)
        assert set(answered_by) == {"tiny-clip"}, "the old model answers until the new is done"
        assert library.model is new and library.catalog.embedding_count("tiny-clip-b") == 30
        hits = searcher.search(Query(text="a photo of a red circle", k=1))
        assert hits[0].file.path.name in {f"{n}.jpg" for n in range(0, 30, 3)}
        library.drop_vectors("tiny-clip")
        assert library.catalog.embedding_count("tiny-clip") == 0
        assert not list(library.paths.vectors_dir.glob("tiny-clip.index*"))
        with pytest.raises(LibraryError, match="in use"):
            library.drop_vectors("tiny-clip-b")


def test_text_vectors_cached_for_one_model_are_not_used_with_another(tmp_path, tiny_model_dir):
    old, new = ClipModel.load(tiny_model_dir), _second_model(tiny_model_dir, tmp_path)
    encode = new.text.encode_texts
    new.text.encode_texts = lambda texts, **kw: -encode(texts, **kw)  # another vector space
    query = ["a photo of a red circle"]
    with Library(LibraryPaths.resolve(tmp_path / "lib"), old) as library:
        searcher = Searcher(library)
        before = searcher.text_vectors(query)
        np.testing.assert_allclose(searcher.text_vectors(query), before)  # from the cache
        library.switch_model(new)
        np.testing.assert_allclose(searcher.text_vectors(query), -before, atol=1e-6)

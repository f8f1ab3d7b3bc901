"""Library work from several threads: a folder removed while another thread indexes."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from test_library_model import _second_model

from photofind.clip import ClipModel
from photofind.library import vectorsync
from photofind.library.catalog import Catalog, NewFile
from photofind.library.home import LibraryPaths
from photofind.library.indexlock import IndexLock
from photofind.library.library import Library
from photofind.testing.synthetic import make_photo

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def model(tiny_model_dir: Path) -> ClipModel:
    return ClipModel.load(tiny_model_dir)


def photos(folder: Path, n: int, seed: int) -> None:
    for i in range(n):
        make_photo(folder / f"{seed}-{i}.jpg", ("red", "blue")[i % 2], "square", seed=seed + i,
                   size=(48, 48))  # fmt: skip


def test_a_folder_removed_while_another_thread_indexes_leaves_a_true_index(tmp_path, model):
    keep, drop = tmp_path / "keep", tmp_path / "drop"
    keep.mkdir()
    drop.mkdir()
    home = LibraryPaths.resolve(tmp_path / "lib")
    with Library(home, model) as library:
        library.add_folder(keep)
        vectors = library.vectors
        in_pass: list[int] = []  # the thread inside an index pass, if any
        clashes: list[str] = []
        real_index, real_save = library.index, vectors.save

        def index(*args, **kwargs):
            with library._index_lock:  # the pass's thread is known before its first save
                pass
            in_pass.append(threading.get_ident())
            try:
                return real_index(*args, **kwargs)
            finally:
                in_pass.clear()

        def save():
            if in_pass and in_pass[0] != threading.get_ident():
                clashes.append("save from another thread while a pass was adding vectors")
            real_save()

        library.index = index
        vectors.save = save
        for round_ in range(6):
            photos(keep, 24, seed=1000 * round_)
            photos(drop, 12, seed=1000 * round_ + 500)
            library.add_folder(drop)
            failures: list[BaseException] = []

            def work(failures=failures) -> None:
                try:
                    library.index(batch_size=4)
                except BaseException as exc:  # the pass must survive the removal
                    failures.append(exc)

            worker = threading.Thread(target=work)
            worker.start()
            while not library.catalog.embedding_count(model.name) and worker.is_alive():
                pass  # remove while the pass is encoding (or right after it scanned)
            removed = {f.id for f in library.catalog.files_in_folder(
                library.catalog.folder_for_path(drop).id)}  # fmt: skip
            library.remove_folder(drop)
            worker.join(120)
            assert not failures, f"round {round_}: the index pass failed: {failures[0]!r}"
            assert not clashes, f"round {round_}: {clashes[0]}"
            assert not any(i in vectors for i in removed), f"round {round_}: removed ids stay"
            for path in drop.iterdir():
                path.unlink()
        library.index()
        stored = library.catalog.embedding_count(model.name)
        assert stored == len(vectors) == 6 * 24
    with Library(home, model) as again:  # what was saved agrees with the catalog
        assert len(again.vectors) == again.catalog.embedding_count(model.name) == 6 * 24


def test_an_open_library_catches_up_with_what_another_process_indexed(tmp_path, model):
    folder = tmp_path / "photos"
    photos(folder, 5, seed=0)
    home = LibraryPaths.resolve(tmp_path / "lib")
    with Library(home, model) as library:  # the window, open for hours
        library.add_folder(folder)
        library.index()
        photos(folder, 10, seed=100)
        index_in_another_process(home, model)
        assert library.index().indexed == 0, "the other process did the work"
        assert len(library.vectors) == 15, "its vectors must reach this process's index"
    with Library(home, model) as again:
        assert len(again.vectors) == 15


def index_in_another_process(home: LibraryPaths, model: ClipModel) -> None:
    subprocess.run(
        [sys.executable, "-m", "photofind", "--library", str(home.home), "--model",
         str(model.folder), "index"],
        check=True, capture_output=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_an_idle_library_closing_keeps_no_vector_another_process_replaced(tmp_path, model):
    folder = tmp_path / "photos"
    photos(folder, 4, seed=0)
    home = LibraryPaths.resolve(tmp_path / "lib")
    with Library(home, model) as library:
        library.add_folder(folder)
        library.index()
        assert library.vectors.stamp == library.catalog.embedding_stamp(model.name)
    edited = folder / "0-0.jpg"
    with Library(home, model):  # the window, idle: it only searches
        before = edited.stat().st_mtime_ns
        make_photo(edited, "green", "circle", seed=77, size=(48, 48))  # the photo is edited
        os.utime(edited, ns=(before + 10**9, before + 10**9))
        index_in_another_process(home, model)  # re-encodes it, and saves its index
    # ... and the window closes: its index changed nothing, so it writes nothing over the
    # other process's file (it used to save its stale copy, which the next open re-synced).
    with Library(home, model) as again:
        file_id = again.catalog.file_by_path(edited).id
        stored = again.catalog.get_embeddings(model.name, [file_id])[file_id]
        assert cosine(again.vectors.get_vectors([file_id])[0], stored) > 0.999
        assert again.vectors.open_report.action == "loaded"


def test_a_model_switch_holds_what_another_process_stored_while_it_waited(
    tmp_path, model, tiny_model_dir
):
    new = _second_model(tiny_model_dir, tmp_path)
    folder = tmp_path / "photos"
    photos(folder, 6, seed=0)
    home = LibraryPaths.resolve(tmp_path / "lib")
    with Library(home, new) as library:  # the new model's vectors are there already
        library.add_folder(folder)
        library.index()
    target = folder / "0-0.jpg"
    replaced = np.random.default_rng(3).standard_normal(new.embed_dim).astype(np.float32)
    with Library(home, model) as library:
        library.index()
        file_id = library.catalog.file_by_path(target).id
        other = IndexLock(home.index_lock)  # this test is the other process
        waiting = threading.Event()
        failures: list[BaseException] = []

        def progress(p) -> None:
            if p.phase == "wait":
                waiting.set()

        def switch() -> None:
            try:
                library.switch_model(new, progress=progress)
            except BaseException as exc:
                failures.append(exc)

        with other.held():
            worker = threading.Thread(target=switch)
            worker.start()
            assert waiting.wait(60), "the switch must wait for the other process"
            catalog = Catalog(home.catalog)  # the other process re-encodes a photo
            catalog.store_results(new.name, [(file_id, replaced, None)], [])
            catalog.close()
        worker.join(120)
        assert not failures, failures
        assert library.model is new
        assert cosine(library.vectors.get_vectors([file_id])[0], replaced) > 0.999
        assert library.vectors.stamp == library.catalog.embedding_stamp(new.name)


def test_searches_during_a_large_catch_up_never_lose_results(tmp_path, model, monkeypatch):
    folder = tmp_path / "photos"
    photos(folder, 4, seed=0)
    home = LibraryPaths.resolve(tmp_path / "lib")
    rng = np.random.default_rng(5)
    with Library(home, model) as library:
        library.add_folder(folder)
        library.index()
        catalog = Catalog(home.catalog)  # another process stores far more vectors than we hold
        folder_id = catalog.folder_for_path(folder).id
        many = 6000  # above REBUILD_MIN and 30% of the library: a rebuild
        ids = catalog.add_files(
            [NewFile(folder_id, folder / f"x-{i}.jpg", 1, 1) for i in range(many)]
        )
        stored = rng.standard_normal((many, model.embed_dim)).astype(np.float32)
        catalog.store_results(model.name, [(i, stored[k], None) for k, i in enumerate(ids)], [])
        catalog.close()
        rebuilds: list[int] = []
        real_rebuild = vectorsync.rebuild

        def rebuild(*args, **kwargs):
            rebuilds.append(1)
            real_rebuild(*args, **kwargs)

        real_chunks = library.catalog.iter_embeddings

        def slow_chunks(*args, **kwargs):  # a large library on a slow disk
            for chunk in real_chunks(*args, **kwargs):
                time.sleep(0.02)
                yield chunk

        monkeypatch.setattr(vectorsync, "rebuild", rebuild)
        monkeypatch.setattr(vectorsync, "CHUNK", 1000)
        monkeypatch.setattr(library.catalog, "iter_embeddings", slow_chunks)
        query = rng.standard_normal(model.embed_dim).astype(np.float32)
        mine = set(library.vectors.ids().tolist())  # the photos this process indexed
        before = len(library.vectors.query(query, 10)), len(library.vectors.query(query, 10, mine))
        seen: list[tuple[int, int]] = []
        stop = threading.Event()

        def search() -> None:
            while not stop.is_set():
                hits, own = library.vectors.query(query, 10), library.vectors.query(query, 10, mine)
                seen.append((len(hits), len(own)))

        searcher = threading.Thread(target=search)
        searcher.start()
        try:
            library.index(rescan=False)  # catches up first
        finally:
            stop.set()
            searcher.join(30)
        assert rebuilds == [1], "the catch-up must have been a rebuild"
        assert len(library.vectors) == many + 4
        assert before == (4, 4) and seen
        assert min(n for n, _ in seen) >= 4 and min(n for _, n in seen) == 4, (
            "a search during the catch-up saw a part of the index"
        )
        assert library.vectors.stamp == library.catalog.embedding_stamp(model.name)

"""Library work from several threads: a folder removed while another thread indexes."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from synthetic import make_photo

from photofind.clip import ClipModel
from photofind.library.home import LibraryPaths
from photofind.library.library import Library


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
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    folder = tmp_path / "photos"
    photos(folder, 5, seed=0)
    home = LibraryPaths.resolve(tmp_path / "lib")
    with Library(home, model) as library:  # the window, open for hours
        library.add_folder(folder)
        library.index()
        photos(folder, 10, seed=100)
        subprocess.run(
            [sys.executable, "-m", "photofind", "--library", str(home.home), "--model",
             str(model.folder), "index"],
            check=True, capture_output=True, timeout=120,
            env={**os.environ, "PYTHONPATH": str(root)},
        )  # fmt: skip
        assert library.index().indexed == 0, "the other process did the work"
        assert len(library.vectors) == 15, "its vectors must reach this process's index"
    with Library(home, model) as again:
        assert len(again.vectors) == 15

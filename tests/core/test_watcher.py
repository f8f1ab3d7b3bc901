"""The real watcher (watchdog threads) on real folders: moves between folders keep vectors."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from photofind.clip import ClipModel
from photofind.errors import CatalogError
from photofind.library.home import LibraryPaths
from photofind.library.library import Library
from photofind.testing.synthetic import make_photo


@pytest.fixture(scope="module")
def model(tiny_model_dir: Path) -> ClipModel:
    return ClipModel.load(tiny_model_dir)


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the watcher"
        time.sleep(0.05)


def test_photos_moved_between_two_watched_folders_keep_their_id_and_vector(
    tmp_path, model, monkeypatch
):
    first, second = tmp_path / "first", tmp_path / "second"
    second.mkdir()
    for n in range(200):
        make_photo(first / f"{n:03}.jpg", ("red", "blue")[n % 2], "circle", seed=n, size=(48, 48))
    encoded = []
    real = model.image.encode_pixels
    monkeypatch.setattr(
        model.image, "encode_pixels", lambda px: encoded.append(len(px)) or real(px)
    )
    with Library(LibraryPaths.resolve(tmp_path / "lib"), model) as library:
        library.add_folder(first)
        library.add_folder(second)
        library.index()
        assert sum(encoded) == 200
        before = library.catalog.get_embeddings(model.name, range(1, 201))
        ids = {p.name: library.catalog.file_by_path(p).id for p in first.iterdir()}
        passes = []
        library.watch(on_indexed=passes.append, debounce=0.3, poll=0.5)
        source, target = first, second
        for round_ in range(3):
            for path in sorted(source.iterdir()):
                path.rename(target / path.name)
                if int(path.stem) % 50 == 0:
                    time.sleep(0.1)  # the two folders' events do not end at the same instant

            def moved(target=target) -> bool:
                rows = library.catalog.files_in_folder(library.catalog.folder_for_path(target).id)
                return len(rows) == 200 and not library.watcher._dirty

            wait_for(moved)
            kept = {p.name: library.catalog.file_by_path(p) for p in target.iterdir()}
            assert {n: r.id for n, r in kept.items() if r} == ids, f"round {round_}: ids changed"
            assert sum(encoded) == 200, f"round {round_}: moved photos were encoded again"
            after = library.catalog.get_embeddings(model.name, list(ids.values()))
            assert all((after[i] == before[i]).all() for i in ids.values())
            assert len(library.vectors) == 200
            source, target = target, source


def fail_once(monkeypatch, catalog, caller: str) -> list[str]:
    """`catalog.folders` raises CatalogError once, when the watcher's method `caller` calls it."""
    real, failed = catalog.folders, []

    def folders():
        if not failed and sys._getframe(1).f_code.co_name == caller:
            failed.append("database is locked")
            raise CatalogError("database is locked")
        return real()

    monkeypatch.setattr(catalog, "folders", folders)
    return failed


@pytest.mark.parametrize("where", ["poll", "index"])
def test_the_watcher_outlives_a_catalog_error_and_indexes_afterwards(
    tmp_path, model, monkeypatch, caplog, where
):
    folder = tmp_path / "photos"
    make_photo(folder / "first.jpg", "red", "circle", seed=1, size=(48, 48))
    with Library(LibraryPaths.resolve(tmp_path / "lib"), model) as library:
        library.add_folder(folder)
        library.index()
        dropped = folder / "dropped.jpg"
        # "poll": the reachability poll fails; "index": the pass for a dropped file fails.
        failed = fail_once(monkeypatch, library.catalog,
                           "_poll_reachability" if where == "poll" else "_index")  # fmt: skip
        watcher = library.watch(debounce=0.2, poll=0.5)
        if where == "poll":
            wait_for(lambda: failed)
        make_photo(dropped, "blue", "square", seed=2, size=(48, 48))
        wait_for(lambda: failed)
        record = lambda: library.catalog.file_by_path(dropped)  # noqa: E731
        indexed = lambda: record() is not None and record().status == "ok"  # noqa: E731
        wait_for(lambda: indexed() and watcher.state == "watching", timeout=30)  # pass ended
        assert watcher._thread.is_alive()
        assert len(library.vectors) == 2
    assert "database is locked" in caplog.text


def test_each_folder_is_checked_once_and_mountinfo_read_once_per_pass(tmp_path, monkeypatch):
    from photofind.library import library as owner  # hands check_folder to the watcher
    from photofind.library import mounts

    checked, parsed = [], []
    real_check, real_parse = owner.check_folder, mounts._linux_mounts

    def check(catalog, folder, *rest):
        checked.append(folder.path.name)
        return real_check(catalog, folder, *rest)

    monkeypatch.setattr(owner, "check_folder", check)
    monkeypatch.setattr(mounts, "_linux_mounts", lambda t: parsed.append(1) or real_parse(t))
    with Library(LibraryPaths.resolve(tmp_path / "lib"), None) as library:
        for name in ("a", "b", "c"):
            make_photo(tmp_path / name / "x.jpg", "red", "circle", seed=1, size=(32, 32))
            library.add_folder(tmp_path / name)
        library.scan()
        checked.clear(), parsed.clear()
        watching = library.watch(debounce=5, poll=60)  # no pass runs meanwhile
        assert sorted(checked) == ["a", "b", "c"] and len(parsed) == 1, "start: once each"
        checked.clear(), parsed.clear()
        watching.check_soon()  # a poll on the watcher thread, nothing changed
        wait_for(lambda: len(checked) >= 3)
        time.sleep(0.5)
        assert sorted(checked) == ["a", "b", "c"] and len(parsed) == 1, "poll: once each"
        checked.clear(), parsed.clear()
        (tmp_path / "c" / "x.jpg").rename(tmp_path / "x.jpg")  # c is emptied: it goes offline
        watching.refresh()
        assert sorted(checked) == ["a", "b", "c"] and len(parsed) == 1, "refresh: once each"
        assert sorted(watching._watches) == [1, 2]


def test_the_watcher_needs_only_three_callables_not_a_library(tmp_path):
    """folders(), check(folder, mounts) and index(control, folders): nothing else."""
    from photofind.library.records import Folder
    from photofind.library.scanner import FolderCheck
    from photofind.library.watcher import FolderWatcher

    root = tmp_path / "photos"
    root.mkdir()
    folder = Folder(id=7, path=root, exclude=(), online=True, last_scan=None)
    passes = []

    def index(control, folders):
        passes.append([f.id for f in folders])
        return SimpleNamespace(scan=None)

    watcher = FolderWatcher(
        lambda: [folder],
        lambda f, mounts: FolderCheck(True),
        lambda control, folders: (
            passes.append([f.id for f in folders]) or SimpleNamespace(scan=None)
        ),
        debounce=0.2,
        poll=60,
    )
    watcher.start()
    try:
        make_photo(root / "new.jpg", "red", "circle", seed=1, size=(32, 32))
        wait_for(lambda: passes == [[7]])
    finally:
        watcher.stop()

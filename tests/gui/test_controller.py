"""The window's decisions (controller.py) checked without a window: a runner the test steps."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from photofind.gui.controller import WindowController
from photofind.session import model_store, open_session
from photofind.testing.synthetic import make_photo


class StepRunner:
    """Holds each job until the test runs it, so the order of answers is the test's."""

    def __init__(self) -> None:
        self.jobs: list[tuple[Any, tuple, dict]] = []

    def __call__(self, fn, *args, done=None, failed=None, progress=None) -> None:
        self.jobs.append((fn, args, {"done": done, "failed": failed, "progress": progress}))

    def run(self, index: int = 0) -> Any:
        fn, args, hooks = self.jobs.pop(index)
        kwargs = {"progress": hooks["progress"]} if hooks["progress"] else {}
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:
            if hooks["failed"]:
                hooks["failed"](exc)
            return exc
        if hooks["done"]:
            hooks["done"](result)
        return result


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    for n, (colour, shape) in enumerate([("red", "circle"), ("blue", "square")]):
        make_photo(folder / f"{colour}-{shape}.jpg", colour, shape, seed=n)
    return folder


@pytest.fixture
def controller(qapp, tmp_path, tiny_model_dir):
    runner = StepRunner()
    c = WindowController(lambda: open_session(tmp_path / "lib", tiny_model_dir), run=runner)
    c.open()
    runner.run()  # opening the session; it starts the first index pass (queued)
    assert c.session is not None and c.indexing
    runner.run()
    assert not c.indexing
    yield c, runner
    if c.session is not None and c.session.library.watcher is not None:
        c.session.library.watcher.stop()
    c.shutdown()


def test_an_answer_overtaken_by_a_newer_search_is_dropped(controller, photos):
    c, runner = controller
    shown: list[list] = []
    c.searched.connect(shown.append)
    c.search((lambda q: ["old"], "old"))
    c.search((lambda q: ["new"], "new"))
    runner.run(1)  # the newer search answers first
    runner.run(0)  # the older one arrives late
    assert shown == [["new"]], "the late answer of the older search must not replace the newer"


def test_no_query_shows_no_hits_at_once_and_drops_pending(controller):
    c, runner = controller
    shown: list[list] = []
    c.searched.connect(shown.append)
    c.search((lambda q: ["slow"], "slow"))
    c.search(None)  # the field was cleared
    runner.run()
    assert shown == [[]]


def test_index_requests_during_a_pass_queue_exactly_one_more(controller, photos):
    c, runner = controller
    c.add_folder(photos)  # starts a pass
    assert c.indexing and len(runner.jobs) == 1
    assert not c.start_indexing() and not c.start_indexing()  # asked twice meanwhile
    assert len(runner.jobs) == 1
    runner.run()  # the pass ends; exactly one more starts
    assert c.indexing and len(runner.jobs) == 1
    runner.run()
    assert not c.indexing and runner.jobs == []
    assert c.session.library.status()["ok"] == 2


def test_a_model_switch_has_one_owner_of_the_current_model(controller, photos, tiny_immich_dir):
    c, runner = controller
    c.add_folder(photos)
    runner.run()
    store = model_store(c.session.paths)
    assert store.root == c.store().root == c.session.store.root == c.session.paths.models_dir
    cache = photos.parent / "immich" / "tiny__immich"
    shutil.copytree(tiny_immich_dir, cache)
    store.import_folder(cache)
    switched: list[Any] = []
    c.model_switched.connect(switched.append)
    assert c.use_model("tiny__immich")
    runner.run()
    assert switched and switched[0].name == "tiny__immich"
    assert c.session.model is c.session.library.model, "Session.model reads the library's"
    assert c.session.model.name == "tiny__immich"
    assert store.active_name() == "tiny__immich", "the switched-to model stays chosen"
    assert not c.use_model("tiny__immich"), "already in use: nothing to do"


def test_pause_reaches_the_watcher_and_shutdown_cancels(controller):
    c, _runner = controller
    c.set_paused(True)
    watcher = c.session.library.watcher
    assert watcher is not None and watcher.control.paused and c.control.paused
    c.set_paused(False)
    assert not watcher.control.paused
    c.shutdown()
    assert c.session is None and c.control.cancelled

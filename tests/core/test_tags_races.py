"""Tags against the threads around them: a batch tagged while a calibration runs, and the
calibration an index pass triggers (its progress, its cancel, the locks it must not hold)."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from shapes_library import write_shapes

from photofind.clip import ClipModel
from photofind.errors import Cancelled
from photofind.library.home import LibraryPaths
from photofind.library.library import Library
from photofind.search.tags import Tags
from photofind.search.vocabulary import Vocabulary
from photofind.tasks import Progress, TaskControl
from photofind.testing.synthetic import COLORS, SHAPES

VOCABULARY = Vocabulary(
    ("a photo of {}", "a picture of {}"),
    tuple((c, f"a {c} shape") for c in COLORS) + tuple((s, f"a {s}") for s in SHAPES),
)
THREE_COLOURS = ("red", "blue", "green")
THREE_SHAPES = ("circle", "square", "triangle")
ROUNDS = 3
WAIT = 10.0


@pytest.fixture(scope="module")
def model(tiny_model_dir: Path) -> ClipModel:
    return ClipModel.load(tiny_model_dir)


class Gate:
    """A progress callback that stops the calibration at the first report `when` accepts,
    until `open()`."""

    def __init__(self, when) -> None:
        self.when = when
        self.reached = threading.Event()
        self._go = threading.Event()

    def __call__(self, p: Progress) -> None:
        if not self.reached.is_set() and self.when(p):
            self.reached.set()
            assert self._go.wait(WAIT)

    def open(self) -> None:
        self._go.set()


class Batches:
    """An index listener that keeps the batches the indexer commits."""

    def __init__(self) -> None:
        self.batches: list[tuple[np.ndarray, np.ndarray]] = []

    def stored(self, ids, vectors) -> None:
        self.batches.append((ids, vectors))

    def finished(self, control=None, progress=None) -> None:
        pass


def expected_tags(library: Library, tags: Tags, model: ClipModel) -> set[tuple[int, int]]:
    """(label, file) pairs the stored cut-offs give over every vector."""
    cutoffs = tags.store.cutoffs(model.name)
    label_ids, matrix = tags.label_matrix(model)
    want = set()
    for ids, chunk in library.catalog.iter_embeddings(model.name, 4096):
        scores = chunk @ matrix.T
        for c, label in enumerate(label_ids):
            cut = cutoffs.get(int(label), (np.inf, 0))[0]
            want |= {(int(label), int(f)) for f in ids[scores[:, c] >= cut]}
    return want


def stored_tags(library: Library, model: ClipModel) -> set[tuple[int, int]]:
    rows = library.catalog.select(
        "SELECT label_id, file_id FROM file_labels WHERE model = ?", (model.name,)
    )
    return {(int(a), int(b)) for a, b in rows}


def in_thread(target, *args, **kwargs) -> threading.Thread:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            target(*args, **kwargs)
        except BaseException as exc:  # handed to the test
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.errors = errors  # type: ignore[attr-defined]
    thread.start()
    return thread


def finish(*threads: threading.Thread) -> None:
    for thread in threads:
        thread.join(WAIT)
        assert not thread.is_alive()
        assert not thread.errors, thread.errors  # type: ignore[attr-defined]


def test_a_batch_committed_during_the_first_calibration_is_tagged(tmp_path, model) -> None:
    for round in range(2 * ROUNDS):
        folder = tmp_path / f"p{round}"
        write_shapes(folder, THREE_COLOURS, THREE_SHAPES, (0, 1))
        library = Library(LibraryPaths.resolve(tmp_path / f"lib{round}"), model)
        try:
            batches = Batches()
            library.add_index_listener(batches)
            library.add_folder(folder)
            library.index()  # no tags listener yet: nothing is calibrated
            tags = Tags(library, VOCABULARY)
            assert tags.store.cutoffs(model.name) == {}
            # Stop the calibration after it read the vectors, before it writes.
            reached, go = threading.Event(), threading.Event()
            write = tags.store.replace_labels

            def gated(*args, write=write, reached=reached, go=go) -> None:
                reached.set()
                assert go.wait(WAIT)
                write(*args)

            tags.store.replace_labels = gated
            calibrating = in_thread(tags.calibrate)
            assert reached.wait(WAIT)
            write_shapes(folder / "new", ("blue",), ("heart",), (7, 8))
            batches.batches.clear()
            library.index()  # committed after the calibration read the vectors
            # The indexer may commit the two photos as one batch or one per inference worker.
            assert batches.batches, "the new photos were committed"
            ids = np.concatenate([np.asarray(i) for i, _ in batches.batches])
            vectors = np.vstack([v for _, v in batches.batches])
            # This process's tagger, or another process's (its own lock, the same catalog).
            tagger = tags if round % 2 == 0 else Tags(library, VOCABULARY)
            tagging = in_thread(tagger.stored, ids, vectors)
            tagging.join(0.3)  # before the fix it returned at once, with no cut-offs to use
            go.set()
            finish(calibrating, tagging)
            new = {int(i) for i in ids}
            want = expected_tags(library, tags, model)
            assert {f for _, f in want} >= new  # each new photo carries something
            assert stored_tags(library, model) == want
        finally:
            library.close()


def test_a_batch_tagged_during_a_calibration_keeps_its_new_tags(tmp_path, model) -> None:
    write_shapes(tmp_path / "p", THREE_COLOURS, THREE_SHAPES, (0, 1))
    library = Library(LibraryPaths.resolve(tmp_path / "lib"), model)
    try:
        tags = Tags(library, VOCABULARY)
        library.add_index_listener(tags)
        library.add_folder(tmp_path / "p")
        library.index()
        assert tags.store.cutoffs(model.name)
        ids, vectors = library.catalog.get_embedding_matrix(
            model.name, library.vectors.ids().tolist()
        )
        for round in range(ROUNDS):
            # Adding a label encodes its text under the lock: stop it there. A batch the
            # indexer hands over meanwhile read the old cut-offs (none for the new label)
            # before the fix, and then replaced the new label's tags of its photos.
            gate = Gate(lambda p: p.done > 0)
            adding = in_thread(tags.add, [f"sky{round}=a blue shape"], progress=gate)
            assert gate.reached.wait(WAIT)
            tagging = in_thread(tags.stored, ids, vectors)
            tagging.join(0.3)
            gate.open()
            finish(adding, tagging)
            assert len(tags.tagged(f"sky{round}")) == 6  # the blue photos
            assert stored_tags(library, model) == expected_tags(library, tags, model)
    finally:
        library.close()


def test_the_calibration_after_an_index_pass_reports_and_cancels(tmp_path, model) -> None:
    write_shapes(tmp_path / "p", THREE_COLOURS, THREE_SHAPES, (0, 1))
    library = Library(LibraryPaths.resolve(tmp_path / "lib"), model)
    try:
        tags = Tags(library, VOCABULARY)
        library.add_index_listener(tags)
        library.add_folder(tmp_path / "p")
        control = TaskControl()
        seen: list[Progress] = []
        held: list[bool] = []

        def progress(p: Progress) -> None:
            seen.append(p)
            if p.phase == "labels" and p.done > 0:
                held.append(library._index_lock.locked())
                control.cancel()

        with pytest.raises(Cancelled):
            library.index(control, progress)
        phases = [p.phase for p in seen]
        assert "labels" in phases and phases.index("index") < phases.index("labels")
        assert held == [False]  # the index locks are let go before the labels are read
        assert tags.store.cutoffs(model.name) == {}  # cancelled: nothing written
        # The next pass reads them, to the end of the "labels" phase.
        seen.clear()
        library.index(None, seen.append)
        last = [p for p in seen if p.phase == "labels"][-1]
        assert last.total > 0 and last.done == last.total
        assert tags.store.cutoffs(model.name)
        assert stored_tags(library, model) == expected_tags(library, tags, model)
    finally:
        library.close()

"""Label text vectors: sorted batches equal texts run alone, and a per-model cache shared by
libraries that survives a damaged file, kill -9 and two processes computing at once."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from photofind.clip import ClipModel
from photofind.library.home import LibraryPaths
from photofind.library.library import Library
from photofind.search.tags import CACHE_EVERY, Tags
from photofind.search.textcache import TextVectorCache, cache_folder, model_key
from photofind.search.vocabulary import Vocabulary

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def model(tiny_model_dir: Path) -> ClipModel:
    return ClipModel.load(tiny_model_dir)


def test_sorted_batches_give_each_text_its_own_vector(model: ClipModel) -> None:
    texts = [
        "a red circle",
        "",
        "a photo of a small blue square on the left on a striped background " * 3,  # cut
        "star",
        "a drawing of two green hearts at the top",
        "a star",
        "an image of a black cross",
    ]
    seen: list[int] = []
    batched = model.text.encode_texts(
        texts, batch_size=3, on_batch=lambda rows, _v: seen.extend(rows.tolist())
    )
    alone = np.concatenate([model.text.encode_texts([t]) for t in texts])
    assert sorted(seen) == list(range(len(texts)))
    assert seen != list(range(len(texts)))  # really reordered by length
    np.testing.assert_allclose(batched, alone, atol=1e-5)


def _library(home: Path, model: ClipModel, cache: Path) -> Library:
    return Library(LibraryPaths.at(home, cache_dir=cache), model)


def _label_matrix(home: Path, model: ClipModel, cache: Path, vocabulary: Vocabulary) -> np.ndarray:
    """The label text vectors a new library at `home` (sharing `cache`) works with."""
    library = _library(home, model, cache)
    try:
        return Tags(library, vocabulary).label_matrix(model)[1]
    finally:
        library.close()


def _counting(model: ClipModel, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every text the model encodes from now on."""
    calls: list[str] = []
    original = model.text.encode_texts

    def encode(texts, **kwargs):
        calls.extend(texts)
        return original(texts, **kwargs)

    monkeypatch.setattr(model.text, "encode_texts", encode)
    return calls


def test_a_second_library_computes_no_label_text(
    tmp_path: Path, model: ClipModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    vocabulary = Vocabulary.builtin()
    reference = _label_matrix(tmp_path / "one", model, tmp_path / "cache", vocabulary)
    calls = _counting(model, monkeypatch)
    again = _label_matrix(tmp_path / "two", model, tmp_path / "cache", vocabulary)
    assert calls == []
    np.testing.assert_allclose(again, reference, atol=1e-6)
    # Another model (here: another manifest) has a file of its own.
    other = ClipModel(dataclasses.replace(model.manifest, raw={"name": "other"}))
    assert model_key(other) != model_key(model)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "wrong width"])
def test_a_damaged_cache_file_is_ignored_and_written_again(
    tmp_path: Path, model: ClipModel, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    vocabulary = Vocabulary(("a photo of {}", "{}"), (("red", "a red shape"), ("star", "a star")))
    texts = [t for _, p in vocabulary.labels for t in vocabulary.texts(p)]
    cache = TextVectorCache(cache_folder(tmp_path / "cache"), model)
    cache.add(texts, model.text.encode_texts(texts))
    whole = cache.path.read_bytes()
    if damage == "garbage":
        cache.path.write_bytes(b"not a cache at all" * 100)
    elif damage == "truncated":
        cache.path.write_bytes(whole[: len(whole) // 2])
    elif damage == "empty":
        cache.path.write_bytes(b"")
    else:
        np.savez(cache.path, format=np.int64(1), texts=np.asarray(texts), vectors=np.ones((4, 3)))
    calls = _counting(model, monkeypatch)
    matrix = _label_matrix(tmp_path / "lib", model, tmp_path / "cache", vocabulary)
    assert sorted(calls) == sorted(texts)  # computed again, not read from the damage
    fresh = TextVectorCache(cache_folder(tmp_path / "cache"), model).lookup(texts)
    assert sorted(fresh) == sorted(texts)  # and the file is whole again
    assert np.isfinite(matrix).all() and matrix.shape == (2, model.embed_dim)


# A child process computing the built-in labels' text vectors into a cache folder; with
# KILL_AFTER it kills itself (SIGKILL, no cleanup) once that many texts are computed.
CHILD = r"""
import os, signal, sys
from pathlib import Path
from photofind.clip import ClipModel
from photofind.library.home import LibraryPaths
from photofind.library.library import Library
from photofind.search.tags import Tags
from photofind.search.vocabulary import Vocabulary

model = ClipModel.load(sys.argv[1])
library = Library(LibraryPaths.at(Path(sys.argv[2]), cache_dir=Path(sys.argv[3])), model)
kill_after = int(os.environ.get("KILL_AFTER", "0"))
tags = Tags(library, Vocabulary.builtin())
vocabulary = tags.vocabulary
texts = [t for _, p in vocabulary.labels for t in vocabulary.texts(p)]
computed = []
original = model.text.encode_texts

def encode(todo, **kwargs):
    computed.extend(todo)
    batch = kwargs.pop("on_batch")
    done = []

    def on_batch(rows, vectors):
        batch(rows, vectors)
        done.extend(rows)
        if kill_after and len(done) >= kill_after:
            os.kill(os.getpid(), signal.SIGKILL)

    return original(todo, on_batch=on_batch, **kwargs)

model.text.encode_texts = encode
tags.text_vectors(model, texts)
print(len(computed))
"""


def _child(model_dir: Path, home: Path, cache: Path, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(model_dir), str(home), str(cache)],
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _texts() -> list[str]:
    vocabulary = Vocabulary.builtin()
    return [t for _, p in vocabulary.labels for t in vocabulary.texts(p)]


def test_kill_9_while_computing_keeps_what_was_written(
    tmp_path: Path, tiny_model_dir: Path, model: ClipModel
) -> None:
    cache = tmp_path / "cache"
    killed = _child(tiny_model_dir, tmp_path / "a", cache, KILL_AFTER=str(3 * CACHE_EVERY))
    killed.communicate(timeout=120)
    assert killed.returncode == -9
    texts = _texts()
    kept = TextVectorCache(cache_folder(cache), model).lookup(texts)
    assert 2 * CACHE_EVERY <= len(kept) < len(texts)
    rerun = _child(tiny_model_dir, tmp_path / "b", cache)
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    assert int(out) == len(texts) - len(kept)  # only what the kill lost
    whole = TextVectorCache(cache_folder(cache), model).lookup(texts)
    reference = model.text.encode_texts(texts)
    got = np.stack([whole[t] for t in texts])
    np.testing.assert_allclose(got, reference, atol=1e-5)


def test_two_processes_compute_a_models_texts_once(
    tmp_path: Path, tiny_model_dir: Path, model: ClipModel
) -> None:
    texts = _texts()
    for attempt in range(3):  # the two start together: the lock decides who computes
        cache = tmp_path / f"cache{attempt}"
        children = [_child(tiny_model_dir, tmp_path / f"{attempt}-{n}", cache) for n in range(2)]
        outs = []
        for child in children:
            out, err = child.communicate(timeout=120)
            assert child.returncode == 0, err
            outs.append(int(out))
        assert sorted(outs) == [0, len(texts)], outs
        kept = TextVectorCache(cache_folder(cache), model).lookup(texts)
        assert len(kept) == len(set(texts))

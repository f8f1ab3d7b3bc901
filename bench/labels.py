"""Benchmark: the first `photofind index` of a 10-photo library, before and after the label work.

    python bench/labels.py                       # ViT-B bench model, 3 rounds, base = main
    python bench/labels.py --rounds 5 --base f7d3928 --model tests/fixtures/tiny-clip
    python bench/labels.py --throughput-only     # text batches alone (no subprocesses)

Each round runs three first indexes through the `photofind` console script (`python -m
photofind folders add`, then `index`, the second timed), each on a fresh default library
(XDG_DATA_HOME, XDG_CACHE_HOME and XDG_STATE_HOME in a new folder, PHOTOFIND_HOME unset):

  A  the base revision (`--base`, extracted with `git archive` into the temp folder):
     every label text is encoded, unsorted batches of 64;
  B  this tree, an empty cache: the same texts, sorted by token length;
  C  this tree, a second library of the same user (the cache folder B filled): no text
     is encoded.

Rounds run interleaved (A B C A B C ...) on a shared machine; printed are each variant's
median, the ratios to A and the load average before and after. Then the label throughput
alone, in this process: the built-in vocabulary's texts through the text graph, unsorted
(the base's way) against sorted, for several batch sizes, interleaved, texts per second.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from itertools import product
from pathlib import Path

import numpy as np
from common import DEFAULT_MODEL, ROOT, WORK, model_dir

PHOTOS = 10


def photos(folder: Path) -> Path:
    from photofind.testing.synthetic import COLORS, SHAPES, make_photo

    folder.mkdir(parents=True, exist_ok=True)
    for n, (colour, shape) in enumerate(list(product(COLORS, SHAPES))[:PHOTOS]):
        path = folder / f"{n:02}.jpg"
        if not path.exists():
            make_photo(path, colour, shape, size=(1024, 768), seed=n)
    return folder


def base_tree(rev: str) -> Path:
    """The base revision's files, extracted once per commit into the temp folder (not the
    work tree, whose source files the tests scan)."""
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", rev], check=True, capture_output=True, text=True
    ).stdout.strip()
    target = Path(tempfile.gettempdir()) / f"photofind-bench-labels-base-{commit[:12]}"
    if not (target / "photofind" / "__init__.py").is_file():
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", commit], check=True, capture_output=True
        ).stdout
        target.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(target, filter="data")
    return target


def first_index(tree: Path, model: Path, photo_dir: Path, home: Path, cache: Path) -> float:
    """Seconds of `photofind index` on a fresh default library (whose cache folder is
    `cache`), the folder added first (not timed)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTOFIND_")}
    env.update(
        PYTHONPATH=str(tree), XDG_DATA_HOME=str(home / "data"), XDG_CACHE_HOME=str(cache),
        XDG_STATE_HOME=str(home / "state"), PHOTOFIND_MODEL=str(model),
    )  # fmt: skip
    command = [sys.executable, "-m", "photofind"]
    run = dict(env=env, check=True, capture_output=True, cwd=str(home))
    home.mkdir(parents=True)
    subprocess.run([*command, "folders", "add", str(photo_dir)], **run)  # type: ignore[call-overload]
    start = time.perf_counter()
    subprocess.run([*command, "index"], **run)  # type: ignore[call-overload]
    return time.perf_counter() - start


def throughput(model_path: Path, batches: list[int], rounds: int) -> None:
    from photofind.clip import ClipModel
    from photofind.search.vocabulary import Vocabulary

    model = ClipModel.load(model_path)
    vocabulary = Vocabulary.builtin()
    texts = [t for _, p in vocabulary.labels for t in vocabulary.texts(p)]
    encoder = model.text
    encoder.encode_texts(texts[:64])  # the session is open and warm
    lengths = encoder.tokenizer.lengths(encoder.tokenize(texts))

    def unsorted(batch: int) -> None:  # the base's way: each batch cut to its own longest
        for start in range(0, len(texts), batch):
            ids = encoder.tokenize(texts[start : start + batch])
            encoder._graph(ids[:, : int(encoder.tokenizer.lengths(ids).max())])

    def run_tokens(lens: np.ndarray, batch: int) -> int:
        """Tokens the graph runs: each batch padded to its longest text."""
        return sum(len(lens[i : i + batch]) * int(lens[i : i + batch].max())
                   for i in range(0, len(lens), batch))  # fmt: skip

    padded = {b: (run_tokens(lengths, b), run_tokens(np.sort(lengths), b)) for b in batches}
    print(f"\nlabel throughput, {len(texts):,} texts ({int(lengths.sum()):,} tokens), "
          f"{model.name}, {rounds} rounds interleaved, load {os.getloadavg()[0]:.2f}")  # fmt: skip
    times: dict[tuple[str, int], list[float]] = {}
    for _ in range(rounds):
        for batch in batches:
            for name, run in (
                ("unsorted", lambda b=batch: unsorted(b)),
                ("sorted", lambda b=batch: encoder.encode_texts(texts, batch_size=b)),
            ):
                start = time.perf_counter()
                run()
                times.setdefault((name, batch), []).append(time.perf_counter() - start)
    for batch in batches:
        a = statistics.median(times[("unsorted", batch)])
        b = statistics.median(times[("sorted", batch)])
        print(f"  batch {batch:3}: unsorted {len(texts) / a:6.0f}/s ({padded[batch][0]:,} "
              f"tokens run)   sorted {len(texts) / b:6.0f}/s ({padded[batch][1]:,})   "
              f"x{a / b:.2f}")  # fmt: skip
    print(f"  load average after: {os.getloadavg()[0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help=f"default {DEFAULT_MODEL}")
    parser.add_argument("--base", default="main", help="the revision to compare against")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batches", default="16,32,64,128", help="throughput batch sizes")
    parser.add_argument("--throughput-only", action="store_true")
    args = parser.parse_args()
    model = model_dir(args.model).absolute()
    if not args.throughput_only:
        base = base_tree(args.base)
        photo_dir = photos(WORK / "labels-photos")
        run_dir = Path(tempfile.mkdtemp(prefix="photofind-bench-labels-"))
        print(f"{PHOTOS} photos, {model.name}, base {args.base}, {args.rounds} rounds "
              f"interleaved, load average {os.getloadavg()[0]:.2f}", flush=True)  # fmt: skip
        results: dict[str, list[float]] = {"A": [], "B": [], "C": []}
        for n in range(args.rounds):
            shared = run_dir / f"{n}-cache"  # B fills it, C reads it
            for name, tree, cache in (
                ("A", base, run_dir / f"{n}-A-cache"),
                ("B", ROOT, shared),
                ("C", ROOT, shared),
            ):
                seconds = first_index(tree, model, photo_dir, run_dir / f"{n}-{name}", cache)
                results[name].append(seconds)
                print(f"  round {n + 1} {name}: {seconds:6.1f} s (load "
                      f"{os.getloadavg()[0]:.2f})", flush=True)  # fmt: skip
        a = statistics.median(results["A"])
        for name, what in (
            ("A", "base, every label text encoded"),
            ("B", "sorted batches, empty cache"),
            ("C", "a second library: texts from the cache"),
        ):
            m = statistics.median(results[name])
            print(f"{name} {what:40} median {m:6.1f} s   x{a / m:.2f} faster than A")
        print(f"load average after: {os.getloadavg()[0]:.2f}")
        shutil.rmtree(run_dir, ignore_errors=True)
    throughput(model, [int(b) for b in args.batches.split(",")], max(1, args.rounds))


if __name__ == "__main__":
    main()

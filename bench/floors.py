"""Benchmark: what this machine's memory allows a text query, against what photofind takes.

    python bench/floors.py                      # bench model, 1M-row sketch
    python bench/floors.py --model DIR --rows 100k

A short text query runs the text graph once: its work is small (a few tokens), but every
weight of the transformer is read from memory once per run. The first stage of a large
search reads every row's sketch codes once. Neither stays in the cores' caches between two
queries (151 MB of ViT-B text weights, 128 MB of codes at 1M photos), so each has a floor:
the bytes it must read over the rate at which two cores can stream memory. This prints the
streaming rate (numpy's maximum over 1 GiB, one thread and two: the fastest reader of the
numpy reductions tried, a sum is slower than memory), each floor and photofind's own time
beside it, interleaved (A B A B), medians, with the load average. It asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from pathlib import Path

import numpy as np
from clipdata import parse_size
from common import model_dir  # also puts the repository on sys.path

_GIB = 1 << 30


def streaming_rate(threads: int, rounds: int = 5) -> float:
    """Bytes a second that `threads` threads read taking the maximum of disjoint parts of
    1 GiB (far more than any cache here), the best of `rounds`: a floor is the fastest the
    memory goes."""
    data = np.ones(_GIB // 4, np.float32)
    parts = np.array_split(data, threads)
    rates = []
    for _ in range(rounds):
        workers = [threading.Thread(target=np.maximum.reduce, args=(p,)) for p in parts]
        start = time.perf_counter()
        for w in workers:
            w.start()  # numpy lets go of the GIL while it reduces
        for w in workers:
            w.join()
        rates.append(data.nbytes / (time.perf_counter() - start))
    return max(rates)


def text_weight_bytes(folder: Path) -> int:
    """Bytes of the text graph's weights a run reads whole: every initializer but the token
    table, of which a query reads a few rows."""
    import onnx  # a development dependency, as bench scripts may use

    graph = onnx.load(str(folder / "textual.onnx"), load_external_data=False).graph
    total, largest = 0, 0
    for init in graph.initializer:
        item = onnx.helper.tensor_dtype_to_np_dtype(init.data_type).itemsize
        size = int(np.prod(init.dims)) * item
        total += size
        largest = max(largest, size)  # the token table: vocabulary x width
    return total - largest


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, help="model folder (default: the bench model)")
    parser.add_argument("--rows", default="1m", help="rows of the sketch scan, e.g. 100k, 1m")
    parser.add_argument("--queries", type=int, default=30)
    args = parser.parse_args(argv)
    folder = model_dir(args.model)
    rows = parse_size(args.rows)
    print(f"photofind floors bench: {os.cpu_count()} cores, load {os.getloadavg()}")
    one, two = streaming_rate(1), streaming_rate(2)
    print(f"  streaming read: {one / 1e9:.1f} GB/s on one thread, {two / 1e9:.1f} GB/s on two")

    from photofind.clip import ClipModel
    from photofind.library import int8scan

    model = ClipModel.load(folder)
    weights = text_weight_bytes(folder)
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 128, (rows, 128), dtype=np.uint8)
    code = rng.integers(-127, 128, 128).astype(np.int8)
    texts = [f"a photo of {w}" for w in ("a dog", "the beach at sunset", "a red car", "snow")]
    for text in texts * 2:  # the packed session is swapped in at the second run
        model.text.encode_texts([text])
    time.sleep(1.0)
    model.text.encode_texts([texts[0]])
    encode, scan = [], []
    for n in range(args.queries):
        start = time.perf_counter()
        model.text.encode_texts([texts[n % len(texts)]])
        encode.append(time.perf_counter() - start)
        start = time.perf_counter()
        int8scan.scan(codes, code)
        scan.append(time.perf_counter() - start)
    for label, size, took in (
        ("text encoder", weights, encode),
        (f"sketch scan, {rows:,} rows", codes.nbytes, scan),
    ):
        floor, med = size / two, statistics.median(took)
        print(
            f"  {label:<26} reads {size / 1e6:6.0f} MB: floor {floor * 1e3:5.1f} ms, "
            f"measured {med * 1e3:5.1f} ms ({floor / med:.2f} of the time is the floor)"
        )
    print(f"  load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()

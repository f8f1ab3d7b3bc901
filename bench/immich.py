"""What a model installed from Immich's hub costs next to the same model exported by photofind.

    python bench/immich.py [--ours DIR] [--immich DIR] [--rounds 20] [--images 32]

--immich is a folder in Immich's layout (models/immich_layout.py --random-init makes one with
the same weights as export_onnx.py --random-init of the same architecture; both seed 0). It is
converted as an install would convert it, then both models encode the same preprocessed
pixels and the same one-line queries. Printed, from one run: conversion time, images/s
(photofind's graph in batches of 16, Immich's fixed batch of one), median text-query latency
(photofind's graph cut at end-of-text, Immich's fixed 77 tokens), their ratios, and the
minimum cosine between the two models' vectors.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from common import median, timed
from PIL import Image

from photofind.clip import ClipModel
from photofind.modelstore import immich

QUERIES = ["kids on a beach at sunset", "a dog asleep on a red sofa", "snow", "birthday cake"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--ours", type=Path, default=Path("/work/bench-models/ViT-B-32__random-init")
    )
    parser.add_argument(
        "--immich", type=Path, default=Path("/work/bench-models/immich/ViT-B-32__openai")
    )
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--images", type=int, default=32)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        immich.convert(args.immich, Path(tmp) / "converted", name=args.immich.name)
        print(f"conversion (copy, hash, test run): {time.perf_counter() - start:.1f} s")
        ours = ClipModel.load(args.ours, threads=2)
        theirs = ClipModel.load(Path(tmp) / "converted", threads=2)

        rng = np.random.default_rng(0)
        pictures = [
            Image.fromarray(rng.integers(0, 255, (300, 400, 3), dtype=np.uint8))
            for _ in range(args.images)
        ]
        pixels = np.stack([ours.image.preprocess_image(p) for p in pictures])
        ours_vectors = ours.image.encode_pixels(pixels)
        theirs_vectors = theirs.image.encode_pixels(pixels)
        ours_t = timed(lambda: ours.image.encode_pixels(pixels[:16]), args.rounds)
        theirs_t = timed(lambda: theirs.image.encode_pixels(pixels[:16]), args.rounds)
        ours_rate, theirs_rate = 16 / median(ours_t), 16 / median(theirs_t)
        print(f"images/s: photofind export {ours_rate:.1f}, Immich export {theirs_rate:.1f}, "
              f"ratio {theirs_rate / ours_rate:.2f}")  # fmt: skip
        print(f"image vectors, min cosine between the two: "
              f"{float((ours_vectors * theirs_vectors).sum(1).min()):.6f}")  # fmt: skip

        ours_text = ours.text.encode_texts(QUERIES)
        theirs_text = theirs.text.encode_texts(QUERIES)
        query = QUERIES[0]
        ours_q = timed(lambda: ours.text.encode_texts([query]), args.rounds * 2)
        theirs_q = timed(lambda: theirs.text.encode_texts([query]), args.rounds * 2)
        print(f"one-line query: photofind export median {median(ours_q) * 1000:.1f} ms, "
              f"Immich export {median(theirs_q) * 1000:.1f} ms, "
              f"ratio {median(theirs_q) / median(ours_q):.2f}")  # fmt: skip
        print(f"text vectors, min cosine between the two: "
              f"{float((ours_text * theirs_text).sum(1).min()):.6f}")  # fmt: skip


if __name__ == "__main__":
    main()

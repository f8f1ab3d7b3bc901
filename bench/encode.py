"""Images per second: the image encoder alone vs photo files -> vectors, in one run.

    python bench/encode.py [--model DIR] [--files 48] [--rounds 3] [--batch 16]

Goal (issue 2): the file pipeline keeps >= 85% of the model-alone rate on 2 cores with
12-megapixel JPEGs. Both rates are measured in the same run; the ratio is what counts.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
from common import WORK, camera_photos, median, model_dir, timed

from photofind.clip import ClipModel
from photofind.clip.pipeline import inference_workers, iter_mapped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path)
    parser.add_argument("--files", type=int, default=48)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--int8", action="store_true")
    args = parser.parse_args()
    model = ClipModel.load(model_dir(args.model), int8=args.int8)
    paths = camera_photos(WORK / "photos12mp", args.files)
    size_mb = sum(p.stat().st_size for p in paths) / len(paths) / 1e6
    print(f"model {model.name} ({'int8' if args.int8 else 'fp32'}), {os.cpu_count()} cores, "
          f"{len(paths)} JPEGs of 4000x3000 ({size_mb:.1f} MB each)")  # fmt: skip

    pixels = np.stack([model.image.preprocess_path(p) for p in paths[: args.batch]])

    workers = inference_workers()  # as the indexer runs it: a one-thread batch per core

    def model_alone() -> None:
        batches = range(0, len(paths), args.batch)
        list(iter_mapped(batches, lambda _: model.image.encode_pixels(pixels), workers=workers))

    def pipeline() -> None:
        result = model.image.encode_files(paths, batch_size=args.batch, inference_workers=workers)
        assert len(result.ok) == len(paths), result.errors

    def full_decode() -> None:
        for p in paths[:8]:
            model.image.preprocess_path(p, draft=False)

    model_alone()  # warm up
    alone, files = [], []
    for _ in range(args.rounds):  # interleaved, so drift hits both alike
        alone += timed(model_alone, 1)
        files += timed(pipeline, 1)
    decode_full = median(timed(full_decode, 1)) / 8
    decode_draft = median(timed(lambda: [model.image.preprocess_path(p) for p in paths[:8]], 1)) / 8
    n = len(paths)
    rate_alone, rate_files = n / median(alone), n / median(files)
    print(f"model alone on ready tensors: {rate_alone:6.1f} images/s (median of {args.rounds})")
    print(f"files -> vectors (pipeline):  {rate_files:6.1f} images/s (median of {args.rounds})")
    print(f"ratio pipeline / model alone: {rate_files / rate_alone:.2f}  (goal >= 0.85)")
    print(f"decode+preprocess one photo: draft {decode_draft * 1000:.0f} ms, "
          f"full {decode_full * 1000:.0f} ms ({decode_full / decode_draft:.1f}x)")  # fmt: skip


if __name__ == "__main__":
    main()

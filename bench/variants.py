"""Model variants: text cut at end-of-text vs padded, and int8 vs fp32 graphs.

    python bench/variants.py [--model DIR] [--rounds 30]

Prints, from one run: the median latency of a one-line text query with the sequence cut at
the end-of-text token vs padded to the full context (and whether the vectors agree), and
for the int8 graphs (export with --int8) their speed and cosine to fp32.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from common import median, model_dir, percentile, timed

from photofind.clip import ClipModel

QUERIES = ["kids on a beach at sunset", "a dog asleep on a red sofa", "snow", "birthday cake"]


def cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(((a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)).min())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    folder = model_dir(args.model)
    fp32 = ClipModel.load(folder)
    text = fp32.text
    print(f"model {fp32.name}; context {fp32.manifest.context_length}, "
          f"manifest text_variable_length={fp32.manifest.text_variable_length}")  # fmt: skip

    def one_query(q: str = QUERIES[0]) -> None:
        text.encode_texts([q])

    one_query()
    saved = text.variable_length
    text.variable_length = True
    cut_vectors = text.encode_texts(QUERIES)
    cut = timed(one_query, args.rounds)
    text.variable_length = False
    full_vectors = text.encode_texts(QUERIES)
    full = timed(one_query, args.rounds)
    text.variable_length = saved
    print(f"text query, cut at EOT: median {median(cut) * 1000:.1f} ms "
          f"(p95 {percentile(cut, 95) * 1000:.1f})")  # fmt: skip
    print(f"text query, padded:     median {median(full) * 1000:.1f} ms "
          f"(p95 {percentile(full, 95) * 1000:.1f})")  # fmt: skip
    print(f"cut / padded time: {median(cut) / median(full):.2f}; "
          f"min cosine cut vs padded {cos(cut_vectors, full_vectors):.6f}")  # fmt: skip

    if "visual.int8.onnx" not in fp32.manifest.files:
        print("no int8 graphs in this folder (export with --int8)")
        return
    int8 = ClipModel.load(folder, int8=True, verify=False)
    pixels = np.random.default_rng(0).normal(size=(16, 3, *fp32.image.input_size)).astype("f4")
    img32 = median(timed(lambda: fp32.image.encode_pixels(pixels), 3))
    img8 = median(timed(lambda: int8.image.encode_pixels(pixels), 3))
    txt32 = median(timed(lambda: fp32.text.encode_texts(QUERIES), args.rounds))
    txt8 = median(timed(lambda: int8.text.encode_texts(QUERIES), args.rounds))
    c_img = cos(fp32.image.encode_pixels(pixels), int8.image.encode_pixels(pixels))
    c_txt = cos(fp32.text.encode_texts(QUERIES), int8.text.encode_texts(QUERIES))
    print(f"images/s  fp32 {16 / img32:6.1f}  int8 {16 / img8:6.1f}  (x{img32 / img8:.2f}); "
          f"min cosine int8 vs fp32 {c_img:.4f}")  # fmt: skip
    print(f"texts/s   fp32 {4 / txt32:6.1f}  int8 {4 / txt8:6.1f}  (x{txt32 / txt8:.2f}); "
          f"min cosine int8 vs fp32 {c_txt:.4f}")  # fmt: skip


if __name__ == "__main__":
    main()

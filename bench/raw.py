"""Camera RAW decode time: the embedded JPEG preview vs LibRaw's half-size demosaic.

    python bench/raw.py [--rounds 5] [--size 6000x4000]

A 24-megapixel DNG (photofind.testing.dng) with a full-size JPEG preview, read for a 256-pixel
model (open_image(min_size=256): the preview, DCT-scaled), against the same file read with a
preview too small to use (the half-size demosaic). Interleaved A B A B; medians and the load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from PIL import Image

from photofind.clip.images import open_image
from photofind.testing.dng import make_dng
from photofind.testing.synthetic import make_photo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--size", default="6000x4000")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        picture = Image.open(make_photo(Path(tmp) / "p.png", "red", "circle", size=(width, height)))
        preview = make_dng(Path(tmp) / "preview.dng", picture, raw_size=(width, height))
        demosaic = make_dng(Path(tmp) / "demosaic.dng", picture.resize((160, 120)),
                            raw_size=(width, height))  # fmt: skip
        times: dict[str, list[float]] = {"preview": [], "demosaic": []}
        for _ in range(args.rounds):
            for name, path in (("preview", preview), ("demosaic", demosaic)):
                start = time.perf_counter()
                out = open_image(path, min_size=256)
                times[name].append(time.perf_counter() - start)
                assert min(out.size) >= 256
        load = os.getloadavg()[0]
    a, b = statistics.median(times["preview"]), statistics.median(times["demosaic"])
    print(f"{width}x{height} RAW for a 256-pixel model, median of {args.rounds} (load {load:.1f}):")
    print(f"  embedded preview  {a * 1000:7.1f} ms")
    print(f"  half-size demosaic {b * 1000:6.1f} ms   ({b / a:.1f}x the preview)")


if __name__ == "__main__":
    main()

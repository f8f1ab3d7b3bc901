"""Helpers the benchmarks share: bench model lookup, 12-megapixel test photos, medians."""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "_work"
DEFAULT_MODEL = Path("/work/bench-models/ViT-B-32-256__random-init")
sys.path.insert(0, str(ROOT))


def model_dir(given: Path | None) -> Path:
    folder = given or DEFAULT_MODEL
    if not (folder / "manifest.json").is_file():
        sys.exit(
            f"no model folder at {folder}; make one with\n  python models/export_onnx.py "
            "--arch ViT-B-32-256 --pretrained datacomp_s34b_b86k --random-init --int8 "
            f"--out {DEFAULT_MODEL}"
        )
    return folder


def camera_photos(folder: Path, count: int, size: tuple[int, int] = (4000, 3000)) -> list[Path]:
    """`count` JPEGs shaped like phone photos: 12 MP, textured, 3-5 MB each (cached)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    paths = []
    for n in range(count):
        path = folder / f"IMG_{n:04}.jpg"
        paths.append(path)
        if path.exists():
            continue
        w, h = size
        small = rng.integers(0, 255, (h // 16, w // 16, 3), dtype=np.uint8)
        img = Image.fromarray(small).resize(size, Image.Resampling.BICUBIC)
        img = img.filter(ImageFilter.GaussianBlur(3))
        draw = ImageDraw.Draw(img)
        for _ in range(30):
            x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
            r = int(rng.integers(50, 600))
            draw.ellipse((x, y, x + r, y + r), fill=tuple(int(v) for v in rng.integers(0, 255, 3)))
        grain = rng.normal(0, 12, (h, w, 3))
        img = Image.fromarray(np.clip(np.asarray(img, np.float32) + grain, 0, 255).astype(np.uint8))
        img.save(path, quality=92)
    return paths


def timed(fn: Callable[[], object], rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def median(values: list[float]) -> float:
    return statistics.median(values)


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


# Pictures a Debian/Ubuntu desktop ships (wallpapers, login and boot screens): real files of
# mixed formats and sizes (JPEG, PNG, WebP; 640x480 to 4096x4096), not drawn by this project.
SYSTEM_PICTURES = ("/usr/share/backgrounds", "/usr/share/wallpapers", "/usr/share/desktop-base",
                   "/usr/share/plymouth", "/usr/share/plasma")  # fmt: skip


def real_mixed_photos(folder: Path, min_bytes: int = 20_000) -> list[Path]:
    """Copies of the system's pictures (one per distinct content) in `folder` (cached)."""
    import hashlib
    import shutil

    folder.mkdir(parents=True, exist_ok=True)
    seen: set[str] = set()
    for root in map(Path, SYSTEM_PICTURES):
        for path in sorted(root.rglob("*")) if root.is_dir() else []:
            if path.suffix.lower() not in (".jpg", ".jpeg", ".png", ".webp") or not path.is_file():
                continue
            if path.stat().st_size < min_bytes:
                continue
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
            if digest in seen:
                continue
            seen.add(digest)
            target = folder / f"{digest}{path.suffix.lower()}"
            if not target.exists():
                shutil.copy(path, target)
    photos = sorted(folder.iterdir())
    if not photos:
        sys.exit(f"no system pictures found under {', '.join(SYSTEM_PICTURES)}")
    return photos

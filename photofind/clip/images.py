"""Turning photo files into model input: robust decoding, then the manifest's exact transform.

Decoding is where a photo library fights back: 12-megapixel JPEGs, sideways phone shots,
CMYK scans, 16-bit PNGs, HEIC, truncated copies, files with the wrong suffix. Every failure
becomes an ImageLoadError with one readable line, so the caller can record it and go on.
"""

from __future__ import annotations

import sys
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError, features

from photofind.clip.formats import FORMATS, HEIF_SUFFIXES, RAW_SUFFIXES
from photofind.errors import ImageLoadError

if TYPE_CHECKING:
    from photofind.clip.manifest import Manifest

_NEEDS = {"HEIF": ("HEIC/HEIF", "pillow-heif"), "AVIF": ("AVIF", "Pillow>=11.2"),
          "RAW": ("RAW", "rawpy")}  # fmt: skip
# Pixels we agree to decode after JPEG draft reduction: 16k x 10k. Beyond this a file is more
# likely a decompression bomb than a photo, and would cost gigabytes of memory.
MAX_PIXELS = 160_000_000
# Draft decoding keeps at least this many times the model's input on the shortest side. At 1
# a 12 MP JPEG decodes at 1/8 scale (500x375 for a 256 model), then a real resize follows.
DRAFT_MARGIN = 1
# Other formats decode whole. The model's resize of a decoded image then goes through Pillow's
# `reducing_gap`: an integer box reduce first (with the exact source box kept for the
# resampling), leaving at least this many times the target size. From 3 on, Pillow documents,
# the result cannot be told from resampling the whole image; a 4096x4096 WebP then
# resamples from 820x820 instead of 4096x4096.
REDUCE_GAP = 3.0

_RESAMPLE = {
    "bicubic": Image.Resampling.BICUBIC,
    "bilinear": Image.Resampling.BILINEAR,
    "nearest": Image.Resampling.NEAREST,
    "lanczos": Image.Resampling.LANCZOS,
}
# Called with the opened file before any decoding: its header, EXIF and full size are there.
HeaderHook = Callable[[Image.Image], None]
_heif_lock = threading.Lock()
_heif_state: bool | None = None

# Pillow warns between MAX_IMAGE_PIXELS and twice that; we apply our own limit instead.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


def _register_heif() -> bool:
    """Teach Pillow HEIC/HEIF if pillow-heif is installed (once, thread-safe)."""
    global _heif_state
    with _heif_lock:
        if _heif_state is None:
            try:
                import pillow_heif

                pillow_heif.register_heif_opener()
                _heif_state = True
            except ImportError:
                _heif_state = False
        return _heif_state


def can_decode(kind: str) -> bool:
    """Whether this build reads `kind` (a FORMATS name): the plugin and its library are here."""
    if kind == "HEIF":
        return _register_heif()
    if kind == "RAW":
        from photofind.clip.raw import available

        return available()
    Image.init()
    if kind not in Image.OPEN:
        return False
    feature = {"WEBP": "webp", "AVIF": "avif"}.get(kind)
    return feature is None or bool(features.check(feature))


def decodable_mime_types() -> tuple[str, ...]:
    """The MIME types of FORMATS this build can decode, in FORMATS order (the desktop entry)."""
    return tuple(mime for kind, _, mimes in FORMATS if can_decode(kind) for mime in mimes)


def _missing_decoder(path: Path, kind: str) -> ImageLoadError:
    """One line; a frozen bundle has no pip, so it names the gap instead of a command."""
    what, package = _NEEDS[kind]
    if getattr(sys, "frozen", False):
        return ImageLoadError(f"{path.name}: this build of photofind cannot read {what}")
    return ImageLoadError(f"{path.name}: {what} needs {package} (pip install '{package}')")


def _open(path: Path) -> Image.Image:
    try:
        if path.stat().st_size == 0:
            raise ImageLoadError(f"{path.name}: empty file")
    except OSError as exc:
        raise ImageLoadError(f"{path.name}: cannot read ({exc.strerror or exc})") from None
    suffix = path.suffix.lower()
    if suffix in HEIF_SUFFIXES and not _register_heif():
        raise _missing_decoder(path, "HEIF")
    if suffix == ".avif" and not can_decode("AVIF"):
        raise _missing_decoder(path, "AVIF")
    try:
        return Image.open(path)
    except UnidentifiedImageError:
        if suffix not in HEIF_SUFFIXES and _register_heif():
            try:  # an iPhone photo saved as .jpg
                return Image.open(path)
            except UnidentifiedImageError:
                pass
        raise ImageLoadError(f"{path.name}: not an image Pillow can read") from None
    except Image.DecompressionBombError:
        raise ImageLoadError(f"{path.name}: too many pixels (limit {MAX_PIXELS:,})") from None
    except OSError as exc:
        raise ImageLoadError(f"{path.name}: cannot open ({exc.strerror or exc})") from None


def to_rgb(img: Image.Image) -> Image.Image:
    """Any Pillow mode as 8-bit RGB: transparency over white, 16-bit and float scaled."""
    mode = img.mode
    if mode == "RGB":
        return img
    if mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
        mode = img.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        data = np.asarray(img, dtype=np.float32)
        top = float(data.max()) if data.size else 0.0
        scale = 255.0 if top <= 1.0 else 255.0 / 65535.0 if top > 255.0 else 1.0
        grey = np.clip(data * scale + 0.5, 0, 255).astype(np.uint8)
        return Image.fromarray(grey, "L").convert("RGB")
    if mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        if mode in ("RGBA", "LA") and img.getchannel("A").getextrema() == (255, 255):
            # Opaque throughout (an animated WebP's frames come as RGBA): over white it is
            # itself, and the check costs a fifth of the compositing.
            return img.convert("RGB")
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return img.convert("RGB")


def open_image(
    path: Path | str, *, min_size: int | None = None, header: HeaderHook | None = None
) -> Image.Image:
    """Decode a photo as upright RGB.

    With `min_size`, a JPEG is decoded at the smallest DCT scale whose shortest side stays at
    least `min_size`: a 12-megapixel photo bound for a 256-pixel model decodes 8-16x faster.
    `header(img)` runs on the opened file before draft mode or decoding change it, so the
    indexer reads EXIF from the same open (it must not raise).
    """
    path = Path(path)
    if path.suffix.lower() in RAW_SUFFIXES:  # camera RAW: LibRaw, not Pillow (clip/raw.py)
        from photofind.clip.raw import open_raw

        return to_rgb(open_raw(path, min_size))
    img = _open(path)
    try:
        if header is not None:
            header(img)
        if min_size and img.format == "JPEG":
            width, height = img.size
            short = min(width, height)
            if short > min_size:
                factor = short / min_size
                img.draft("RGB", (max(1, int(width / factor)), max(1, int(height / factor))))
        width, height = img.size
        if width * height > MAX_PIXELS:
            raise ImageLoadError(
                f"{path.name}: too many pixels ({width}x{height}, limit {MAX_PIXELS:,})"
            )
        img.load()
        img = ImageOps.exif_transpose(img) or img
        return to_rgb(img)
    except ImageLoadError:
        raise
    except Image.DecompressionBombError:
        raise ImageLoadError(f"{path.name}: too many pixels (limit {MAX_PIXELS:,})") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        text = str(exc) or type(exc).__name__
        if "truncated" in text:
            text = "truncated or incomplete file"
        raise ImageLoadError(f"{path.name}: {text}") from None
    except MemoryError:
        raise ImageLoadError(f"{path.name}: not enough memory to decode") from None


class Preprocessor:
    """The manifest's resize, crop and normalisation, matching open_clip's torchvision steps.

    It needs no ONNX session: the indexer decodes with it while the image session loads."""

    def __init__(
        self,
        size: tuple[int, int],
        resize: str,
        interpolation: str,
        mean: tuple[float, float, float],
        std: tuple[float, float, float],
    ) -> None:
        self.size = size  # (height, width)
        self.resize = resize
        self.resample = _RESAMPLE[interpolation]
        self._mean = np.asarray(mean, dtype=np.float32).reshape(1, 1, 3) * 255.0
        self._scale = 1.0 / (np.asarray(std, dtype=np.float32).reshape(1, 1, 3) * 255.0)

    @classmethod
    def for_manifest(cls, manifest: Manifest) -> Preprocessor:
        return cls(manifest.image_size, manifest.resize, manifest.interpolation, manifest.mean,
                   manifest.std)  # fmt: skip

    @property
    def draft_size(self) -> int:
        return max(self.size) * DRAFT_MARGIN

    def load(
        self, path: Path | str, *, draft: bool = True, header: HeaderHook | None = None
    ) -> np.ndarray:
        """Decode one file and preprocess it (ImageLoadError if it cannot be read); `header`
        as for `open_image`. `draft` decodes JPEGs at the smallest scale the model allows and
        resizes any other large image through a box reduce (REDUCE_GAP); without it, every
        pixel is decoded and resampled, exactly open_clip's steps."""
        if not draft:
            return self(open_image(path, header=header))
        return self(open_image(path, min_size=self.draft_size, header=header), REDUCE_GAP)

    def geometry(self, img: Image.Image, reducing_gap: float | None = None) -> Image.Image:
        """Resize and crop; `reducing_gap` lets Pillow box-reduce a large image first."""
        height, width = self.size
        if self.resize == "squash":
            return img.resize((width, height), self.resample, reducing_gap=reducing_gap)
        # torchvision Resize(int): shortest side to the target, the other truncated.
        target = min(height, width)
        w, h = img.size
        new = (target, int(target * h / w)) if w <= h else (int(target * w / h), target)
        if new != (w, h):
            img = img.resize(new, self.resample, reducing_gap=reducing_gap)
        # torchvision CenterCrop: offsets rounded half to even, as Python's round() does.
        w, h = img.size
        left = round((w - width) / 2.0)
        top = round((h - height) / 2.0)
        return img.crop((left, top, left + width, top + height))

    def __call__(self, img: Image.Image, reducing_gap: float | None = None) -> np.ndarray:
        """float32 [3, H, W], normalised."""
        arr = np.asarray(self.geometry(to_rgb(img), reducing_gap), dtype=np.float32)
        return np.ascontiguousarray(((arr - self._mean) * self._scale).transpose(2, 0, 1))

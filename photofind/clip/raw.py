"""Camera RAW files (CR2, CR3, NEF, ARW, DNG, RAF, ...) as upright RGB pictures, via LibRaw.

A RAW file carries the camera's own JPEG rendering of the shot (the preview it shows on its
screen, usually full size or 1-2 megapixels). Like digiKam and Immich, photofind uses that
preview when it is large enough for what is asked (`min_size`; without one, as large as the
half-size demosaic that would replace it): it is what the photographer saw, and reading it
costs a JPEG decode instead of a demosaic. Otherwise LibRaw demosaics at half size
(`half_size=True`: each 2x2 Bayer block becomes one pixel, four times less work), with the
camera's white balance. rawpy (LibRaw's Python binding) is imported only when a RAW is read.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from PIL import Image

from photofind.errors import ImageLoadError

# LibRaw's `sizes.flip` (how to turn the sensor image upright) as a Pillow transpose.
_FLIP = {3: Image.Transpose.ROTATE_180, 5: Image.Transpose.ROTATE_90,
         6: Image.Transpose.ROTATE_270}  # fmt: skip


def available() -> bool:
    """Whether this build reads RAW files (rawpy and its LibRaw are installed)."""
    try:
        import rawpy  # noqa: F401
    except ImportError:
        return False
    return True


def open_raw(path: Path, min_size: int | None = None) -> Image.Image:
    """The photo in `path` as an upright, loaded image, at least `min_size` on its shortest
    side when the file allows (the embedded preview if large enough, else a demosaic).

    Raises ImageLoadError with one line for a file LibRaw cannot read.
    """
    try:
        import rawpy
    except ImportError:
        raise ImageLoadError(f"{path.name}: RAW photos need rawpy (pip install rawpy)") from None
    try:
        if path.stat().st_size == 0:
            raise ImageLoadError(f"{path.name}: empty file")
        with rawpy.imread(str(path)) as raw:
            half = max(1, min(raw.sizes.width, raw.sizes.height) // 2)
            need = min(min_size, half) if min_size else half  # the demosaic does no better
            preview = _preview(raw, rawpy, need, min_size)
            if preview is not None:
                return _upright(preview, raw.sizes.flip)
            pixels = raw.postprocess(half_size=True, use_camera_wb=True, output_bps=8)
            return Image.fromarray(pixels, "RGB")  # postprocess turns it upright itself
    except ImageLoadError:
        raise
    except rawpy.LibRawError as exc:
        first = exc.args[0] if exc.args else ""
        text = first.decode("utf-8", "replace") if isinstance(first, bytes) else str(first)
        text = text.strip() or type(exc).__name__
        raise ImageLoadError(f"{path.name}: not a RAW file LibRaw can read ({text})") from None
    except OSError as exc:
        raise ImageLoadError(f"{path.name}: cannot read ({exc.strerror or exc})") from None
    except MemoryError:
        raise ImageLoadError(f"{path.name}: not enough memory to decode") from None


def _preview(raw: Any, rawpy: Any, need: int, draft: int | None) -> Image.Image | None:
    """The embedded preview if it is at least `need` pixels on its shortest side, a JPEG
    decoded at the smallest DCT scale that keeps `draft` on its shortest side."""
    try:
        thumb = raw.extract_thumb()
    except (rawpy.LibRawNoThumbnailError, rawpy.LibRawUnsupportedThumbnailError):
        return None
    img: Image.Image
    try:
        if thumb.format == rawpy.ThumbFormat.JPEG:
            img = Image.open(io.BytesIO(thumb.data))
            if min(img.size) < need:
                return None
            if draft:  # a 24 MP preview for a 256 model: DCT scaling, as open_image does
                img.draft("RGB", (draft, draft))
            img.load()
        else:  # an uncompressed bitmap (older cameras, some DNGs)
            img = Image.fromarray(thumb.data)
            if min(img.size) < need:
                return None
    except (OSError, ValueError, SyntaxError):
        return None  # a damaged preview: the raw data may still be fine
    return img


def _upright(img: Image.Image, flip: int) -> Image.Image:
    """Turn the preview as the camera recorded (the preview is stored as the sensor saw it);
    its own EXIF is dropped so no one turns it a second time."""
    method = _FLIP.get(int(flip))
    out = img.transpose(method) if method is not None else img.copy()
    out.info = {}
    return out

"""Facts about one photo file: upright size, date taken, camera, and its partial content hash."""

from __future__ import annotations

import hashlib
import logging
import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Pillow loads when a photo is read, not with the catalog (a search)
    from PIL import Image

log = logging.getLogger(__name__)

HASH_CHUNK = 64 * 1024

_ORIENTATION = 0x0112
_MAKE = 0x010F
_MODEL = 0x0110
_EXIF_IFD = 0x8769
_DATE_ORIGINAL = 0x9003
_DATE_DIGITIZED = 0x9004
_OFFSET_ORIGINAL = 0x9011
_OFFSET_DIGITIZED = 0x9012
_SWAPPED_ORIENTATIONS = {5, 6, 7, 8}  # transpose / rotate 90 / transverse / rotate 270

_DATE = re.compile(r"(\d{4})[:\-/](\d{2})[:\-/](\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?")
_OFFSET = re.compile(r"([+-])(\d{2}):?(\d{2})")
# Words that only say "this is a company"; dropped from the end of EXIF Make.
_MAKE_NOISE = {
    "corporation", "corp", "co", "ltd", "inc", "company", "imaging", "optical", "digital",
    "camera", "cameras", "gmbh", "ag", "ab", "electric", "industries", "industry", "limited",
}  # fmt: skip


@dataclass(frozen=True)
class ImageFacts:
    """What the catalog records about a photo besides its vector.

    width/height are as displayed (EXIF orientation applied); taken_at is unix time from EXIF
    DateTimeOriginal (or DateTimeDigitized), naive times read as local time; camera is a tidy
    "Make Model". Any of them may be None when the file does not say.
    """

    width: int | None = None
    height: int | None = None
    taken_at: float | None = None
    camera: str | None = None

    @classmethod
    def from_image(cls, img: Image.Image) -> ImageFacts:
        """Read from an opened PIL image; call before `draft()`/resizing, which change `size`.

        Never raises: broken EXIF only loses the fields it would have given.
        """
        width, height = img.size
        try:
            exif = img.getexif()
        except Exception as exc:  # Pillow raises many types on corrupt EXIF
            log.debug("unreadable EXIF in %s: %s", getattr(img, "filename", "image"), exc)
            return cls(width=width, height=height)
        try:
            orientation = int(exif.get(_ORIENTATION) or 1)
        except (TypeError, ValueError):
            orientation = 1
        if orientation in _SWAPPED_ORIENTATIONS:
            width, height = height, width
        try:
            sub = exif.get_ifd(_EXIF_IFD)
        except Exception:
            sub = {}
        taken = _parse_date(sub.get(_DATE_ORIGINAL), sub.get(_OFFSET_ORIGINAL))
        if taken is None:
            taken = _parse_date(sub.get(_DATE_DIGITIZED), sub.get(_OFFSET_DIGITIZED))
        return cls(
            width=width,
            height=height,
            taken_at=taken,
            camera=tidy_camera(exif.get(_MAKE), exif.get(_MODEL)),
        )


# The photo date rule, in SQL for the catalog's filters (the files_date index, schema v2).
PHOTO_DATE_SQL = "COALESCE({t}taken_at, {t}mtime_ns / 1e9)"


def photo_date(taken_at: float | None, mtime_ns: int) -> float:
    """A photo's date as filters, sorting and output use it (unix seconds): when it was taken
    (EXIF DateTimeOriginal, else DateTimeDigitized), else when the file was last modified.
    `PHOTO_DATE_SQL` is the same rule for SQLite."""
    return taken_at if taken_at is not None else mtime_ns / 1e9


def read_facts(path: Path) -> ImageFacts:
    """Open `path` (header only) and read its facts; raises OSError if it cannot be opened."""
    from PIL import Image

    with Image.open(path) as img:
        return ImageFacts.from_image(img)


def quick_hash(path: Path, size: int | None = None) -> str:
    """Partial content hash: sha256 of the size, the first and the last 64 KiB (hex).

    Cheap even for large videos or RAWs, and enough to recognise a moved or renamed file.
    Raises OSError when the file cannot be read.
    """
    with open(path, "rb") as fh:
        if size is None:
            size = os.fstat(fh.fileno()).st_size
        digest = hashlib.sha256(f"{size}\n".encode())
        digest.update(fh.read(HASH_CHUNK))
        if size > HASH_CHUNK:
            fh.seek(max(HASH_CHUNK, size - HASH_CHUNK))
            digest.update(fh.read(HASH_CHUNK))
    return digest.hexdigest()


def _text(value: object) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return ""
    return " ".join(value.replace("\x00", " ").split())


def _parse_date(value: object, offset: object = None) -> float | None:
    """EXIF "YYYY:MM:DD HH:MM:SS" (+ optional "+HH:MM" offset) -> unix time, else None."""
    match = _DATE.search(_text(value))
    if not match:
        return None
    year, month, day, hour, minute = (int(g) for g in match.groups()[:5])
    second = int(match.group(6) or 0)
    if year < 1800 or year > 2200:
        return None
    tz = None
    off = _OFFSET.fullmatch(_text(offset))
    if off:
        minutes = int(off.group(2)) * 60 + int(off.group(3))
        if minutes <= 14 * 60:
            tz = timezone(timedelta(minutes=-minutes if off.group(1) == "-" else minutes))
    try:
        # A naive datetime's timestamp() reads it as local time, which is what cameras record.
        return datetime(year, month, day, hour, minute, min(second, 59), tzinfo=tz).timestamp()
    except (ValueError, OverflowError, OSError):
        return None


def tidy_camera(make: object, model: object) -> str | None:
    """ "NIKON CORPORATION" + "NIKON D750" -> "NIKON D750"; "Apple" + "iPhone 12" -> "Apple
    iPhone 12"; None when neither is known."""
    make_text, model_text = _text(make), _text(model)
    words = [w for w in re.split(r"[\s,]+", make_text) if w.strip(".")]
    while len(words) > 1 and words[-1].lower().strip(".") in _MAKE_NOISE:
        words.pop()
    make_text = " ".join(words)
    if make_text and model_text.lower().startswith(make_text.split()[0].lower()):
        make_text = ""
    camera = f"{make_text} {model_text}".strip()
    return camera[:100] or None

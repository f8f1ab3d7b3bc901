"""The photo formats photofind reads, as plain data: importing this costs nothing.

The scanner, the watcher, the query parser and the window only need to know which files are
photos; they import this leaf module, not `clip.images`, so listing a folder never loads Pillow,
ONNX Runtime or the tokenizer (`photofind status` stays fast).
"""

from __future__ import annotations

# What photofind reads: Pillow's format name, the suffixes the scanner treats as photos, and
# the MIME types the desktop entry offers "Open with" for. Content decides the decoder, not
# the suffix. HEIC/HEIF come through pillow-heif (a default dependency), AVIF through Pillow's
# own plugin (Pillow >= 11.2 wheels carry libavif). Camera RAW through rawpy (LibRaw):
# clip/raw.py; the suffix decides there, since LibRaw tells makes apart by content itself.
_RAW_SUFFIXES = (".dng", ".cr2", ".cr3", ".crw", ".nef", ".nrw", ".arw", ".srf", ".sr2", ".raf",
                 ".orf", ".rw2", ".rwl", ".pef", ".srw", ".3fr", ".iiq", ".erf", ".mrw",
                 ".x3f")  # fmt: skip
_RAW_TYPES = ("image/x-adobe-dng", "image/x-canon-cr2", "image/x-canon-cr3", "image/x-canon-crw",
              "image/x-nikon-nef", "image/x-nikon-nrw", "image/x-sony-arw", "image/x-sony-srf",
              "image/x-sony-sr2", "image/x-fuji-raf", "image/x-olympus-orf",
              "image/x-panasonic-rw2", "image/x-panasonic-raw2", "image/x-pentax-pef",
              "image/x-samsung-srw", "image/x-hasselblad-3fr", "image/x-phaseone-iiq",
              "image/x-epson-erf", "image/x-minolta-mrw", "image/x-sigma-x3f")  # fmt: skip
FORMATS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("JPEG", (".jpg", ".jpeg", ".jpe", ".jfif"), ("image/jpeg",)),
    ("PNG", (".png",), ("image/png",)),
    ("WEBP", (".webp",), ("image/webp",)),
    ("GIF", (".gif",), ("image/gif",)),
    ("BMP", (".bmp",), ("image/bmp",)),
    ("TIFF", (".tif", ".tiff"), ("image/tiff",)),
    ("HEIF", (".heic", ".heif"), ("image/heif", "image/heic")),
    ("AVIF", (".avif",), ("image/avif",)),
    ("RAW", _RAW_SUFFIXES, _RAW_TYPES),
)
IMAGE_SUFFIXES = frozenset(suffix for _, suffixes, _ in FORMATS for suffix in suffixes)
HEIF_SUFFIXES = frozenset({".heic", ".heif"})
RAW_SUFFIXES = frozenset(_RAW_SUFFIXES)
# The camera's JPEG beside a RAW of the same name: the scanner keeps the JPEG only (rclip too).
JPEG_SUFFIXES = frozenset(next(s for kind, s, _ in FORMATS if kind == "JPEG"))

__all__ = ["FORMATS", "HEIF_SUFFIXES", "IMAGE_SUFFIXES", "JPEG_SUFFIXES", "RAW_SUFFIXES"]

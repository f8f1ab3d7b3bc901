"""The photo formats photofind reads, as plain data: importing this costs nothing.

The scanner, the watcher, the query parser and the window only need to know which files are
photos; they import this leaf module, not `clip.images`, so listing a folder never loads Pillow,
ONNX Runtime or the tokenizer (`photofind status` stays fast).
"""

from __future__ import annotations

# What photofind reads: Pillow's format name, the suffixes the scanner treats as photos, and
# the MIME types the desktop entry offers "Open with" for. Content decides the decoder, not
# the suffix. HEIC/HEIF come through pillow-heif (a default dependency), AVIF through Pillow's
# own plugin (Pillow >= 11.2 wheels carry libavif).
FORMATS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("JPEG", (".jpg", ".jpeg", ".jpe", ".jfif"), ("image/jpeg",)),
    ("PNG", (".png",), ("image/png",)),
    ("WEBP", (".webp",), ("image/webp",)),
    ("GIF", (".gif",), ("image/gif",)),
    ("BMP", (".bmp",), ("image/bmp",)),
    ("TIFF", (".tif", ".tiff"), ("image/tiff",)),
    ("HEIF", (".heic", ".heif"), ("image/heif", "image/heic")),
    ("AVIF", (".avif",), ("image/avif",)),
)
IMAGE_SUFFIXES = frozenset(suffix for _, suffixes, _ in FORMATS for suffix in suffixes)
HEIF_SUFFIXES = frozenset({".heic", ".heif"})

__all__ = ["FORMATS", "HEIF_SUFFIXES", "IMAGE_SUFFIXES"]

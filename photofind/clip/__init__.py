"""CLIP image and text encoders on ONNX Runtime (numpy, Pillow, onnxruntime, tokenizers only).

Names load lazily (PEP 562) so `from photofind.clip import IMAGE_SUFFIXES` or importing a
submodule never pulls in onnxruntime and the tokenizer; only code that encodes pays for them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_WHERE = {
    "IMAGE_SUFFIXES": "formats",
    "ClipModel": "model",
    "EncodeResult": "encoders",
    "ImageEncoder": "encoders",
    "Manifest": "manifest",
    "TextEncoder": "encoders",
    "choose_providers": "providers",
    "open_image": "images",
    "read_manifest": "manifest",
    "verify_model_folder": "manifest",
}

if TYPE_CHECKING:
    from photofind.clip.encoders import EncodeResult, ImageEncoder
    from photofind.clip.formats import IMAGE_SUFFIXES
    from photofind.clip.images import open_image
    from photofind.clip.manifest import Manifest, read_manifest, verify_model_folder
    from photofind.clip.model import ClipModel
    from photofind.clip.providers import choose_providers
    from photofind.clip.textencoder import TextEncoder


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'photofind.clip' has no attribute {name!r}")
    return getattr(importlib.import_module(f"photofind.clip.{_WHERE[name]}"), name)


__all__ = [
    "IMAGE_SUFFIXES",
    "ClipModel",
    "EncodeResult",
    "ImageEncoder",
    "Manifest",
    "TextEncoder",
    "choose_providers",
    "open_image",
    "read_manifest",
    "verify_model_folder",
]

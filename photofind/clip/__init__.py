"""CLIP image and text encoders on ONNX Runtime (numpy, Pillow, onnxruntime, tokenizers only)."""

from photofind.clip.encoders import EncodeResult, ImageEncoder, TextEncoder
from photofind.clip.images import IMAGE_SUFFIXES, open_image
from photofind.clip.manifest import Manifest, read_manifest, verify_model_folder
from photofind.clip.model import ClipModel
from photofind.clip.providers import choose_providers

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

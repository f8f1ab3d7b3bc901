"""photofind: offline photo search with CLIP on ONNX Runtime."""

from photofind.appinfo import VERSION as __version__

__all__ = ["__version__"]

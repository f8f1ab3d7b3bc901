"""A loaded CLIP model folder: manifest, tokenizer, and the two ONNX encoders."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from photofind.clip.encoders import ImageEncoder, TextEncoder
from photofind.clip.manifest import Manifest, read_manifest, verify_model_folder
from photofind.clip.providers import choose_providers, inference_session
from photofind.clip.tokenizer import ClipTokenizer
from photofind.errors import ModelFolderError

log = logging.getLogger(__name__)


class ClipModel:
    """The image and text encoders of one model folder; safe to share between threads
    (ONNX Runtime sessions allow concurrent `run` calls)."""

    def __init__(
        self,
        manifest: Manifest,
        image: ImageEncoder,
        text: TextEncoder,
        providers: list[str],
    ) -> None:
        self.manifest = manifest
        self.folder = manifest.folder
        self.name = manifest.name
        self.embed_dim = manifest.embed_dim
        self.image = image
        self.text = text
        self.providers = providers

    @classmethod
    def load(
        cls,
        folder: Path | str,
        *,
        providers: Sequence[str] | None = None,
        threads: int | None = None,
        verify: bool = True,
        int8: bool = False,
    ) -> ClipModel:
        """Open a model folder. `verify` checks every file's sha256 first, so a damaged
        download is named rather than failing deep inside ONNX Runtime. `int8` uses the
        quantised graphs when the folder has them."""
        folder = Path(folder)
        manifest = verify_model_folder(folder) if verify else read_manifest(folder)
        chosen = choose_providers(providers)

        def graph(kind: str) -> Path:
            name = f"{kind}.int8.onnx" if int8 and f"{kind}.int8.onnx" in manifest.files else ""
            if int8 and not name:
                log.warning("%s has no int8 %s graph; using fp32", manifest.name, kind)
            path = manifest.path(name or manifest.graphs[kind])
            if not path.is_file():
                raise ModelFolderError(f"model folder {folder}: {path.name} is missing")
            return path

        visual = inference_session(graph("visual"), chosen, threads)
        textual = inference_session(graph("textual"), chosen, threads)
        tokenizer = ClipTokenizer(
            manifest.path("tokenizer.json"), manifest.context_length, manifest.tokenizer
        )
        used = list(visual.get_providers())
        log.info("loaded %s on %s", manifest.name, ", ".join(used))
        return cls(
            manifest,
            ImageEncoder(visual, manifest),
            TextEncoder(textual, manifest, tokenizer),
            used,
        )

    def close(self) -> None:
        """Sessions free their memory when dropped; nothing else to release."""

    def __repr__(self) -> str:
        return f"ClipModel({self.name!r}, dim={self.embed_dim}, providers={self.providers})"

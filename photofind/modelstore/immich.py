"""Immich's published CLIP exports, turned into photofind model folders.

Immich publishes one Hugging Face repository per model (immich-app/<arch>__<tag>), and an
Immich server keeps the same layout in its model cache:

    config.json                    open_clip's model config: embed_dim, text_cfg.context_length
    visual/model.onnx              "image" float32 [1, 3, H, W] -> "embedding" (normalised)
    visual/preprocess_cfg.json     size, mean, std, interpolation, resize_mode
    textual/model.onnx             "text" int32 [1, context_length] -> "embedding"
    textual/tokenizer.json         Hugging Face's CLIP BPE
    textual/tokenizer_config.json  which tokens start, end and pad a text

The graphs are kept byte for byte (their hashes stay the hub's); the runtime reads their input
names, integer type and fixed batch size itself. Conversion writes the manifest from those JSON
files, refuses what photofind cannot reproduce (a non-CLIP tokenizer, other text cleaning,
"longest" resizing), and runs both graphs once before the folder counts as installed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from photofind.clip.manifest import FORMAT, INTERPOLATIONS, MANIFEST, RESIZE_MODES, sha256_file
from photofind.errors import ModelFolderError, PhotofindError
from photofind.jsonfile import read_object
from photofind.modelstore.download import Downloaded, place

KIND = "immich"
# Immich path -> name in a photofind model folder.
GRAPHS = {
    "visual/model.onnx": "visual.onnx",
    "textual/model.onnx": "textual.onnx",
    "textual/tokenizer.json": "tokenizer.json",
}
CONFIGS = ("config.json", "visual/preprocess_cfg.json", "textual/tokenizer_config.json")
FILES = (*CONFIGS, *GRAPHS)  # what an install fetches; the repositories hold more
SOT, EOT = "<|startoftext|>", "<|endoftext|>"
_CLEANING_WE_MIRROR = (None, "lower")  # open_clip's default: whitespace, then lower-case


def is_immich_folder(folder: Path) -> bool:
    return all((folder / name).is_file() for name in ("visual/model.onnx", "textual/model.onnx"))


def is_immich_entry(entry: dict[str, Any]) -> bool:
    return (entry.get("source") or {}).get("kind") == KIND


def _refuse(folder: Path, why: str) -> ModelFolderError:
    return ModelFolderError(f"{folder} is not an Immich CLIP export photofind can use: {why}")


def _json(folder: Path, name: str, *, required: bool = True) -> dict[str, Any]:
    return read_object(folder / name, lambda why: _refuse(folder, why), name=name,
                       required=required)  # fmt: skip


def _token(value: Any, default: str) -> str:
    """A tokenizer_config special token: a string, or an AddedToken dict in older files."""
    if isinstance(value, dict):
        value = value.get("content")
    return value if isinstance(value, str) and value else default


def _tokenizer_facts(folder: Path) -> dict[str, int]:
    """Special-token ids, after checking tokenizer.json is CLIP's byte-level BPE."""
    data = _json(folder, "textual/tokenizer.json")
    model = data.get("model") or {}
    if model.get("type") != "BPE" or model.get("end_of_word_suffix") != "</w>":
        raise _refuse(folder, "its tokenizer is not CLIP's BPE")
    ids = {t["content"]: int(t["id"]) for t in data.get("added_tokens") or [] if "content" in t}
    ids.update({k: int(v) for k, v in (model.get("vocab") or {}).items() if k not in ids})
    config = _json(folder, "textual/tokenizer_config.json", required=False)
    chosen = {
        "sot_token_id": _token(config.get("bos_token"), SOT),
        "eot_token_id": _token(config.get("eos_token"), EOT),
        "pad_token_id": _token(config.get("pad_token"), EOT),
    }
    missing = sorted({t for t in chosen.values() if t not in ids})
    if missing:
        raise _refuse(folder, f"its tokenizer lacks {', '.join(missing)}")
    return {key: ids[token] for key, token in chosen.items()}


def _size(value: Any) -> list[int]:
    if isinstance(value, int):
        return [value, value]
    height, width = value
    return [int(height), int(width)]


def manifest_for(
    folder: Path,
    name: str,
    *,
    arch: str | None = None,
    pretrained: str | None = None,
    license: str = "",
    origin: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The manifest.json a converted folder gets (without its file hashes)."""
    config = _json(folder, "config.json")
    text = config.get("text_cfg") or {}
    if text.get("hf_tokenizer_name") or text.get("hf_model_name"):
        tokenizer = text.get("hf_tokenizer_name") or text.get("hf_model_name")
        raise _refuse(folder, f"it uses the {tokenizer} tokenizer, not CLIP's BPE")
    clean = (text.get("tokenizer_kwargs") or {}).get("clean")
    if clean not in _CLEANING_WE_MIRROR:
        raise _refuse(folder, f"its text cleaning {clean!r} is not supported")
    pre = _json(folder, "visual/preprocess_cfg.json")
    resize = pre.get("resize_mode") or "shortest"  # what older open_clip configs meant
    if resize not in RESIZE_MODES:
        raise _refuse(folder, f"resize mode {resize!r} is not supported")
    interpolation = pre.get("interpolation") or "bicubic"
    if interpolation not in INTERPOLATIONS:
        raise _refuse(folder, f"interpolation {interpolation!r} is not supported")
    arch_part, _, tag_part = name.partition("__")
    try:
        return {
            "format": FORMAT,
            "name": name,
            "arch": arch or arch_part,
            "pretrained": pretrained or tag_part or None,
            "license": license,
            "embed_dim": int(config["embed_dim"]),
            "image_size": _size(pre["size"]),
            "resize": resize,
            "interpolation": interpolation,
            "mean": [float(v) for v in pre["mean"]],
            "std": [float(v) for v in pre["std"]],
            "context_length": int(text.get("context_length", 77)),
            "text_variable_length": False,  # Immich's text graphs have a fixed length
            "tokenizer": _tokenizer_facts(folder),
            "files": {},
            "source": {"kind": KIND, **(origin or {})},
        }
    except KeyError as exc:
        raise _refuse(folder, f"its configs lack {exc.args[0]!r}") from None
    except (TypeError, ValueError) as exc:
        raise _refuse(folder, f"its configs hold a malformed value ({exc})") from None


def convert(
    source: Path,
    target: Path,
    *,
    name: str | None = None,
    move: bool = False,
    hashes: dict[str, str] | None = None,
    **facts: Any,
) -> dict[str, Any]:
    """Write a photofind model folder into `target` from an Immich-layout `source`.

    `move` renames the graphs instead of copying them (downloads are not kept twice);
    `hashes` (Immich path -> sha256) are those a download already computed, so the graphs are
    not read again. `facts` (arch, pretrained, license, origin) go into the manifest. Raises
    ModelFolderError when the export cannot be used; `target` is then left for the caller
    (an install's temporary folder) to remove.
    """
    source, target = Path(source), Path(target)
    manifest = manifest_for(source, name or source.name, **facts)
    target.mkdir(parents=True, exist_ok=True)
    for src, dst in GRAPHS.items():
        if not (source / src).is_file():
            raise _refuse(source, f"{src} is missing")
        (shutil.move if move else shutil.copyfile)(source / src, target / dst)
        manifest["files"][dst] = (hashes or {}).get(src) or sha256_file(target / dst)
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    _try_out(target, source)
    return manifest


def _try_out(folder: Path, source: Path) -> None:
    """Load the converted folder and encode one picture and one text: graphs whose inputs,
    outputs or sizes do not fit the configs fail here, not in the user's first search."""
    from photofind.clip.model import ClipModel

    try:
        model = ClipModel.load(folder, verify=False, threads=1)
        image = model.image.encode_images([Image.new("RGB", (32, 24), (128, 128, 128))])
        text = model.text.encode_texts(["a photo"])
    except PhotofindError as exc:
        raise _refuse(source, str(exc)) from None
    if not (np.isfinite(image).all() and np.isfinite(text).all()):
        raise _refuse(source, "its graphs give non-finite vectors")


# -- installing from the hub --------------------------------------------------------------


def install_downloaded(entry: dict[str, Any], downloaded: list[Downloaded], work: Path) -> None:
    """Convert an Immich repository's downloaded files into the model folder `work`.

    The files are linked into a staging folder in Immich's layout (the download area keeps
    them until the install succeeds) and converted with the hashes the download computed.
    """
    staging = work / ".immich"
    place(downloaded, staging)
    source = entry["source"]
    try:
        convert(
            staging,
            work,
            name=entry["name"],
            move=True,
            hashes={item.path: item.sha256 for item in downloaded},
            arch=entry.get("arch"),
            pretrained=entry.get("pretrained"),
            license=entry.get("license", ""),
            origin={"repo": source["repo"], "revision": source.get("revision", "main")},
        )
    finally:
        shutil.rmtree(staging, ignore_errors=True)

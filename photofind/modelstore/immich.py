"""Immich's published CLIP exports, turned into photofind model folders.

Immich publishes one Hugging Face repository per model (immich-app/<arch>__<tag>), and an
Immich server keeps the same layout in its model cache:

    config.json                    open_clip's model config: embed_dim, text_cfg.context_length
    visual/model.onnx              "image" float32 [1, 3, H, W] -> "embedding" (normalised)
    visual/preprocess_cfg.json     size, mean, std, interpolation, resize_mode
    textual/model.onnx             "text" int32 [1, context_length] -> "embedding"
    textual/tokenizer.json         Hugging Face's CLIP BPE
    textual/tokenizer_config.json  which tokens start, end and pad a text

Two export styles are published: 2023's (dynamic batch, `text` int32 [batch, 77] ->
`text_embedding`, opset 17) and 2025's (batch of one, `embedding`, opset 19); the runtime
reads input names, integer type and batch size from the graphs. SigLIP 2 and XLM-R exports
carry a Hugging Face tokenizer (immich_tokenizer.py) and SigLIP squashes images
(`resize_mode` "squash"). Exports over 2 GB (ViT-H-14) keep their weights in external data
files beside each graph; both encoder folders are then kept whole and apart.

The graphs are kept byte for byte (their hashes stay the hub's). Conversion writes the
manifest from those JSON files, refuses what photofind cannot reproduce (unknown text
cleaning, "longest" resizing), and runs both graphs once before the folder counts as installed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from photofind.clip.manifest import FORMAT, INTERPOLATIONS, MANIFEST, RESIZE_MODES, sha256_file
from photofind.errors import ModelFolderError
from photofind.jsonfile import read_object
from photofind.modelstore.download import Downloaded, place
from photofind.modelstore.immich_tokenizer import tokenizer_facts
from photofind.modelstore.trial import try_out

KIND = "immich"
# Immich path -> name in a photofind model folder.
GRAPHS = {
    "visual/model.onnx": "visual.onnx",
    "textual/model.onnx": "textual.onnx",
    "textual/tokenizer.json": "tokenizer.json",
}
CONFIGS = ("config.json", "visual/preprocess_cfg.json", "textual/tokenizer_config.json")
FILES = (*CONFIGS, *GRAPHS)  # what an install fetches; the repositories hold more
# Files of an encoder folder that are not the graph's external data (configs, other runtimes).
_NOT_DATA = (".json", ".txt", ".md", ".armnn", ".rknn", ".model")


def is_immich_folder(folder: Path) -> bool:
    return all((folder / name).is_file() for name in ("visual/model.onnx", "textual/model.onnx"))


def is_immich_entry(entry: dict[str, Any]) -> bool:
    return (entry.get("source") or {}).get("kind") == KIND


def wanted_files(entry: dict[str, Any]) -> list[str]:
    """What an install fetches: the configs and graphs, or, for exports whose weights lie in
    external data files (over 2 GB: `source.external_data`), every file of each encoder folder
    (fnmatch patterns, one folder level: other runtimes' subfolders are not fetched)."""
    if (entry.get("source") or {}).get("external_data"):
        return [*CONFIGS, "textual/tokenizer.json", "visual/*", "textual/*"]
    return list(FILES)


def _external_data(folder: Path, encoder: str) -> list[Path]:
    """The files beside an encoder's graph that hold its weights (ONNX external data)."""
    sub = folder / encoder
    return sorted(
        p
        for p in sub.iterdir()
        if p.is_file() and p.name != "model.onnx" and not p.name.endswith(_NOT_DATA)
    )


def _refuse(folder: Path, why: str) -> ModelFolderError:
    return ModelFolderError(f"{folder} is not an Immich CLIP export photofind can use: {why}")


def _json(folder: Path, name: str, *, required: bool = True) -> dict[str, Any]:
    return read_object(folder / name, lambda why: _refuse(folder, why), name=name,
                       required=required)  # fmt: skip


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
    multilingual: bool | None = None,
) -> dict[str, Any]:
    """The manifest.json a converted folder gets (without its file hashes). `multilingual`
    (the catalog's word) wins over the guess from the vocabulary's size."""
    config = _json(folder, "config.json")
    text = config.get("text_cfg") or {}
    tokenizer, many_languages = tokenizer_facts(
        folder, text, _json, lambda why: _refuse(folder, why)
    )
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
            "tokenizer": tokenizer,
            "multilingual": many_languages if multilingual is None else bool(multilingual),
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
    places = dict(GRAPHS)
    for src in places:
        if not (source / src).is_file():
            raise _refuse(source, f"{src} is missing")
    data = {enc: _external_data(source, enc) for enc in ("visual", "textual")}
    if any(data.values()):
        # Each graph finds its external data by names relative to itself, and the two
        # encoders' files may share names: each keeps its own folder.
        manifest["graphs"] = {"visual": "visual/model.onnx", "textual": "textual/model.onnx"}
        places.update({f"{enc}/model.onnx": f"{enc}/model.onnx" for enc in data})
        places.update(
            {f"{enc}/{p.name}": f"{enc}/{p.name}" for enc, ps in data.items() for p in ps}
        )
    for src, dst in places.items():
        (target / dst).parent.mkdir(parents=True, exist_ok=True)
        (shutil.move if move else shutil.copyfile)(source / src, target / dst)
        manifest["files"][dst] = (hashes or {}).get(src) or sha256_file(target / dst)
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    try_out(target, lambda why: _refuse(source, why))
    return manifest


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

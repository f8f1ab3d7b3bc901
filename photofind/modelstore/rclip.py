"""rclip's published model repository, turned into a photofind model folder.

rclip (github.com/yurijmikhalevich/rclip, read at 2a23e2b7: rclip/model_download.py,
rclip/model.py, rclip/utils/preprocess.py, rclip/utils/tokenizer.py, scripts/convert_model.py)
publishes exactly photofind's default model, open_clip's ViT-B-32-256 `datacomp_s34b_b86k`,
in one Hugging Face repository (`yurijmikhalevich/rclip-models`) laid out as:

    ViT-B-32-256-datacomp_s34b_b86k/visual.onnx   "input" float32 (or float16) [batch, 3, 256,
                                                  256] -> "output" [batch, 512], not normalised
    ViT-B-32-256-datacomp_s34b_b86k/textual.onnx  "input" int64 [batch, 77] -> "output"
    tokenizer/bpe_simple_vocab_16e6.txt.gz        CLIP's BPE merges (open_clip's file)
    LICENSE, OPENAI-CLIP-MIT.txt, README.md, THIRD_PARTY_NOTICES.md   at the repository root

Nothing in the repository states the preprocessing; rclip's code fixes it (preprocess.py:
shortest side to the input size, bicubic, centre crop, OpenAI CLIP's mean and std; the
tokenizer pads with 0 between start 49406 and end 49407). The image size and context length
are read from the graphs' input shapes, the vector size from one run. The graphs are kept
byte for byte; tokenizer.json is built from the vocabulary (photofind/modelstore/clip_bpe.py).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from photofind.clip.manifest import FORMAT, MANIFEST, sha256_file
from photofind.errors import ModelFolderError
from photofind.modelstore import clip_bpe
from photofind.modelstore.trial import try_out

KIND = "rclip"
VOCAB = "tokenizer/bpe_simple_vocab_16e6.txt.gz"
LEGAL = ("LICENSE", "OPENAI-CLIP-MIT.txt", "README.md", "THIRD_PARTY_NOTICES.md")
GRAPHS = ("visual.onnx", "textual.onnx")
DEFAULT_MODEL_FOLDER = "ViT-B-32-256-datacomp_s34b_b86k"
# rclip/utils/preprocess.py and rclip/utils/tokenizer.py: the facts the files do not carry.
MEAN = [0.48145466, 0.4578275, 0.40821073]
STD = [0.26862954, 0.26130258, 0.27577711]
TOKENIZER = {
    "kind": "clip-bpe",
    "prefix_ids": [49406],
    "suffix_ids": [49407],
    "pad_token_id": 0,
    "clean": "lower",
}


def _refuse(folder: Path, why: str) -> ModelFolderError:
    return ModelFolderError(f"{folder} is not an rclip model repository photofind can use: {why}")


def _model_folders(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(
        p for p in folder.iterdir() if p.is_dir() and all((p / g).is_file() for g in GRAPHS)
    )


def is_rclip_folder(folder: Path) -> bool:
    return (folder / VOCAB).is_file() and bool(_model_folders(folder))


def model_folder_of(entry: dict[str, Any]) -> str:
    return str((entry.get("source") or {}).get("model_folder") or DEFAULT_MODEL_FOLDER)


def wanted_files(entry: dict[str, Any]) -> list[str]:
    """Paths in rclip's repository (from its root) an install of `entry` fetches."""
    sub = model_folder_of(entry)
    return [f"{sub}/{g}" for g in GRAPHS] + [VOCAB, *LEGAL]


def _pick(source: Path, model_folder: str | None) -> Path:
    if model_folder:
        sub = source / model_folder
        if not all((sub / g).is_file() for g in GRAPHS):
            raise _refuse(source, f"{model_folder}/ lacks {' or '.join(GRAPHS)}")
        return sub
    found = _model_folders(source)
    if len(found) != 1:
        names = ", ".join(p.name for p in found) or "none"
        raise _refuse(source, f"expected one model folder with both graphs, found {names}")
    return found[0]


def _graph_facts(sub: Path) -> dict[str, Any]:
    """Input names, sizes and types from the graphs themselves, and the vector size."""
    from photofind.clip.providers import ort

    def session(name: str) -> Any:
        try:
            return ort.InferenceSession(str(sub / name), providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime's errors are untyped
            raise _refuse(sub, f"{name} does not load ({str(exc).splitlines()[0]})") from None

    visual, textual = session("visual.onnx"), session("textual.onnx")
    image, text = visual.get_inputs()[0], textual.get_inputs()[0]
    shape = list(image.shape)
    if len(shape) != 4 or not all(isinstance(d, int) for d in shape[2:]):
        raise _refuse(sub, f"visual.onnx takes {shape}, not [batch, 3, height, width]")
    length = text.shape[1] if len(text.shape) == 2 else None
    if not isinstance(length, int):
        raise _refuse(sub, f"textual.onnx takes {text.shape}, not a fixed [batch, length]")
    half = image.type == "tensor(float16)"
    pixels = np.zeros((1, 3, shape[2], shape[3]), dtype=np.float16 if half else np.float32)
    try:
        (out,) = visual.run(None, {image.name: pixels})
    except Exception as exc:
        raise _refuse(sub, f"visual.onnx fails to run ({str(exc).splitlines()[0]})") from None
    return {
        "image_size": [int(shape[2]), int(shape[3])],
        "context_length": int(length),
        "embed_dim": int(np.asarray(out).reshape(1, -1).shape[1]),
        "inputs": {
            "image_input": image.name,
            "text_input": text.name,
            "image_dtype": "float16" if half else "float32",
        },
    }


def convert(
    source: Path,
    target: Path,
    *,
    name: str | None = None,
    move: bool = False,
    hashes: dict[str, str] | None = None,
    arch: str | None = None,
    pretrained: str | None = None,
    license: str = "",
    origin: dict[str, Any] | None = None,
    multilingual: bool | None = None,
) -> dict[str, Any]:
    """Write a photofind model folder into `target` from an rclip-layout `source` (the
    repository's root). `hashes` (path in `source` -> sha256) are those a download checked.
    Raises ModelFolderError when the export cannot be used."""
    source, target = Path(source), Path(target)
    origin = dict(origin or {})
    sub = _pick(source, origin.get("model_folder"))
    if not (source / VOCAB).is_file():
        raise _refuse(source, f"{VOCAB} is missing")
    facts = _graph_facts(sub)
    target.mkdir(parents=True, exist_ok=True)
    files: dict[str, str] = {}
    for graph in GRAPHS:
        rel = f"{sub.name}/{graph}"
        (shutil.move if move else shutil.copyfile)(sub / graph, target / graph)
        files[graph] = (hashes or {}).get(rel) or sha256_file(target / graph)
    try:
        clip_bpe.build_tokenizer_json(source / VOCAB, target / "tokenizer.json")
    except ModelFolderError as exc:
        raise _refuse(source, f"{VOCAB}: {exc}") from None
    files["tokenizer.json"] = sha256_file(target / "tokenizer.json")
    for legal in LEGAL:
        if (source / legal).is_file() and legal != "README.md":
            shutil.copyfile(source / legal, target / legal)
            files[legal] = sha256_file(target / legal)
    manifest = {
        "format": FORMAT,
        "name": name or sub.name,
        "arch": arch or sub.name,  # rclip names the folder ARCH-TAG, which cannot be split
        "pretrained": pretrained,
        "license": license or "see LICENSE",
        "embed_dim": facts["embed_dim"],
        "image_size": facts["image_size"],
        "resize": "shortest",
        "interpolation": "bicubic",
        "mean": MEAN,
        "std": STD,
        "context_length": facts["context_length"],
        "text_variable_length": False,  # rclip's text graph has a fixed length
        "tokenizer": dict(TOKENIZER),
        "multilingual": bool(multilingual),  # CLIP's BPE: English
        "inputs": facts["inputs"],
        "files": files,
        "source": {"kind": KIND, "model_folder": sub.name, **origin},
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    try_out(target, lambda why: _refuse(source, why))
    return manifest

"""The model folder's manifest: every preprocessing fact the encoders need, and file hashes.

The manifest is the only description of a model the app trusts; nothing is inferred from the
graphs except their input and output names. See docs/design.md, "The model folder".
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from photofind.errors import ModelFolderError

MANIFEST = "manifest.json"
FORMAT = 1
RESIZE_MODES = ("shortest", "squash")
INTERPOLATIONS = ("bicubic", "bilinear", "nearest", "lanczos")
REQUIRED_FILES = ("visual.onnx", "textual.onnx", "tokenizer.json")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class TokenizerFacts:
    """Special ids and the truncation rule shared with open_clip's tokenizer."""

    sot_token_id: int = 49406
    eot_token_id: int = 49407
    pad_token_id: int = 0


@dataclass(frozen=True)
class Manifest:
    """What manifest.json says about a model folder."""

    folder: Path
    name: str
    embed_dim: int
    image_size: tuple[int, int]
    resize: str
    interpolation: str
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    context_length: int
    files: dict[str, str]
    arch: str = ""
    pretrained: str | None = None
    license: str = ""
    text_variable_length: bool = False
    tokenizer: TokenizerFacts = field(default_factory=TokenizerFacts)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def path(self, name: str) -> Path:
        return self.folder / name


def _fail(folder: Path, what: str) -> ModelFolderError:
    return ModelFolderError(f"model folder {folder}: {what}")


def _pair(value: Any) -> tuple[int, int]:
    if isinstance(value, int):
        return (value, value)
    height, width = value
    return (int(height), int(width))


def read_manifest(folder: Path | str) -> Manifest:
    """Parse and check manifest.json; raise ModelFolderError saying exactly what is wrong."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ModelFolderError(f"model folder {folder} does not exist")
    path = folder / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _fail(folder, f"{MANIFEST} is missing") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _fail(folder, f"{MANIFEST} is unreadable ({exc})") from None
    if not isinstance(data, dict):
        raise _fail(folder, f"{MANIFEST} is not a JSON object")
    if data.get("format") != FORMAT:
        raise _fail(folder, f"unsupported manifest format {data.get('format')!r} (need {FORMAT})")
    try:
        tok = data.get("tokenizer") or {}
        manifest = Manifest(
            folder=folder,
            name=str(data["name"]),
            embed_dim=int(data["embed_dim"]),
            image_size=_pair(data["image_size"]),
            resize=str(data.get("resize", "shortest")),
            interpolation=str(data.get("interpolation", "bicubic")),
            mean=tuple(float(v) for v in data["mean"]),  # type: ignore[arg-type]
            std=tuple(float(v) for v in data["std"]),  # type: ignore[arg-type]
            context_length=int(data["context_length"]),
            files={str(k): str(v) for k, v in dict(data["files"]).items()},
            arch=str(data.get("arch") or ""),
            pretrained=data.get("pretrained"),
            license=str(data.get("license") or ""),
            text_variable_length=bool(data.get("text_variable_length", False)),
            tokenizer=TokenizerFacts(
                sot_token_id=int(tok.get("sot_token_id", 49406)),
                eot_token_id=int(tok.get("eot_token_id", 49407)),
                pad_token_id=int(tok.get("pad_token_id", 0)),
            ),
            raw=data,
        )
    except KeyError as exc:
        raise _fail(folder, f"{MANIFEST} lacks the key {exc.args[0]!r}") from None
    except (TypeError, ValueError) as exc:
        raise _fail(folder, f"{MANIFEST} has a malformed value ({exc})") from None
    _check(manifest)
    return manifest


def _check(m: Manifest) -> None:
    if not m.name or "/" in m.name or "\\" in m.name or m.name in {".", ".."}:
        raise _fail(m.folder, f"bad model name {m.name!r}")
    if m.resize not in RESIZE_MODES:
        raise _fail(m.folder, f"unknown resize mode {m.resize!r} (know {', '.join(RESIZE_MODES)})")
    if m.interpolation not in INTERPOLATIONS:
        raise _fail(m.folder, f"unknown interpolation {m.interpolation!r}")
    if len(m.mean) != 3 or len(m.std) != 3 or min(m.std) <= 0:
        raise _fail(m.folder, "mean and std must be three numbers, std positive")
    if m.embed_dim <= 0 or m.context_length <= 2 or min(m.image_size) <= 0:
        raise _fail(m.folder, "embed_dim, context_length and image_size must be positive")
    for name in REQUIRED_FILES:
        if name not in m.files:
            raise _fail(m.folder, f"{MANIFEST} does not list {name}")
    for name in m.files:
        if Path(name).is_absolute() or ".." in Path(name).parts:
            raise _fail(m.folder, f"{MANIFEST} lists a file outside the folder: {name}")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify_model_folder(folder: Path | str, *, hashes: bool = True) -> Manifest:
    """Check that every listed file is present and (with `hashes`) has its recorded sha256.

    A half-downloaded or damaged file is named in the error rather than surfacing later as an
    ONNX Runtime parse failure. A full check that passes stamps the folder
    (`photofind.clip.stamp`), so later starts trust it by size and mtime.
    """
    manifest = read_manifest(folder)
    for name, expected in manifest.files.items():
        path = manifest.path(name)
        if not path.is_file():
            raise _fail(manifest.folder, f"{name} is missing")
        if not hashes or not expected:
            continue
        try:
            actual = sha256_file(path)
        except OSError as exc:
            raise _fail(manifest.folder, f"{name} is unreadable ({exc.strerror or exc})") from None
        if actual != expected.lower():
            raise _fail(
                manifest.folder,
                f"{name} is damaged or incomplete"
                f" (sha256 {actual[:12]}…, expected {expected[:12]}…)",
            )
    if hashes:
        from photofind.clip.stamp import write_stamp  # stamp imports this module

        write_stamp(manifest)
    return manifest

"""The model folder's manifest: every preprocessing fact the encoders need, and file hashes.

The manifest is the only description of a model the app trusts; nothing is inferred from the
graphs except their input and output names. See docs/design.md, "The model folder".
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from photofind.errors import ModelFolderError
from photofind.jsonfile import read_object

MANIFEST = "manifest.json"
FORMAT = 1
RESIZE_MODES = ("shortest", "squash")
INTERPOLATIONS = ("bicubic", "bilinear", "nearest", "lanczos")
REQUIRED_FILES = ("visual.onnx", "textual.onnx", "tokenizer.json")
# Where each graph lies in the folder. Exports over 2 GB keep their weights in external data
# files beside the graph, named by the exporter, so each encoder keeps its own subfolder.
DEFAULT_GRAPHS = {"visual": "visual.onnx", "textual": "textual.onnx"}
_CHUNK = 1 << 20


CLEANINGS = ("lower", "whitespace", "canonicalize")  # open_clip's get_clean_fn names


@dataclass(frozen=True)
class TokenizerFacts:
    """How text becomes ids, for both CLIP's BPE and Hugging Face (SentencePiece) tokenizers.

    Every tokenizer open_clip uses does the same four things, with different facts: clean the
    text (`clean`, open_clip's name for it), split it with tokenizer.json's model (no special
    tokens), put `prefix_ids` before and `suffix_ids` after (CLIP: start and end of text;
    SigLIP 2: only an end), cut the middle so the whole fits the context length, and pad with
    `pad_token_id`. CLIP's manifests spell the ends `sot_token_id`/`eot_token_id`.
    """

    prefix_ids: tuple[int, ...] = (49406,)
    suffix_ids: tuple[int, ...] = (49407,)
    pad_token_id: int = 0
    clean: str = "lower"
    kind: str = "clip-bpe"  # or "hf": a Hugging Face tokenizer.json (SentencePiece, XLM-R)

    @property
    def sot_token_id(self) -> int | None:
        return self.prefix_ids[0] if self.prefix_ids else None

    @property
    def eot_token_id(self) -> int | None:
        return self.suffix_ids[-1] if self.suffix_ids else None


def tokenizer_facts(data: dict[str, Any]) -> TokenizerFacts:
    """A manifest's "tokenizer" object; old manifests give only CLIP's sot/eot/pad ids."""

    def ids(key: str, single: str, default: int) -> tuple[int, ...]:
        if key in data:
            return tuple(int(v) for v in data[key] or ())
        return (int(data.get(single, default)),)

    return TokenizerFacts(
        prefix_ids=ids("prefix_ids", "sot_token_id", 49406),
        suffix_ids=ids("suffix_ids", "eot_token_id", 49407),
        pad_token_id=int(data.get("pad_token_id", 0)),
        clean=str(data.get("clean", "lower")),
        kind=str(data.get("kind", "clip-bpe")),
    )


@dataclass(frozen=True)
class InputFacts:
    """What a graph's input is called and holds, when the export says so (rclip: "input")."""

    image_input: str | None = None
    text_input: str | None = None
    image_dtype: str | None = None  # "float16" for half-precision exports


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
    inputs: InputFacts = field(default_factory=InputFacts)
    graphs: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_GRAPHS))
    multilingual: bool = False
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
    data = read_object(folder / MANIFEST, lambda why: _fail(folder, why))
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
            tokenizer=tokenizer_facts(tok),
            inputs=InputFacts(**{k: str(v) for k, v in (data.get("inputs") or {}).items()}),
            multilingual=bool(data.get("multilingual", False)),
            graphs={
                **DEFAULT_GRAPHS,
                **{str(k): str(v) for k, v in (data.get("graphs") or {}).items()},
            },
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
    if m.tokenizer.clean not in CLEANINGS:
        raise _fail(m.folder, f"unknown text cleaning {m.tokenizer.clean!r}")
    if m.inputs.image_dtype not in (None, "float32", "float16"):
        raise _fail(m.folder, f"unknown image input type {m.inputs.image_dtype!r}")
    if m.embed_dim <= 0 or m.context_length <= 2 or min(m.image_size) <= 0:
        raise _fail(m.folder, "embed_dim, context_length and image_size must be positive")
    if set(m.graphs) != set(DEFAULT_GRAPHS):
        raise _fail(m.folder, f"graphs must name exactly {', '.join(DEFAULT_GRAPHS)}")
    for name in ("tokenizer.json", *m.graphs.values()):
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

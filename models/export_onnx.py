"""Export an open_clip model into photofind's model folder (see docs/design.md, "The model folder").

    python models/export_onnx.py --arch ViT-B-32-256 --pretrained datacomp_s34b_b86k --out DIR
    python models/export_onnx.py --arch ViT-B-32-256 --pretrained datacomp_s34b_b86k \
        --random-init --int8 --out /work/bench-models/ViT-B-32-256__random-init

Dev tool: needs torch, open_clip_torch and onnx (`pip install -e ".[export]"`). The folder is
checked before it is put in place: ONNX Runtime, through photofind's own runtime code, must
match PyTorch (cosine >= 0.9999) on the reference images and texts, and photofind's tokenizer
must give open_clip's ids on every tokenizer case. A failed check leaves no folder behind.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import open_clip
import torch
import torch.nn.functional as F
from open_clip.transformer import TextTransformer, text_global_pool
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from photofind.clip.graphweights import externalize_folder  # noqa: E402
from photofind.clip.manifest import MANIFEST, sha256_file  # noqa: E402
from photofind.clip.model import ClipModel  # noqa: E402
from photofind.modelstore import clip_bpe  # noqa: E402

EXPORTER_VERSION = "1"
MIN_COSINE = 0.9999
DEFAULT_TEXTS = [
    "a photo of a dog",
    "kids on a beach at sunset",
    "a red car parked in the snow",
    "Café au lait, s'il vous plaît!",
    "東京の夜景",
    "",
]


class ExportError(Exception):
    """The export or its self-check failed; the message says which and by how much."""


# -- the graphs -------------------------------------------------------------------------------


class VisualGraph(torch.nn.Module):
    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.model.encode_image(pixel_values), dim=-1)


class TextGraph(torch.nn.Module):
    """The text tower with the positional table and causal mask cut to the input length.

    open_clip adds all `context_length` positions, so its graph only accepts padded input;
    slicing lets the runtime stop at the end-of-text token when that gives the same vectors.
    """

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model
        tower = model.text if isinstance(getattr(model, "text", None), TextTransformer) else model
        self.tower = tower
        self.pool_type = getattr(tower, "pool_type", None) or getattr(
            tower, "text_pool_type", "argmax"
        )
        self.eos_id = getattr(tower, "eos_id", None) or getattr(tower, "text_eos_id", None)
        self.sliceable = getattr(tower, "cls_emb", None) is None and not getattr(
            tower, "use_pad_mask", False
        )

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        if not self.sliceable:
            return F.normalize(self.model.encode_text(input_ids), dim=-1)
        t = self.tower
        seq = input_ids.shape[1]
        x = t.token_embedding(input_ids)
        x = x + t.positional_embedding[:seq]
        mask = t.attn_mask[:seq, :seq] if t.attn_mask is not None else None
        x = t.transformer(x, attn_mask=mask)
        x = t.ln_final(x)
        x = text_global_pool(x, input_ids, self.pool_type, eos_token_id=self.eos_id)
        if t.text_projection is not None:
            x = (
                t.text_projection(x)
                if isinstance(t.text_projection, torch.nn.Linear)
                else (x @ t.text_projection)
            )
        return F.normalize(x, dim=-1)


def _export(
    module: torch.nn.Module,
    example: torch.Tensor,
    path: Path,
    names: tuple[str, str],
    dynamic: dict[int, str],
    opset: int,
) -> None:
    """torch.export-based ONNX export; its symbolic shapes keep batch and sequence dynamic
    through the attention reshapes, which the TorchScript exporter bakes in."""
    from torch.export import Dim

    torch.backends.mha.set_fastpath_enabled(False)  # the fused kernel has no ONNX form
    shapes = {names[0]: {axis: Dim(label, min=1, max=4096) for axis, label in dynamic.items()}}
    with torch.no_grad():
        program = torch.onnx.export(
            module,
            (example,),
            input_names=[names[0]],
            output_names=[names[1]],
            dynamic_shapes=shapes,
            opset_version=opset,
            dynamo=True,
            optimize=True,
            verbose=False,
        )
    program.save(str(path), external_data=False)


def quantize(src: Path, dst: Path) -> None:
    """Dynamic int8 weights for the matrix multiplies (where CLIP spends its time)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(src), str(dst), weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul", "Gemm"]
    )


# -- reference items --------------------------------------------------------------------------


def default_reference_images(size: int) -> list[Image.Image]:
    """A few deterministic pictures, one big enough that draft decoding kicks in."""
    rng = np.random.default_rng(0)
    pictures = []
    for i, (w, h) in enumerate([(size * 5, size * 4), (size, size), (size * 2, size * 3)]):
        base = np.linspace(0, 255, w, dtype=np.float32)[None, :, None].repeat(h, 0).repeat(3, 2)
        base = (base + rng.normal(0, 20, (h, w, 3))).clip(0, 255).astype(np.uint8)
        img = Image.fromarray(base, "RGB")
        draw = ImageDraw.Draw(img)
        draw.ellipse((w // 4, h // 4, w // 2 + i * 10, h // 2 + i * 10), fill=(200, 40 * i, 30))
        pictures.append(img)
    return pictures


def _save_reference_images(images: list[Image.Image], folder: Path) -> list[str]:
    names = []
    for i, img in enumerate(images):
        big = min(img.size) > 512
        name = f"image{i}.jpg" if big else f"image{i}.png"
        if big:
            img.convert("RGB").save(folder / name, quality=92)
        else:
            img.save(folder / name)
        names.append(name)
    return names


def tokenizer_cases() -> list[str]:
    """Strings that stress the tokenizer: >= 200, all kinds of script and punctuation."""
    words = [
        "photo",
        "Beach",
        "SUNSET",
        "kids",
        "dog's",
        "we're",
        "I'll",
        "naïve",
        "Ærøskøbing",
        "straße",
        "crème brûlée",
        "日本",
        "北京烤鸭",
        "서울",
        "Москва",
        "العربية",
        "हिन्दी",
        "🐶",
        "👨‍👩‍👧",
        "🌅🏖️",
        "C++",
        "e-mail",
        "3.14159",
        "2026-11-25",
        "#hashtag",
        "@user",
        "&amp;",
        "&lt;b&gt;",
        "“quoted”",
        "‘single’",
        "ﬁsh",
        "ＦＵＬＬ",
        "tab\there",
        "new\nline",
        "  spaced   out  ",
        "...",
        "?!?!",
        "----",
        "(((x)))",
        "€100",
        "½",
    ]
    cases = ["", " ", "a", "A photo of a red circle", "kids on a beach at sunset"]
    cases += words
    for i, w in enumerate(words):
        cases.append(f"a photo of {w} and {words[(i * 7 + 3) % len(words)]}")
        cases.append(f"{w.upper()}!!! {w.lower()}??")
        cases.append(" ".join([w] * (i % 5 + 1)))
        cases.append(f"{w}{words[(i + 1) % len(words)]}")
    cases.append("very long " * 60)
    cases.append("x" * 500)
    cases.append("🙂" * 100)
    cases.append(", ".join(words))
    return list(dict.fromkeys(cases))


# -- the export -------------------------------------------------------------------------------


@dataclass
class Preprocess:
    size: tuple[int, int]
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    interpolation: str
    resize: str


def _preprocess_of(model: torch.nn.Module) -> Preprocess:
    cfg = dict(getattr(model.visual, "preprocess_cfg", {}) or {})
    size = cfg.get("size") or model.visual.image_size
    size = (size, size) if isinstance(size, int) else tuple(size)
    resize = {"shortest": "shortest", "squash": "squash"}.get(cfg.get("resize_mode", "shortest"))
    if resize is None:
        raise ExportError(f"resize mode {cfg.get('resize_mode')!r} is not supported by the app")
    interpolation = cfg.get("interpolation") or "bicubic"
    return Preprocess(
        size=(int(size[0]), int(size[1])),
        mean=tuple(float(v) for v in cfg.get("mean", open_clip.OPENAI_DATASET_MEAN)),
        std=tuple(float(v) for v in cfg.get("std", open_clip.OPENAI_DATASET_STD)),
        interpolation="bilinear" if interpolation == "bilinear" else "bicubic",
        resize=resize,
    )


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return (a * b).sum(axis=1)


def reparameterize(model: torch.nn.Module) -> torch.nn.Module:
    """Fold MobileOne/FastViT training branches into single convolutions (inference form)."""
    for module in list(model.modules()):
        if module is not model and hasattr(module, "reparameterize"):
            module.reparameterize()
    return model


def export_model(
    model: torch.nn.Module,
    out: Path,
    *,
    name: str,
    arch: str,
    pretrained: str | None,
    license: str,
    tokenizer=None,
    int8: bool = False,
    random_init: bool = False,
    reference_images: list[Image.Image] | None = None,
    reference_texts: list[str] | None = None,
    opset: int = 18,
) -> Path:
    """Write and check the model folder; return its path. Raises ExportError on a failed check."""
    model = reparameterize(model.eval())
    tokenizer = tokenizer or open_clip.get_tokenizer(arch)
    context_length = int(getattr(tokenizer, "context_length", 77))
    pre = _preprocess_of(model)
    transform = open_clip.image_transform(
        pre.size, is_train=False, mean=pre.mean, std=pre.std, resize_mode=pre.resize,
        interpolation=pre.interpolation,
    )  # fmt: skip
    out = Path(out).absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        _write(model, work, tokenizer, context_length, pre, transform, opset,
               reference_images or default_reference_images(max(pre.size)),
               reference_texts or DEFAULT_TEXTS, int8)  # fmt: skip
        manifest = json.loads((work / MANIFEST).read_text())
        manifest.update(name=name, arch=arch, pretrained=pretrained, license=license)
        manifest["exporter"]["random_init"] = random_init
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        externalize_folder(work)  # the form the model store keeps: weights ORT maps
        _check(work, tokenizer)
        if out.exists():
            shutil.rmtree(out)
        work.rename(out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return out


def _write(model, folder, tokenizer, context_length, pre, transform, opset, images, texts,
           int8) -> None:  # fmt: skip
    started = time.perf_counter()
    height, width = pre.size
    visual = VisualGraph(model).eval()
    text = TextGraph(model).eval()
    _export(visual, torch.randn(2, 3, height, width), folder / "visual.onnx",
            ("pixel_values", "image_embeds"), {0: "batch"}, opset)  # fmt: skip
    # Shorter than the context on purpose: a full-length example lets constant folding bake
    # the context length into the attention reshapes, and the sequence axis stops being dynamic.
    example = tokenizer(["a photo", "two dogs"])[:, :8]
    _export(text, example, folder / "textual.onnx", ("input_ids", "text_embeds"),
            {0: "batch", 1: "sequence"}, opset)  # fmt: skip
    clip_bpe.build_tokenizer_json(
        Path(open_clip.tokenizer.default_bpe()), folder / "tokenizer.json"
    )
    if int8:
        quantize(folder / "visual.onnx", folder / "visual.int8.onnx")
        quantize(folder / "textual.onnx", folder / "textual.int8.onnx")

    ref = folder / "reference"
    ref.mkdir()
    image_names = _save_reference_images(images, ref)
    with torch.no_grad():
        pixels = torch.stack([transform(Image.open(ref / n).convert("RGB")) for n in image_names])
        image_embeds = visual(pixels).numpy()
        ids = tokenizer(texts)
        text_embeds = F.normalize(model.encode_text(ids), dim=-1).numpy()
    cases = [{"text": t, "ids": tokenizer([t])[0].tolist()} for t in tokenizer_cases()]

    variable = _same_when_cut(folder / "textual.onnx", ids.numpy(), context_length)
    import onnxruntime

    manifest = {
        "format": 1,
        "name": "",
        "arch": "",
        "pretrained": None,
        "license": "",
        "embed_dim": int(image_embeds.shape[1]),
        "image_size": [height, width],
        "resize": pre.resize,
        "interpolation": pre.interpolation,
        "mean": list(pre.mean),
        "std": list(pre.std),
        "context_length": context_length,
        "text_variable_length": variable,
        "tokenizer": {
            "sot_token_id": int(tokenizer.sot_token_id),
            "eot_token_id": int(tokenizer.eot_token_id),
            "pad_token_id": 0,
            "truncation": "keep the first context_length ids, then set the last to eot",
        },
        "files": {p.name: sha256_file(p) for p in sorted(folder.iterdir()) if p.is_file()},
        "exporter": {
            "version": EXPORTER_VERSION,
            "open_clip": open_clip.__version__,
            "torch": torch.__version__.split("+")[0],
            "onnxruntime": onnxruntime.__version__,
            "opset": opset,
            "seconds": round(time.perf_counter() - started, 1),
        },
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    reference = {
        "texts": texts,
        "token_ids": ids.tolist(),
        "text_embeds": text_embeds.tolist(),
        "images": image_names,
        "image_embeds": image_embeds.tolist(),
        "tokenizer_cases": cases,
    }
    (ref / "reference.json").write_text(json.dumps(reference, ensure_ascii=False) + "\n")


def _same_when_cut(textual: Path, ids: np.ndarray, context_length: int) -> bool:
    """Does feeding only up to the longest EOT give the padded input's vectors?"""
    import onnxruntime as ort

    session = ort.InferenceSession(str(textual), providers=["CPUExecutionProvider"])
    (full,) = session.run(None, {"input_ids": ids.astype(np.int64)})
    length = int((ids.argmax(axis=1)).max()) + 1
    (cut,) = session.run(None, {"input_ids": ids[:, :length].astype(np.int64)})
    cosine = float(_cosines(full, cut).min())
    print(f"text graph cut at EOT ({length} of {context_length} tokens): min cosine {cosine:.6f}")
    return cosine >= 0.99999


def _check(folder: Path, tokenizer) -> None:
    """Run the folder through photofind's runtime and compare with the PyTorch reference."""
    model = ClipModel.load(folder, providers=["CPUExecutionProvider"])
    ref = json.loads((folder / "reference" / "reference.json").read_text())
    images = [folder / "reference" / n for n in ref["images"]]
    pixels = np.stack([model.image.preprocess_path(p, draft=False) for p in images])
    image_cos = _cosines(model.image.encode_pixels(pixels), np.asarray(ref["image_embeds"]))
    text_cos = _cosines(model.text.encode_texts(ref["texts"]), np.asarray(ref["text_embeds"]))
    ours = model.text.tokenize([c["text"] for c in ref["tokenizer_cases"]])
    theirs = np.asarray([c["ids"] for c in ref["tokenizer_cases"]])
    same = (ours == theirs).all(axis=1)
    print(f"images: min cosine ONNX vs PyTorch {image_cos.min():.6f}")
    print(f"texts:  min cosine ONNX vs PyTorch {text_cos.min():.6f}")
    print(f"tokenizer: {int(same.sum())}/{len(same)} cases give open_clip's ids")
    problems = []
    if image_cos.min() < MIN_COSINE:
        problems.append(f"image cosine {image_cos.min():.6f} < {MIN_COSINE}")
    if text_cos.min() < MIN_COSINE:
        problems.append(f"text cosine {text_cos.min():.6f} < {MIN_COSINE}")
    if not same.all():
        bad = [ref["tokenizer_cases"][i]["text"] for i in np.flatnonzero(~same)[:5]]
        problems.append(f"tokenizer differs on {int((~same).sum())} cases, e.g. {bad!r}")
    for kind in ("visual", "textual"):
        if (folder / f"{kind}.int8.onnx").is_file():
            _report_int8(folder, pixels, ref)
            break
    if problems:
        raise ExportError("self-check failed: " + "; ".join(problems))


def _report_int8(folder: Path, pixels: np.ndarray, ref: dict) -> None:
    q = ClipModel.load(folder, providers=["CPUExecutionProvider"], verify=False, int8=True)
    image_cos = _cosines(q.image.encode_pixels(pixels), np.asarray(ref["image_embeds"]))
    text_cos = _cosines(q.text.encode_texts(ref["texts"]), np.asarray(ref["text_embeds"]))
    print(f"int8: min cosine to PyTorch fp32: images {image_cos.min():.4f}, "
          f"texts {text_cos.min():.4f}")  # fmt: skip


CHECKPOINT_SUFFIXES = (".bin", ".safetensors", ".pt", ".pth", ".ckpt")


def is_checkpoint(pretrained: str | None) -> bool:
    """A local weights file (a fine-tuned model), not one of open_clip's pretrained tags."""
    return bool(pretrained) and (
        Path(pretrained).suffix.lower() in CHECKPOINT_SUFFIXES or Path(pretrained).is_file()
    )


def create(arch: str, pretrained: str | None, random_init: bool) -> torch.nn.Module:
    """The open_clip model, with the pretrained tag's preprocessing even without its weights.

    `pretrained` may be a local checkpoint (.bin, .safetensors, .pt: a state dict, as
    open_clip's training writes or `torch.save(model.state_dict())`): open_clip loads it itself
    (`create_model(arch, pretrained=path)`) and the architecture's default preprocessing applies.
    """
    force = {}
    if is_checkpoint(pretrained):
        path = Path(str(pretrained)).expanduser()
        if not path.is_file():
            raise ExportError(f"no checkpoint file {path}")
        try:
            return open_clip.create_model(arch, pretrained=str(path), require_pretrained=True)
        except Exception as exc:  # torch, safetensors and open_clip raise their own kinds
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ExportError(f"cannot load {path.name} as {arch} weights: {first}") from None
    if pretrained:
        cfg = open_clip.get_pretrained_cfg(arch, pretrained)
        if not cfg:
            raise ExportError(f"open_clip knows no pretrained tag {pretrained!r} for {arch}")
        force = {k: cfg[k] for k in ("mean", "std", "interpolation", "resize_mode") if k in cfg}
    try:
        return open_clip.create_model(
            arch,
            pretrained=None if random_init else pretrained,
            force_preprocess_cfg=force or None,
        )
    except RuntimeError as exc:
        raise ExportError(f"cannot create {arch} ({pretrained}): {exc}") from None
    except OSError as exc:
        raise ExportError(
            f"cannot fetch weights for {arch} ({pretrained}): {exc}; "
            "no model hub reachable? use --random-init for an architecture-identical export"
        ) from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arch", required=True, help="open_clip architecture, e.g. ViT-B-32")
    parser.add_argument(
        "--pretrained",
        help="open_clip pretrained tag (e.g. openai), or a local checkpoint file "
        "(.bin, .safetensors, .pt) for a fine-tuned model",
    )
    parser.add_argument(
        "--model-config",
        type=Path,
        help="an open_clip model config JSON for an architecture open_clip does not know "
        "(its file name, without .json, is the --arch)",
    )
    parser.add_argument("--out", type=Path, required=True, help="model folder to write")
    parser.add_argument("--name", help="model name (default: ARCH__TAG)")
    parser.add_argument("--license", default="", help="licence of the weights")
    parser.add_argument("--int8", action="store_true", help="add dynamically quantised graphs")
    parser.add_argument(
        "--random-init",
        action="store_true",
        help="random weights, same architecture and cost (for benchmarks)",
    )
    parser.add_argument("--opset", type=int, default=18)
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    if args.model_config is not None:
        open_clip.add_model_config(args.model_config)
    tag = args.pretrained
    if is_checkpoint(tag):
        tag = Path(tag).stem  # the manifest and the default name say which file it was
    name = args.name or f"{args.arch}__{tag or 'none'}"
    if args.random_init:
        name += "__random-init"
    try:
        model = create(args.arch, args.pretrained, args.random_init)
        started = time.perf_counter()
        out = export_model(model, args.out, name=name, arch=args.arch,
                           pretrained=tag, license=args.license, int8=args.int8,
                           random_init=args.random_init, opset=args.opset)  # fmt: skip
    except ExportError as exc:
        print(f"export_onnx: {exc}", file=sys.stderr)
        return 1
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"wrote {out} ({size / 1e6:.1f} MB) in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

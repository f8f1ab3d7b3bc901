"""Write a CLIP model in the layout Immich publishes on the Hugging Face hub.

photofind can install Immich's ready-made ONNX exports (photofind/modelstore/immich.py turns them
into a photofind model folder). No hub is reachable where photofind is built, so this dev tool
makes folders of that shape itself, following what Immich's exporter does
(immich-app/immich machine-learning/export):

    config.json                  open_clip's model config (embed_dim, vision_cfg, text_cfg)
    visual/model.onnx            TorchScript ONNX export, input "image" float32 [1, 3, H, W]
                                 (fixed batch of one), output "embedding", L2-normalised
    visual/preprocess_cfg.json   open_clip's preprocess config (size, mean, std, ...)
    textual/model.onnx           input "text" int32 [1, context_length], output "embedding"
    textual/tokenizer.json       a Hugging Face CLIPTokenizer saved with save_pretrained
    textual/tokenizer_config.json

It is used for the test fixture tests/fixtures/tiny-clip-immich (the committed tiny model's
weights exported Immich's way) and for architecture-identical random-weight folders that
measure what converted models cost. Needs the `export` extra plus `transformers`:

    python models/immich_layout.py --tiny-state STATE.pt --out tests/fixtures/tiny-clip-immich
    python models/immich_layout.py --arch ViT-B-32 --pretrained openai --random-init --out DIR
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path
from typing import Any

import open_clip
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from export_onnx import create

from photofind.modelstore.clip_bpe import clip_bpe

OPSET = 19  # Immich's exporter default
SOT, EOT = "<|startoftext|>", "<|endoftext|>"


def _save_json(data: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def save_hf_tokenizer(folder: Path) -> None:
    """CLIP's BPE as transformers' CLIPTokenizer writes it (built from open_clip's vocabulary,
    which is the one openai/clip-vit-base-patch32 ships)."""
    from transformers import CLIPTokenizer

    vocab, merges = clip_bpe(Path(open_clip.tokenizer.default_bpe()), SOT, EOT)
    tokenizer = CLIPTokenizer(vocab=vocab, merges=merges)
    tokenizer.save_pretrained(folder)


def _export(module: torch.nn.Module, example: torch.Tensor, name: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            (example,),
            str(path),
            input_names=[name],
            output_names=["embedding"],
            opset_version=OPSET,
            dynamo=False,  # Immich uses the TorchScript exporter with fixed shapes
        )


class _Encode(torch.nn.Module):
    def __init__(self, model: torch.nn.Module, kind: str) -> None:
        super().__init__()
        self.model, self.kind = model, kind

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.kind == "image":
            return self.model.encode_image(x, normalize=True)
        return self.model.encode_text(x, normalize=True)


def write_immich_folder(model: torch.nn.Module, config: dict[str, Any], out: Path) -> None:
    torch.backends.mha.set_fastpath_enabled(False)  # the fused kernel has no ONNX form
    model.eval()
    for param in model.parameters():
        param.requires_grad_(False)
    preprocess = open_clip.get_model_preprocess_cfg(model)
    size = preprocess["size"]
    height, width = (size, size) if isinstance(size, int) else size
    context = config["text_cfg"].get("context_length", 77)
    _save_json(config, out / "config.json")
    _save_json(preprocess, out / "visual" / "preprocess_cfg.json")
    _export(
        _Encode(model, "image"),
        torch.randn(1, 3, height, width),
        "image",
        out / "visual" / "model.onnx",
    )
    save_hf_tokenizer(out / "textual")
    _export(
        _Encode(model, "text"),
        torch.ones(1, context, dtype=torch.int32),
        "text",
        out / "textual" / "model.onnx",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--tiny-state", type=Path, help="state dict of models/train_tiny.py")
    source.add_argument("--arch", help="open_clip architecture, e.g. ViT-B-32")
    parser.add_argument("--pretrained", help="open_clip pretrained tag")
    parser.add_argument("--random-init", action="store_true")
    args = parser.parse_args(argv)

    torch.manual_seed(0)
    if args.tiny_state:
        import train_tiny

        model = train_tiny.build_model()
        model.load_state_dict(torch.load(args.tiny_state, weights_only=True))
        config = {
            "embed_dim": train_tiny.EMBED_DIM,
            "vision_cfg": train_tiny.VISION_CFG,
            "text_cfg": train_tiny.TEXT_CFG,
        }
    else:
        model = create(args.arch, args.pretrained, args.random_init)
        config = open_clip.get_model_config(args.arch)
    write_immich_folder(model, config, args.out)
    for path in sorted(args.out.rglob("*")):
        if path.is_file():
            print(f"{path.stat().st_size:>12,}  {path.relative_to(args.out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

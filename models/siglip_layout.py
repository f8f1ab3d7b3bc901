"""Write a tiny SigLIP-2-style Immich export whose text encoder understands four languages.

    python models/siglip_layout.py --out tests/fixtures/tiny-siglip-immich

Dev tool (needs torch). The folder has the shape of Immich's SigLIP 2 repositories
(immich-app/ViT-B-16-SigLIP2__webli): config.json naming a Hugging Face tokenizer with
`clean: canonicalize`, a SentencePiece tokenizer.json (photofind.testing.sentencepiece's
Gemma-like one: BPE with byte fallback, `$A <eos>`, `<pad>` 0), `resize_mode: squash`, and
a text graph taking `text` int32 [1, 64] -> `embedding`, as Immich's 2025 exports do.

The image encoder is tests/fixtures/tiny-clip's. The text encoder is a bag of tokens: the sum of
one learned-by-least-squares vector per token, normalised. Its table is solved so that each
phrase of PHRASES, in English, German, Russian and Chinese, gives tiny-clip's own vector of the
English phrase, so "ein Foto von einem roten Kreis" finds what "a photo of a red circle" finds.
That proves the plumbing (SentencePiece ids, canonicalization, padding, the int32 graph, the
index) with a query in each script; it says nothing about a real model's multilingual quality.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import torch
from tokenizers import Tokenizer

from photofind.clip.manifest import tokenizer_facts
from photofind.clip.model import ClipModel
from photofind.clip.tokenizer import ClipTokenizer
from photofind.modelstore.immich_tokenizer import hf_facts
from photofind.testing import sentencepiece

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "fixtures" / "tiny-clip"
CONTEXT = 64
# English phrase -> its German, Russian and Chinese queries.
PHRASES = {
    "a photo of a red circle": [
        "ein Foto von einem roten Kreis", "фото: красный круг", "红色的圆圈",
    ],
    "a photo of a blue square": [
        "ein Foto von einem blauen Quadrat", "фото: синий квадрат", "蓝色的方形",
    ],
    "a photo of a green triangle": [
        "ein Foto von einem grünen Dreieck", "фото: зелёный треугольник", "绿色的三角形",
    ],
}  # fmt: skip


class BagOfTokens(torch.nn.Module):
    def __init__(self, table: np.ndarray) -> None:
        super().__init__()
        self.table = torch.nn.Parameter(torch.from_numpy(table))

    def forward(self, text: torch.Tensor) -> torch.Tensor:
        summed = self.table[text.long()].sum(dim=1)
        return summed / summed.norm(dim=-1, keepdim=True).clamp_min(1e-12)


def solve_table(tokenizer: ClipTokenizer, vocab: int, english: ClipModel) -> np.ndarray:
    """Token vectors whose sums give each phrase's English vector in every language."""
    rows, targets = [], []
    for phrase, others in PHRASES.items():
        target = english.text.encode_texts([phrase])[0]
        for text in [phrase, *others]:
            ids = tokenizer([text])[0]
            counts = np.bincount(ids, minlength=vocab).astype(np.float64)
            counts[[tokenizer.facts.pad_token_id, *tokenizer.facts.suffix_ids]] = 0
            rows.append(counts)
            targets.append(target)
    table, *_ = np.linalg.lstsq(np.stack(rows), np.stack(targets), rcond=None)
    return table.astype(np.float32)


def write(out: Path) -> None:
    textual, visual = out / "textual", out / "visual"
    sentencepiece.gemma_like(textual)
    config = json.loads((textual / "tokenizer_config.json").read_text())
    facts = tokenizer_facts(
        hf_facts(textual / "tokenizer.json", config, "canonicalize", ValueError)
    )
    tokenizer = ClipTokenizer(textual / "tokenizer.json", CONTEXT, facts)
    vocab = Tokenizer.from_file(str(textual / "tokenizer.json")).get_vocab_size()
    table = solve_table(tokenizer, vocab, ClipModel.load(TINY))
    torch.onnx.export(
        BagOfTokens(table).eval(),
        (torch.zeros(1, CONTEXT, dtype=torch.int32),),
        str(textual / "model.onnx"),
        input_names=["text"],
        output_names=["embedding"],
        opset_version=19,
        dynamo=False,
    )
    visual.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(TINY / "visual.onnx", visual / "model.onnx")
    tiny = json.loads((TINY / "manifest.json").read_text())
    preprocess = {"size": 64, "mode": "RGB", "mean": tiny["mean"], "std": tiny["std"],
                  "interpolation": "bicubic", "resize_mode": "squash", "fill_color": 0}  # fmt: skip
    (visual / "preprocess_cfg.json").write_text(json.dumps(preprocess, indent=2) + "\n")
    model_config = {
        "embed_dim": 64,
        "vision_cfg": {"image_size": 64},
        "text_cfg": {
            "context_length": CONTEXT,
            "vocab_size": int(table.shape[0]),
            "hf_tokenizer_name": "photofind/tiny-gemma-like",
            "tokenizer_kwargs": {"clean": "canonicalize"},
        },
    }
    (out / "config.json").write_text(json.dumps(model_config, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    write(args.out)
    size = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(f"wrote {args.out} ({size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

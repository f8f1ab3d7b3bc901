"""Small SentencePiece-style tokenizer.json files, built without training, for tests.

Two shapes of the Hugging Face tokenizers open_clip uses through its HFTokenizer:
- `gemma_like`: BPE with byte fallback and a Metaspace pre-tokenizer, an end-of-text token
  after the text and `<pad>` id 0, as SigLIP 2's Gemma tokenizer;
- `xlmr_like`: Unigram with a Metaspace pre-tokenizer, `<s> ... </s>` and `<pad>` id 1, as
  XLM-R's.
Their vocabularies are made from a word list (every word's characters, and each word grown
one character at a time), so the same code gives the same file on every machine; the
recorded open_clip ids (tests/fixtures/sentencepiece/cases.json) are for these files.
"""

from __future__ import annotations

import json
from pathlib import Path

from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors

SPACE = "\u2581"  # SentencePiece's word mark
_LINES = (  # one line per language
    "a photo of the dog cat red blue green circle square triangle two small at top beach sunset",
    "ein Foto von einem roten Kreis blauen Quadrat grünes Dreieck Hund Straße über",
    "фото красный круг синий квадрат зелёный треугольник собака",
    "红色 的 圆 圈 蓝色 方 形 绿色 三角 狗 照片",
    "写真 赤い 丸 café déjà vu",
)
WORDS = tuple(word for line in _LINES for word in line.split())
CASES = [
    "a photo of a red circle",
    "A Photo Of A RED Circle!!!",
    "two small blue squares at the top",
    "ein Foto von einem roten Kreis",
    "Ein grünes Dreieck über der Straße",
    "фото: красный круг",
    "Зелёный треугольник, синий квадрат.",
    "红色的圆圈",
    "一只狗在海滩上",
    "赤い丸の写真",
    "🔴 red circle 🐶🏖️",
    'snake_case_words and (brackets), "quotes" & more?!',
    "Café déjà vu, “quoted” &amp; ＦＵＬＬ width",
    "   lots   of\tspaces\nand lines   ",
    "",
    "!!!",
    "a very long description " * 20,
    "sehr lange Beschreibung eines roten Kreises " * 8,
]
# Immich's configs and open_clip's: which cleaning and context each shape is used with.
SHAPES = {
    "gemma_like": {"clean": "canonicalize", "context_length": 64},
    "xlmr_like": {"clean": "whitespace", "context_length": 16},
}


def _pieces() -> list[str]:
    chars = sorted({c for w in WORDS for c in w} | set("abcdefghijklmnopqrstuvwxyz"))
    grown: list[str] = []
    for word in WORDS:
        marked = SPACE + word
        grown += [marked[:n] for n in range(2, len(marked) + 1)]
    return list(dict.fromkeys([SPACE, *chars, *(SPACE + c for c in chars), *grown]))


def _metaspace(tokenizer: Tokenizer) -> None:
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement=SPACE, prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement=SPACE, prepend_scheme="always")


def gemma_like(path: Path) -> Path:
    """BPE + byte fallback, `$A <eos>`, pad id 0 (SigLIP 2's Gemma tokenizer's shape)."""
    specials = ["<pad>", "<eos>", "<bos>", "<unk>"]
    table = [*specials, *(f"<0x{b:02X}>" for b in range(256)), *_pieces()]
    vocab = {token: i for i, token in enumerate(dict.fromkeys(table))}
    merges = []
    for word in WORDS:
        marked = SPACE + word
        merges += [(marked[: n - 1], marked[n - 1]) for n in range(2, len(marked) + 1)]
    merges = list(dict.fromkeys(merges))
    tokenizer = Tokenizer(
        models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", byte_fallback=True)
    )
    _metaspace(tokenizer)
    tokenizer.post_processor = processors.TemplateProcessing(
        single="$A <eos>", special_tokens=[("<eos>", vocab["<eos>"])]
    )
    tokenizer.add_special_tokens([AddedToken(t, special=True) for t in specials])
    return _save(tokenizer, path, pad="<pad>", eos="<eos>", bos="<bos>", unk="<unk>")


def xlmr_like(path: Path) -> Path:
    """Unigram, `<s> $A </s>`, pad id 1, no byte fallback (XLM-R's shape)."""
    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    pieces = _pieces()
    vocab = [(t, 0.0) for t in specials] + [(p, -10.0 / len(p)) for p in pieces]
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=3, byte_fallback=False))
    _metaspace(tokenizer)
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    tokenizer.add_special_tokens([AddedToken(t, special=True) for t in specials])
    return _save(tokenizer, path, pad="<pad>", eos="</s>", bos="<s>", unk="<unk>")


def _save(tokenizer: Tokenizer, folder: Path, **tokens: str) -> Path:
    """tokenizer.json and the tokenizer_config.json transformers (and Immich) read."""
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(folder / "tokenizer.json"))
    config = {"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": 512}
    config.update({f"{k}_token": v for k, v in tokens.items()})
    (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n")
    return folder


BUILDERS = {"gemma_like": gemma_like, "xlmr_like": xlmr_like}

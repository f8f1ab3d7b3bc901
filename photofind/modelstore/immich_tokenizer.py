"""The tokenizer facts of an Immich export: CLIP's BPE, or a Hugging Face tokenizer.json.

Immich's exporter (immich-app/immich, machine-learning/export) saves what open_clip's tokenizer
would use: for CLIP models transformers' CLIPTokenizer files, for models whose open_clip config
names a Hugging Face tokenizer (`text_cfg.hf_tokenizer_name`: SigLIP 2's Gemma SentencePiece,
XLM-R) that tokenizer's own tokenizer.json and tokenizer_config.json. Immich's server
(immich_ml/models/clip/textual.py) then encodes with tokenizer.json's own special tokens, pads
with tokenizer_config's `pad_token` to `text_cfg.context_length` and cleans the text per
`text_cfg.tokenizer_kwargs.clean` ("canonicalize" for SigLIP). These facts are written into the
manifest here, so the runtime (photofind/clip/tokenizer.py) needs no guessing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from photofind.clip.manifest import CLEANINGS
from photofind.errors import ModelFolderError

SOT, EOT = "<|startoftext|>", "<|endoftext|>"
# A text whose ids are surely all content: what the tokenizer adds around it is its special
# tokens (a start, an end, or both).
_PROBE = "a photo of a dog"
MULTILINGUAL_VOCAB = 100_000  # CLIP's BPE has 49,408 tokens; Gemma 256,000, XLM-R 250,002


def _token(value: Any, default: str | None) -> str | None:
    """A tokenizer_config special token: a string, or an AddedToken dict in older files."""
    if isinstance(value, dict):
        value = value.get("content")
    return value if isinstance(value, str) and value else default


def _ids(data: dict[str, Any]) -> dict[str, int]:
    model = data.get("model") or {}
    vocab = model.get("vocab") or {}
    if isinstance(vocab, list):  # Unigram: [[piece, score], ...]
        table = {str(item[0]): i for i, item in enumerate(vocab)}
    else:
        table = {str(k): int(v) for k, v in vocab.items()}
    for t in data.get("added_tokens") or []:
        if "content" in t:
            table[t["content"]] = int(t["id"])
    return table


def clip_facts(
    data: dict[str, Any], config: dict[str, Any], clean: str | None, refuse: Callable[[str], Any]
) -> dict[str, Any]:
    """CLIP's BPE: start, end and pad ids from tokenizer_config (transformers' spelling)."""
    model = data.get("model") or {}
    if model.get("type") != "BPE" or model.get("end_of_word_suffix") != "</w>":
        raise refuse("its tokenizer is not CLIP's BPE")
    ids = _ids(data)
    chosen = {
        "sot": _token(config.get("bos_token"), SOT),
        "eot": _token(config.get("eos_token"), EOT),
        "pad": _token(config.get("pad_token"), EOT),
    }
    missing = sorted({str(t) for t in chosen.values() if t not in ids})
    if missing:
        raise refuse(f"its tokenizer lacks {', '.join(missing)}")
    return {
        "kind": "clip-bpe",
        "prefix_ids": [ids[chosen["sot"]]],  # type: ignore[index]
        "suffix_ids": [ids[chosen["eot"]]],  # type: ignore[index]
        "pad_token_id": ids[chosen["pad"]],  # type: ignore[index]
        "clean": clean or "lower",  # open_clip's SimpleTokenizer default
    }


def hf_facts(
    path: Path, config: dict[str, Any], clean: str | None, refuse: Callable[[str], Any]
) -> dict[str, Any]:
    """A Hugging Face tokenizer.json: the ids its post-processor puts around a text, and the
    pad id of tokenizer_config's pad token."""
    from tokenizers import Tokenizer

    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as exc:  # tokenizers raises a bare Exception on bad JSON
        raise refuse(f"its tokenizer.json is unusable ({exc})") from None
    tokenizer.no_padding()
    tokenizer.no_truncation()
    plain = tokenizer.encode(_PROBE, add_special_tokens=False).ids
    full = tokenizer.encode(_PROBE, add_special_tokens=True).ids
    at = next(
        (i for i in range(len(full) - len(plain) + 1) if full[i : i + len(plain)] == plain), None
    )
    if not plain or at is None:
        raise refuse("its tokenizer's special tokens are not around the text")
    pad = _token(config.get("pad_token"), None)
    pad_id = tokenizer.token_to_id(pad) if pad else None
    if pad_id is None:
        raise refuse(f"its tokenizer has no pad token {pad!r}")
    return {
        "kind": "hf",
        "prefix_ids": full[:at],
        "suffix_ids": full[at + len(plain) :],
        "pad_token_id": int(pad_id),
        "clean": clean or "whitespace",  # open_clip's HFTokenizer default
    }


def tokenizer_facts(
    folder: Path,
    text_cfg: dict[str, Any],
    read_json: Callable[..., Any],
    refuse: Callable[[str], ModelFolderError],
) -> tuple[dict[str, Any], bool]:
    """The manifest's "tokenizer" object for an Immich folder, and whether its vocabulary is
    a multilingual one (more than MULTILINGUAL_VOCAB tokens)."""
    clean = (text_cfg.get("tokenizer_kwargs") or {}).get("clean")
    if clean is not None and clean not in CLEANINGS:
        raise refuse(f"its text cleaning {clean!r} is not supported")
    data = read_json(folder, "textual/tokenizer.json")
    config = read_json(folder, "textual/tokenizer_config.json", required=False)
    if text_cfg.get("hf_tokenizer_name") or text_cfg.get("hf_model_name"):
        facts = hf_facts(folder / "textual/tokenizer.json", config, clean, refuse)
    else:
        facts = clip_facts(data, config, clean, refuse)
    return facts, len(_ids(data)) > MULTILINGUAL_VOCAB

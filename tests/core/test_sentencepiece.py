"""SentencePiece tokenizers (SigLIP 2's Gemma shape, XLM-R's) give open_clip's own ids.

The tokenizer.json files are built here with the `tokenizers` library
(photofind.testing.sentencepiece: BPE with byte fallback and Unigram, both with a Metaspace
pre-tokenizer); tests/fixtures/sentencepiece/cases.json holds what open_clip's HFTokenizer
(through transformers) gave for the same files and strings, recorded by
models/record_hf_tokenizer_cases.py, so this suite needs neither torch nor transformers.
The facts come from the converter's reading of the files (immich_tokenizer.hf_facts), as an
Immich SigLIP 2 folder's would.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from photofind.clip.manifest import tokenizer_facts
from photofind.clip.tokenizer import ClipTokenizer, canonicalize, clean_text
from photofind.errors import ModelFolderError
from photofind.modelstore.immich_tokenizer import hf_facts
from photofind.testing import sentencepiece

RECORDED = json.loads(
    (Path(__file__).resolve().parents[1] / "fixtures" / "sentencepiece" / "cases.json").read_text(
        encoding="utf-8"
    )
)


def _refuse(why: str) -> ModelFolderError:
    return ModelFolderError(why)


def _tokenizer(shape: str, folder: Path) -> ClipTokenizer:
    sentencepiece.BUILDERS[shape](folder)
    recorded = RECORDED["shapes"][shape]
    config = json.loads((folder / "tokenizer_config.json").read_text())
    facts = hf_facts(folder / "tokenizer.json", config, recorded["clean"], _refuse)
    return ClipTokenizer(
        folder / "tokenizer.json", recorded["context_length"], tokenizer_facts(facts)
    )


def test_the_cases_are_the_ones_recorded():
    assert RECORDED["cases"] == sentencepiece.CASES
    # Non-English, emoji, punctuation and text longer than the context are all there.
    text = " ".join(sentencepiece.CASES)
    assert all(ch in text for ch in ("ß", "ы", "圆", "🔴", "_", "&amp;"))


@pytest.mark.parametrize("shape", sorted(sentencepiece.BUILDERS))
def test_photofinds_ids_are_open_clips(shape, tmp_path):
    tokenizer = _tokenizer(shape, tmp_path / shape)
    ours = tokenizer(sentencepiece.CASES)
    theirs = np.asarray(RECORDED["shapes"][shape]["ids"])
    for text, a, b in zip(sentencepiece.CASES, ours, theirs, strict=True):
        assert a.tolist() == b.tolist(), text


def test_the_facts_read_from_the_files(tmp_path):
    gemma = _tokenizer("gemma_like", tmp_path / "g").facts
    assert (gemma.prefix_ids, gemma.suffix_ids, gemma.pad_token_id) == ((), (1,), 0)
    assert gemma.kind == "hf" and gemma.clean == "canonicalize"
    xlmr = _tokenizer("xlmr_like", tmp_path / "x").facts
    assert (xlmr.prefix_ids, xlmr.suffix_ids, xlmr.pad_token_id) == ((0,), (2,), 1)


def test_long_text_keeps_its_end_token_and_fills_the_context(tmp_path):
    tokenizer = _tokenizer("xlmr_like", tmp_path / "x")
    ids = tokenizer(["a very long description " * 20])[0]
    assert ids[0] == 0 and ids[-1] == 2 and 1 not in ids  # <s> ... </s>, no padding
    assert tokenizer.lengths(ids[None])[0] == len(ids)


def test_canonicalize_is_open_clips():
    # open_clip's canonicalize_text: underscores become spaces, ASCII punctuation goes,
    # lower case, whitespace collapsed; non-ASCII letters stay.
    assert canonicalize("Snake_Case, (Brackets)!  Ünïcödé…") == "snake case brackets ünïcödé…"
    assert clean_text("  A  &amp;  B  ", "whitespace") == "A & B"
    assert clean_text("  A  &amp;  B  ", "canonicalize") == "a b"
    assert clean_text("  A  &amp;  B  ") == "a & b"


def test_a_tokenizer_whose_ends_fill_the_context_is_refused(tmp_path):
    folder = sentencepiece.xlmr_like(tmp_path / "x")
    facts = tokenizer_facts({"kind": "hf", "prefix_ids": [0], "suffix_ids": [2]})
    with pytest.raises(ModelFolderError, match="fill the whole context"):
        ClipTokenizer(folder / "tokenizer.json", 2, facts)

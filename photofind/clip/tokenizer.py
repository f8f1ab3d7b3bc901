"""CLIP text tokenisation that gives exactly open_clip's ids, without open_clip or ftfy.

open_clip cleans text with ftfy, unescapes HTML twice, collapses whitespace and lower-cases,
then applies byte-level BPE. tokenizer.json (written by models/export_onnx.py) holds the BPE;
the cleaning open_clip does before it is mirrored here. The reference cases in each model
folder (reference/reference.json, `tokenizer_cases`) pin this down in the tests.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

from photofind.clip.manifest import TokenizerFacts
from photofind.errors import ModelFolderError

_WHITESPACE = re.compile(r"\s+")
# The parts of ftfy.fix_text that change ordinary typed text: curly quotes, Latin ligatures
# and full-width forms. (Its mojibake repair matters for scraped captions, not for queries.)
_QUOTES = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    }
)  # fmt: skip
_LIGATURES = str.maketrans(
    {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
     "\ufb05": "ſt", "\ufb06": "st", "\u0132": "IJ", "\u0133": "ij", "\u01f1": "DZ",
     "\u01f2": "Dz", "\u01f3": "dz", "\u01c4": "DŽ", "\u01c5": "Dž", "\u01c6": "dž",
     "\u01c7": "LJ", "\u01c8": "Lj", "\u01c9": "lj", "\u01ca": "NJ", "\u01cb": "Nj",
     "\u01cc": "nj"}
)  # fmt: skip
_WIDE = re.compile("[\u3000\uff01-\uff5e\uff5f-\uffef]")


def _narrow(match: re.Match[str]) -> str:
    char = match.group(0)
    if char == "\u3000":
        return " "
    return unicodedata.normalize("NFKC", char)


def clean_text(text: str) -> str:
    """The text open_clip's tokenizer actually encodes."""
    text = unicodedata.normalize("NFC", text)
    text = text.translate(_QUOTES).translate(_LIGATURES)
    text = _WIDE.sub(_narrow, text)
    text = html.unescape(html.unescape(text)).strip()
    return _WHITESPACE.sub(" ", text).strip().lower()


class ClipTokenizer:
    """Text -> int64 ids [n, context_length], SOT ... EOT then padding."""

    def __init__(self, path: Path, context_length: int, facts: TokenizerFacts) -> None:
        try:
            self._tokenizer = Tokenizer.from_file(str(path))
        except Exception as exc:  # tokenizers raises a bare Exception on bad JSON
            raise ModelFolderError(f"{path} is not a usable tokenizer ({exc})") from None
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()
        self.context_length = context_length
        self.facts = facts

    def _ids(self, text: str) -> list[int]:
        return self._tokenizer.encode(clean_text(text), add_special_tokens=False).ids

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        facts = self.facts
        out = np.full((len(texts), self.context_length), facts.pad_token_id, dtype=np.int64)
        for row, text in enumerate(texts):
            ids = [facts.sot_token_id, *self._ids(text), facts.eot_token_id]
            if len(ids) > self.context_length:
                ids = ids[: self.context_length]
                ids[-1] = facts.eot_token_id
            out[row, : len(ids)] = ids
        return out

    def lengths(self, ids: np.ndarray) -> np.ndarray:
        """Each row's length up to and including its EOT token."""
        is_eot = ids == self.facts.eot_token_id
        return np.where(is_eot.any(axis=1), is_eot.argmax(axis=1) + 1, ids.shape[1])

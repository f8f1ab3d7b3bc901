"""Text tokenisation that gives exactly open_clip's ids, without open_clip, ftfy or transformers.

Two families, one procedure (TokenizerFacts says which facts): CLIP's byte-level BPE
(open_clip's SimpleTokenizer) and Hugging Face tokenizer.json files (open_clip's HFTokenizer:
SigLIP 2's Gemma SentencePiece, XLM-R). open_clip cleans the text (ftfy, HTML unescaped twice,
whitespace collapsed, then per model: lower-cased, or "canonicalized": punctuation dropped and
lower-cased), splits it with the tokenizer's model, adds the start/end ids, cuts the middle to
the context length and pads. tokenizer.json holds the model; the rest is mirrored here. The
reference cases in each model folder (reference/reference.json, `tokenizer_cases`) and
tests/fixtures/sentencepiece-cases.json (open_clip's HFTokenizer's own output) pin it down.
"""

from __future__ import annotations

import html
import logging
import re
import string
import threading
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from photofind.clip import bpetable
from photofind.clip.manifest import TokenizerFacts
from photofind.errors import ModelFolderError

if TYPE_CHECKING:
    from tokenizers import Tokenizer

log = logging.getLogger(__name__)
TABLE_BATCH = 64  # larger batches go to the tokenizers library, faster per text once loaded

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


def basic_clean(text: str) -> str:
    """open_clip's basic_clean (ftfy's fixes that matter for typed text, HTML unescaped)."""
    text = unicodedata.normalize("NFC", text)
    text = text.translate(_QUOTES).translate(_LIGATURES)
    text = _WIDE.sub(_narrow, text)
    return html.unescape(html.unescape(text)).strip()


def _whitespace(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


_PUNCTUATION = str.maketrans("", "", string.punctuation)


def canonicalize(text: str) -> str:
    """open_clip's canonicalize_text (big_vision's): underscores to spaces, ASCII punctuation
    dropped, lower-cased, whitespace collapsed."""
    return _whitespace(text.replace("_", " ").translate(_PUNCTUATION).lower())


def clean_text(text: str, clean: str = "lower") -> str:
    """The text open_clip's tokenizer actually encodes, for its cleaning `clean`."""
    text = basic_clean(text)
    if clean == "canonicalize":
        return canonicalize(text)
    text = _whitespace(text)
    return text.lower() if clean == "lower" else text


class ClipTokenizer:
    """Text -> int64 ids [n, context_length]: prefix, the text's ids, suffix, then padding.

    Serves CLIP's BPE and Hugging Face SentencePiece files alike; see TokenizerFacts. With a
    `table_dir` (photofind's cache), short ASCII texts are tokenised from that folder's table
    of this tokenizer (`bpetable`, the same ids) and tokenizer.json is parsed only when a text
    needs it; the first parse writes the table for the processes after it. Thread-safe.
    """

    def __init__(
        self,
        path: Path,
        context_length: int,
        facts: TokenizerFacts,
        table_dir: Path | None = None,
    ) -> None:
        self.path = Path(path)
        self.context_length = context_length
        self.facts = facts
        if len(facts.prefix_ids) + len(facts.suffix_ids) >= context_length:
            raise ModelFolderError(f"{path}: the special tokens fill the whole context")
        self._lock = threading.Lock()
        self._tokenizer: Tokenizer | None = None
        self._table: bpetable.BpeTable | None = None
        self._table_path: Path | None = None
        if table_dir is not None:
            try:
                self._table_path = bpetable.table_path(table_dir, self.path)
            except OSError as exc:
                raise ModelFolderError(f"{path} cannot be read ({exc.strerror})") from None
            self._table = bpetable.open_table(self._table_path)
        if self._table is None:
            self._library()

    def _library(self) -> Tokenizer:
        """The tokenizers library's tokenizer, parsed on first need (then a table is written
        in the background if this tokenizer has none yet)."""
        with self._lock:
            if self._tokenizer is not None:
                return self._tokenizer
            from tokenizers import Tokenizer

            try:
                tokenizer = Tokenizer.from_file(str(self.path))
            except Exception as exc:  # tokenizers raises a bare Exception on bad JSON
                raise ModelFolderError(f"{self.path} is not a usable tokenizer ({exc})") from None
            tokenizer.no_padding()
            tokenizer.no_truncation()
            self._tokenizer = tokenizer
        target = self._table_path
        if target is not None and not target.exists():
            _start_table_build(self.path, target, tokenizer)
        return tokenizer

    def _ids(self, text: str, table: bool) -> list[int]:
        cleaned = clean_text(text, self.facts.clean)
        if table and self._table is not None:
            ids = self._table.encode(cleaned)
            if ids is not None:
                return ids
        return self._library().encode(cleaned, add_special_tokens=False).ids

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        facts = self.facts
        room = self.context_length - len(facts.prefix_ids) - len(facts.suffix_ids)
        out = np.full((len(texts), self.context_length), facts.pad_token_id, dtype=np.int64)
        table = self._tokenizer is None and len(texts) <= TABLE_BATCH
        for row, text in enumerate(texts):
            ids = [*facts.prefix_ids, *self._ids(text, table)[:room], *facts.suffix_ids]
            out[row, : len(ids)] = ids
        return out

    def lengths(self, ids: np.ndarray) -> np.ndarray:
        """Each row's length up to and including its end token (all of it without one)."""
        eot = self.facts.eot_token_id
        if eot is None:
            return np.full(len(ids), ids.shape[1])
        is_eot = ids == eot
        return np.where(is_eot.any(axis=1), is_eot.argmax(axis=1) + 1, ids.shape[1])


_building: set[Path] = set()
_building_lock = threading.Lock()


def _start_table_build(source: Path, target: Path, tokenizer: Tokenizer) -> None:
    """Write `target` (bpetable.build) in a thread, once per process. Not a daemon: the
    process waits for it at exit rather than leave a half-written temporary behind; a
    failure only means the next process parses tokenizer.json too."""
    with _building_lock:
        if target in _building:
            return
        _building.add(target)

    def reference(texts: list[str]) -> list[list[int]]:
        return [e.ids for e in tokenizer.encode_batch(texts, add_special_tokens=False)]

    def run() -> None:
        try:
            bpetable.build(source, target, reference)
        except Exception as exc:  # an optimisation: whatever went wrong costs only speed
            log.warning("cannot write the tokenizer table %s: %s", target, exc)

    # daemon=False outright: a thread inherits its starter's flag, and the first use is often
    # in a daemon thread (the index's labels phase), whose exit would kill the writer.
    threading.Thread(target=run, name="tokenizer-table", daemon=False).start()

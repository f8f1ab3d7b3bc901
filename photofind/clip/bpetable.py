"""Byte-level BPE of plain ASCII text from a small SQLite table, opened in a millisecond.

Why: the `tokenizers` library parses a CLIP tokenizer.json (3.6 MB: 49k vocabulary entries and
49k merges) in about 0.1 s and holds the GIL all that time, so the text session building in
another thread waits too: a fifth of a cold query (bench/cold_query.py). A query is a few
words; BPE needs the ranks of the pairs inside those words and the ids of the tokens they
become, which an indexed table answers without reading the rest.

Scope, chosen so the result is exactly the library's: text whose characters are all printable
ASCII (0x20-0x7e; open_clip's cleaning has already collapsed whitespace) and holds no added
token, through a tokenizer.json made of the steps this module can mirror exactly on such text
(`read_pipeline`: Unicode normalisation forms, which leave ASCII unchanged; lower-casing;
regex replacement; regex splits, whose `\\p{L}` and `\\p{N}` classes mean [A-Za-z] and [0-9]
on ASCII; byte-level mapping; BPE with an end-of-word suffix). Any other text, or any other
tokenizer (SentencePiece, WordPiece), goes to `tokenizers` as before. A table is written only
after it gave the library's ids on a few thousand test strings (`build`), and it is named by
the tokenizer file's path, size and mtime, so a changed file is never read through a stale one.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import random
import re
import sqlite3
import string
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from photofind import atomicfile

log = logging.getLogger(__name__)

FORMAT = 1
FOLDER = "tokenizer-tables"
ASCII = frozenset(chr(c) for c in range(0x20, 0x7F))
# tokenizers' ByteLevel(use_regex=true) split (GPT-2's pattern).
_BYTE_LEVEL_SPLIT = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
_NORMAL_FORMS = {"NFC", "NFD", "NFKC", "NFKD"}  # identity on ASCII
_CLASSES = {"L": "A-Za-z", "N": "0-9"}  # Unicode letter / number classes, on ASCII
# tokenizers' Split (behaviour, invert) -> what of a piece stays: see _split.
_SPLITS = {("Isolated", False): "all", ("Isolated", True): "all",
           ("Removed", False): "gaps", ("Removed", True): "matches"}  # fmt: skip
_LOWER = "(?#lower)"  # the lower-casing step (no pattern equals it: ours never match empty)


class Unsupported(ValueError):
    """The tokenizer.json has a step this module does not mirror exactly."""


def ascii_regex(pattern: str) -> re.Pattern[str]:
    """A tokenizers (Oniguruma) pattern as a Python pattern that matches the same on ASCII:
    `\\p{L}`/`\\p{N}` become their ASCII ranges; any other Unicode property is Unsupported."""
    out: list[str] = []
    depth = 0  # inside [...]
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            pair = pattern[i : i + 2]
            if pair in ("\\p", "\\P"):
                found = re.match(r"\\[pP]\{(\w+)\}", pattern[i:])
                name = found.group(1) if found else ""
                if pair == "\\P" or name not in _CLASSES or not found:
                    raise Unsupported(f"pattern class {pattern[i : i + 8]!r}")
                ranges = _CLASSES[name]
                out.append(ranges if depth else f"[{ranges}]")
                i += len(found.group(0))
                continue
            out.append(pair)
            i += 2
            continue
        if char == "[":
            depth += 1
        elif char == "]" and depth:
            depth -= 1
        out.append(char)
        i += 1
    try:
        compiled = re.compile("".join(out))
    except re.error as exc:
        raise Unsupported(f"pattern {pattern!r}: {exc}") from None
    if compiled.fullmatch(""):
        raise Unsupported(f"pattern {pattern!r} matches nothing at all")  # empty-match rules differ
    return compiled


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2/CLIP's reversible byte -> printable character table, in the order CLIP's
    vocabulary lists them (the printable bytes first): the one copy of it
    (modelstore/clip_bpe.py builds tokenizer.json files from it too)."""
    keep = list(range(ord("!"), ord("~") + 1))
    keep += list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    chars = keep[:]
    extra = 0
    for b in range(256):
        if b not in keep:
            keep.append(b)
            chars.append(256 + extra)
            extra += 1
    return dict(zip(keep, (chr(c) for c in chars), strict=True))


def _ascii_byte_map() -> dict[str, str]:
    """The byte-level characters of the ASCII characters this module serves."""
    table = bytes_to_unicode()
    return {chr(b): table[b] for b in range(0x20, 0x7F)}


@dataclass(frozen=True)
class Pipeline:
    """The ASCII-equivalent steps of one tokenizer.json (kept in the table as JSON)."""

    normalize: tuple[tuple[str, str], ...]  # (_LOWER, "") or (Python pattern, replacement)
    splits: tuple[tuple[str, str], ...]  # (Python pattern, "all" | "gaps" | "matches")
    byte_map: dict[str, str] | None  # ASCII char -> byte-level char
    suffix: str
    added: tuple[str, ...]  # added tokens' contents: text holding one goes to tokenizers

    def pieces(self, text: str) -> list[str] | None:
        """The words BPE sees, or None when this text is not ours to tokenise."""
        if not ASCII.issuperset(text) or self._has_added(text):
            return None
        for pattern, replacement in self.normalize:
            text = text.lower() if pattern == _LOWER else re.sub(pattern, replacement, text)
        if not ASCII.issuperset(text) or self._has_added(text):
            return None
        pieces = [text]
        for pattern, keep in self.splits:
            pieces = [part for piece in pieces for part in _split(pattern, keep, piece)]
        if self.byte_map is not None:
            pieces = ["".join(self.byte_map[c] for c in piece) for piece in pieces]
        return pieces

    def _has_added(self, text: str) -> bool:
        folded = text.lower()
        return any(token.lower() in folded for token in self.added)

    def to_json(self) -> str:
        return json.dumps(self.__dict__)

    @classmethod
    def from_json(cls, text: str) -> Pipeline:
        raw = json.loads(text)
        return cls(
            normalize=tuple(tuple(p) for p in raw["normalize"]),  # type: ignore[misc]
            splits=tuple(tuple(p) for p in raw["splits"]),  # type: ignore[misc]
            byte_map=raw["byte_map"],
            suffix=raw["suffix"],
            added=tuple(raw["added"]),
        )


def _split(pattern: str, keep: str, text: str) -> list[str]:
    """tokenizers' Split on one piece: "all" (Isolated) keeps matches and the gaps between them,
    "gaps" (Removed) drops the matches, "matches" (Removed, inverted) drops the gaps."""
    out: list[str] = []
    at = 0
    for found in re.finditer(pattern, text):
        if found.start() > at and keep != "matches":
            out.append(text[at : found.start()])
        if keep != "gaps":
            out.append(found.group(0))
        at = found.end()
    if at < len(text) and keep != "matches":
        out.append(text[at:])
    return out


def _regex(step: dict, field: str = "pattern") -> str:
    pattern = step.get(field) or {}
    if "Regex" in pattern:
        return ascii_regex(pattern["Regex"]).pattern
    if "String" in pattern:
        return re.escape(pattern["String"])
    raise Unsupported(f"{step.get('type')} without a pattern")


def _steps(node: dict | None, key: str) -> list[dict]:
    if node is None:
        return []
    return list(node[key]) if node.get("type") == "Sequence" else [node]


def read_pipeline(data: dict) -> Pipeline:
    """The steps of a parsed tokenizer.json, or Unsupported naming the first it cannot mirror."""
    normalize: list[tuple[str, str]] = []
    for step in _steps(data.get("normalizer"), "normalizers"):
        kind = step.get("type")
        if kind in _NORMAL_FORMS:
            continue
        if kind == "Lowercase":
            normalize.append((_LOWER, ""))
        elif kind == "Replace":
            normalize.append((_regex(step), str(step["content"]).replace("\\", "\\\\")))
        else:
            raise Unsupported(f"normalizer {kind}")
    splits: list[tuple[str, str]] = []
    byte_map = None
    for step in _steps(data.get("pre_tokenizer"), "pretokenizers"):
        kind = step.get("type")
        if byte_map is not None:
            raise Unsupported(f"pre-tokenizer {kind} after ByteLevel")
        if kind == "Split":
            behavior, invert = str(step.get("behavior")), bool(step.get("invert"))
            keep = _SPLITS.get((behavior, invert))
            if keep is None:
                raise Unsupported(f"split behaviour {behavior}")
            splits.append((_regex(step), keep))
        elif kind == "ByteLevel" and not step.get("add_prefix_space"):
            if step.get("use_regex", True):
                splits.append((ascii_regex(_BYTE_LEVEL_SPLIT).pattern, "all"))
            byte_map = _ascii_byte_map()
        else:
            raise Unsupported(f"pre-tokenizer {kind}")
    model = data.get("model") or {}
    if model.get("type") != "BPE" or model.get("dropout") or model.get("ignore_merges"):
        raise Unsupported(f"model {model.get('type')}")
    if model.get("continuing_subword_prefix"):
        raise Unsupported("a continuing-subword prefix")
    added = tuple(str(t["content"]) for t in data.get("added_tokens") or [])
    return Pipeline(tuple(normalize), tuple(splits), byte_map,
                    model.get("end_of_word_suffix") or "", added)  # fmt: skip


def reachable(data: dict, pipeline: Pipeline) -> tuple[dict[str, int], dict[str, int]]:
    """({"a b": rank}, {token: id}) of the merges and tokens ASCII text can reach."""
    model = data["model"]
    vocab: dict[str, int] = model["vocab"]
    chars = set(pipeline.byte_map.values()) if pipeline.byte_map else set(ASCII)
    tokens = chars | {c + pipeline.suffix for c in chars}
    missing = sorted(t for t in tokens if t not in vocab)
    if missing:
        raise Unsupported(f"the vocabulary lacks {missing[:3]}")
    if any(" " in t for t in tokens):
        raise Unsupported("a space inside a base token")
    ranks: dict[str, int] = {}
    ids = {t: vocab[t] for t in sorted(tokens)}  # in a fixed order: base tokens, then by rank
    for rank, merge in enumerate(model["merges"]):
        a, b = merge.split(" ") if isinstance(merge, str) else merge
        if a in ids and b in ids and f"{a} {b}" not in ranks:
            if a + b not in vocab:
                raise Unsupported(f"merge {a!r} {b!r} has no token")
            ranks[f"{a} {b}"] = rank
            ids[a + b] = vocab[a + b]
    return ranks, ids


class BpeTable:
    """Ids of ASCII text, from rank and id lookups (a SQLite table, or dicts while building).
    Thread-safe: one lock around the lookups and this table's memo of the words seen."""

    def __init__(
        self,
        pipeline: Pipeline,
        ranks: Callable[[Sequence[str]], dict[str, int]],
        ids: Callable[[Sequence[str]], dict[str, int]],
        close: Callable[[], None] = lambda: None,
    ) -> None:
        self.pipeline = pipeline
        self._ranks_of, self._ids_of = ranks, ids
        self.close = close  # lets go of the table's file (a check before it is renamed)
        self._ranks: dict[str, int | None] = {}
        self._words: dict[str, list[int]] = {}
        self._lock = threading.Lock()

    def encode(self, text: str) -> list[int] | None:
        """The ids of `text` without special tokens, or None when it is not ours (see module)."""
        pieces = self.pipeline.pieces(text)
        if pieces is None:
            return None
        with self._lock:
            return [i for piece in pieces if piece for i in self._word(piece)]

    def _word(self, piece: str) -> list[int]:
        ids = self._words.get(piece)
        if ids is None:
            ids = self._words[piece] = self._token_ids(self._merge(piece))
        return ids

    def _merge(self, piece: str) -> list[str]:
        """BPE: merge the best-ranked adjacent pair, every occurrence left to right, until no
        pair has a rank (open_clip's SimpleTokenizer.bpe; the same order as tokenizers)."""
        word = list(piece)
        word[-1] += self.pipeline.suffix
        while len(word) > 1:
            pairs = [f"{a} {b}" for a, b in itertools.pairwise(word)]
            unknown = [p for p in set(pairs) if p not in self._ranks]
            if unknown:
                found = self._ranks_of(unknown)
                self._ranks.update({p: found.get(p) for p in unknown})
            ranked = [(rank, p) for p in pairs if (rank := self._ranks[p]) is not None]
            if not ranked:
                break
            a, b = min(ranked)[1].split(" ")
            merged: list[str] = []
            i = 0
            while i < len(word):
                if i + 1 < len(word) and word[i] == a and word[i + 1] == b:
                    merged.append(a + b)
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = merged
        return word

    def _token_ids(self, tokens: list[str]) -> list[int]:
        found = self._ids_of(sorted(set(tokens)))
        return [found[t] for t in tokens]


def in_memory(pipeline: Pipeline, ranks: dict[str, int], ids: dict[str, int]) -> BpeTable:
    """A table over dicts (used to check a table before it is written)."""

    def pick(table: dict[str, int]) -> Callable[[Sequence[str]], dict[str, int]]:
        return lambda keys: {k: table[k] for k in keys if k in table}

    return BpeTable(pipeline, pick(ranks), pick(ids))


def table_path(folder: Path, tokenizer_json: Path) -> Path:
    """Where the table of this tokenizer file goes: named by its path, then size and mtime."""
    real = os.path.realpath(tokenizer_json)
    stat = os.stat(real)
    place = hashlib.sha1(real.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    version = hashlib.sha1(f"{FORMAT}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()
    return Path(folder) / f"{place}-{version[:12]}.sqlite"


def tables_of(folder: Path, tokenizer_json: Path) -> list[Path]:
    """Every table in `folder` written for the tokenizer file at this path, whatever its size
    and mtime were then (for removing a model's tables with the model)."""
    place = table_path(folder, tokenizer_json).name.split("-", 1)[0]
    return sorted(Path(folder).glob(f"{place}-*"))


def open_table(path: Path) -> BpeTable | None:
    """The table at `path`, or None when there is none or it is unreadable (logged)."""
    if not path.is_file():
        return None
    db: sqlite3.Connection | None = None
    try:
        uri = f"{path.absolute().as_uri()}?mode=ro&immutable=1"
        db = sqlite3.connect(uri, uri=True, check_same_thread=False)
        facts = dict(db.execute("SELECT name, value FROM facts"))
        if facts.get("format") != str(FORMAT) or "pipeline" not in facts:
            db.close()
            return None  # another format, or a tokenizer this module does not serve
        pipeline = Pipeline.from_json(facts["pipeline"])
    except (sqlite3.Error, KeyError, ValueError, TypeError) as exc:
        if db is not None:
            db.close()  # not left open on the damaged file (Windows could not replace it)
        log.warning("ignoring the damaged tokenizer table %s: %s", path, exc)
        return None

    def lookup(sql: str) -> Callable[[Sequence[str]], dict[str, int]]:
        def run(keys: Sequence[str]) -> dict[str, int]:
            marks = ",".join("?" * len(keys))
            return dict(db.execute(sql.format(marks), list(keys)))

        return run

    return BpeTable(
        pipeline,
        lookup("SELECT pair, rank FROM merges WHERE pair IN ({})"),
        lookup("SELECT token, id FROM tokens WHERE token IN ({})"),
        db.close,
    )


def test_strings(ids: dict[str, int], count: int = 1000, seed: int = 0) -> list[str]:
    """Deterministic ASCII strings that exercise every rule: each character, contractions in
    both cases, digits, punctuation runs, spaces, words made of the table's own tokens."""
    rng = random.Random(seed)
    chars = [chr(c) for c in range(0x20, 0x7F)]
    out = [*chars, *(a + b for a in "a'1!. " for b in "s'tT1!. "), "it's", "IT'S", "don't",
           "we'll", "I'M", "x'sy", "''s", "'re'", "a photo of a dog", "2024-12-01 10:30",
           "e-mail@example.com", "3.14159", "#1!!!", "c++ & c#", "hello   world "]  # fmt: skip
    words = [t for t in ids if len(t) > 2]
    alphabet = string.ascii_letters + string.digits + " '.,!?-&#@/:;()\"" + "     "
    while len(out) < count:
        if rng.random() < 0.5 and words:
            picked = rng.sample(words, rng.randint(1, 4))
            out.append(" ".join(w.replace("</w>", "") for w in picked))
        else:
            out.append("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 24))))
    return out


def build(
    tokenizer_json: Path,
    path: Path,
    reference: Callable[[list[str]], list[list[int]]],
) -> bool:
    """Write the table of `tokenizer_json` at `path` if its ids equal `reference`'s (the
    library's) on `test_strings`, and return True. Otherwise (the tokenizer is Unsupported, or
    differs) write a table without merges that says why, so no later run tries again."""
    data = json.loads(Path(tokenizer_json).read_text(encoding="utf-8"))
    reason = ""
    ranks: dict[str, int] = {}
    ids: dict[str, int] = {}
    pipeline: Pipeline | None = None
    try:
        pipeline = read_pipeline(data)
        ranks, ids = reachable(data, pipeline)
    except (Unsupported, KeyError, TypeError, ValueError) as exc:
        pipeline, reason = None, f"unsupported: {exc}"
    samples = [s for s in test_strings(ids) if pipeline and pipeline.pieces(s) is not None]
    if pipeline is not None and not _agrees(in_memory(pipeline, ranks, ids), samples, reference):
        pipeline, reason = None, "differs from the tokenizers library"
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f"{path.name}.tmp-{os.getpid()}-{threading.get_ident()}")
    try:
        _write(temp, pipeline, ranks, ids, reason)
        if pipeline is not None:
            written = open_table(temp)
            if written is None:
                return False
            try:
                if not _agrees(written, samples[::10], reference):
                    return False
            finally:
                written.close()  # before the rename: the file is only read through `path`
        atomicfile.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    for old in path.parent.glob(f"{path.name.split('-')[0]}-*.sqlite"):
        if old != path:
            old.unlink(missing_ok=True)  # the same file's table before it changed
    atomicfile.drop_stale_temps(path.parent, "*.sqlite.tmp-*")  # left by killed writers
    if reason:
        log.info("no ASCII tokenizer table for %s: %s", tokenizer_json, reason)
    return pipeline is not None


def _agrees(
    table: BpeTable, samples: list[str], reference: Callable[[list[str]], list[list[int]]]
) -> bool:
    for text, expected in zip(samples, reference(samples), strict=True):
        got = table.encode(text)
        if got != list(expected):
            log.warning("no ASCII tokenizer table: %r gives %s, the tokenizer %s",
                        text, got, list(expected))  # fmt: skip
            return False
    return True


def _write(
    path: Path, pipeline: Pipeline | None, ranks: dict[str, int], ids: dict[str, int], reason: str
) -> None:
    db = sqlite3.connect(path)
    try:
        db.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"  # a temp file, fsynced whole below
            "CREATE TABLE facts (name TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;"
            "CREATE TABLE merges (pair TEXT PRIMARY KEY, rank INTEGER) WITHOUT ROWID;"
            "CREATE TABLE tokens (token TEXT PRIMARY KEY, id INTEGER) WITHOUT ROWID;"
        )
        facts = {"format": str(FORMAT), "reason": reason}
        if pipeline is not None:
            facts["pipeline"] = pipeline.to_json()
            db.executemany("INSERT INTO merges VALUES (?, ?)", ranks.items())
            db.executemany("INSERT INTO tokens VALUES (?, ?)", ids.items())
        db.executemany("INSERT INTO facts VALUES (?, ?)", facts.items())
        db.commit()
    finally:
        db.close()
    atomicfile.fsync_file(path)

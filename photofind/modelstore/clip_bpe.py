"""CLIP's BPE vocabulary (bpe_simple_vocab_16e6.txt.gz) as a Hugging Face tokenizer.json.

OpenAI's CLIP, open_clip and rclip ship the BPE as a gzipped merges list; photofind's runtime
reads tokenizer.json (the `tokenizers` library, no hand-written BPE). This builds one from the
other, with the token table SimpleTokenizer derives: the 256 byte characters, the same with
the end-of-word mark, one token per merge, then start and end of text (ids 49406 and 49407).
models/export_onnx.py writes its folders' tokenizer.json with it; the rclip converter too.
"""

from __future__ import annotations

import gzip
from pathlib import Path

from photofind.clip.bpetable import bytes_to_unicode
from photofind.errors import ModelFolderError

SOT, EOT = "<start_of_text>", "<end_of_text>"
# open_clip's pattern (SimpleTokenizer.pat), in the regex dialect the tokenizers library uses.
CLIP_PATTERN = (
    r"<start_of_text>|<end_of_text>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"
)
MERGES = 49152 - 256 - 2  # the merges SimpleTokenizer keeps: 48894


def clip_bpe(
    vocab_gz: Path, sot: str = SOT, eot: str = EOT
) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """CLIP's token table and merges from the gzipped vocabulary file. Ids 49406/49407 go to
    `sot`/`eot` (open_clip and Hugging Face spell them differently)."""
    try:
        with gzip.open(vocab_gz) as stream:
            lines = stream.read().decode("utf-8").split("\n")
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise ModelFolderError(f"{vocab_gz} is not CLIP's BPE vocabulary ({exc})") from None
    pairs = [line.split() for line in lines[1 : MERGES + 1]]
    if len(pairs) != MERGES or any(len(m) != 2 for m in pairs):
        raise ModelFolderError(f"{vocab_gz} is not CLIP's BPE vocabulary (wrong merges)")
    merges = [(a, b) for a, b in pairs]
    alphabet = list(bytes_to_unicode().values())
    tokens = alphabet + [c + "</w>" for c in alphabet] + ["".join(m) for m in merges]
    tokens += [sot, eot]
    return {token: i for i, token in enumerate(tokens)}, merges


def build_tokenizer_json(vocab_gz: Path, out: Path) -> None:
    """Write CLIP's BPE from `vocab_gz` to `out` as a `tokenizers` file."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers

    vocab, merges = clip_bpe(vocab_gz)
    tokenizer = Tokenizer(
        models.BPE(vocab=vocab, merges=merges, end_of_word_suffix="</w>", unk_token=None)
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(CLIP_PATTERN), behavior="isolated", invert=False),
            pre_tokenizers.Split(Regex(r"\s+"), behavior="removed"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tokenizer.decoder = decoders.BPEDecoder(suffix="</w>")
    tokenizer.add_special_tokens([AddedToken(SOT, special=True), AddedToken(EOT, special=True)])
    tokenizer.save(str(out))

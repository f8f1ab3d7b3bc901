"""Record open_clip's own token ids for photofind's small SentencePiece tokenizers.

    python models/record_hf_tokenizer_cases.py --out tests/fixtures/sentencepiece/cases.json

Dev tool (needs open_clip_torch and transformers): builds each tokenizer of
photofind.testing.sentencepiece, loads it the way open_clip loads SigLIP 2's and XLM-R's
(`open_clip.tokenizer.HFTokenizer(folder, context_length, clean=...)`, which goes through
transformers' AutoTokenizer), and writes its ids for every case. tests/core/test_sentencepiece.py
builds the same files and requires photofind's tokenizer to give these ids, so the suite needs
neither torch nor transformers.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import open_clip
import transformers
from open_clip.tokenizer import HFTokenizer

from photofind.testing import sentencepiece


def record() -> dict:
    out: dict = {
        "made_by": "models/record_hf_tokenizer_cases.py",
        "open_clip": open_clip.__version__,
        "transformers": transformers.__version__,
        "cases": sentencepiece.CASES,
        "shapes": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        for shape, build in sentencepiece.BUILDERS.items():
            folder = build(Path(tmp) / shape)
            facts = sentencepiece.SHAPES[shape]
            tokenizer = HFTokenizer(
                str(folder), context_length=facts["context_length"], clean=facts["clean"]
            )
            ids = tokenizer(sentencepiece.CASES).tolist()
            out["shapes"][shape] = {**facts, "ids": ids}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    data = record()
    args.out.write_text(json.dumps(data, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out}: {len(data['cases'])} cases x {len(data['shapes'])} tokenizers")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Write a photofind export in rclip's published layout (yurijmikhalevich/rclip-models).

    python models/rclip_layout.py --from tests/fixtures/tiny-clip --float16 \
        --out tests/fixtures/tiny-clip-rclip

Dev tool (needs `onnx` and open_clip, the `export` extra): the graphs of a folder written by
models/export_onnx.py are edited, not re-exported, into what rclip's scripts/convert_model.py
publishes: both inputs renamed `input` and outputs `output`, the text input fixed to
[batch, context_length], optionally a float16 image input (which rclip's runtime accepts); the
weights are untouched, so photofind's converter (photofind/modelstore/rclip.py) must give the
original folder's vectors back. CLIP's BPE vocabulary is copied from open_clip under
`tokenizer/`, and the licence files rclip puts at the repository root are written beside it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import onnx
from onnx import TensorProto, helper

LEGAL_TEXT = {
    "LICENSE": "MIT License (the weights of the model this folder was made from).\n",
    "OPENAI-CLIP-MIT.txt": "MIT License, Copyright (c) 2021 OpenAI (CLIP's BPE vocabulary).\n",
    "README.md": "# rclip-layout test fixture\n\nSee tests/fixtures/tiny-clip-rclip/NOTES.md.\n",
    "THIRD_PARTY_NOTICES.md": "CLIP BPE vocabulary: OpenAI CLIP via open_clip (MIT).\n",
}


def _rename(graph: onnx.GraphProto, old: str, new: str) -> None:
    for node in graph.node:
        node.input[:] = [new if n == old else n for n in node.input]
        node.output[:] = [new if n == old else n for n in node.output]
    for value in (*graph.input, *graph.output):
        if value.name == old:
            value.name = new


def rclip_graph(src: Path, dst: Path, *, length: int | None, float16: bool) -> None:
    """rclip's names (and shapes) on an export's graph; weights unchanged."""
    model = onnx.load(str(src))
    graph = model.graph
    _rename(graph, graph.input[0].name, "input")
    _rename(graph, graph.output[0].name, "output")
    dims = graph.input[0].type.tensor_type.shape.dim
    if length is not None:
        dims[1].ClearField("dim_param")
        dims[1].dim_value = length
    if float16:
        # A Cast in front: the graph takes half precision, as some of rclip's exports do.
        _rename(graph, "input", "input_float32")
        graph.input[0].name = "input"
        graph.input[0].type.tensor_type.elem_type = TensorProto.FLOAT16
        graph.node.insert(
            0, helper.make_node("Cast", ["input"], ["input_float32"], to=TensorProto.FLOAT)
        )
    onnx.checker.check_model(model)
    onnx.save(model, str(dst))


def write_layout(export: Path, out: Path, *, float16: bool = False) -> Path:
    import open_clip  # only for its copy of the vocabulary

    manifest = json.loads((export / "manifest.json").read_text())
    sub = out / f"{manifest['arch']}-{manifest['pretrained'] or 'none'}"
    sub.mkdir(parents=True, exist_ok=True)
    rclip_graph(export / "visual.onnx", sub / "visual.onnx", length=None, float16=float16)
    rclip_graph(
        export / "textual.onnx",
        sub / "textual.onnx",
        length=int(manifest["context_length"]),
        float16=False,
    )
    (out / "tokenizer").mkdir(exist_ok=True)
    shutil.copyfile(
        open_clip.tokenizer.default_bpe(), out / "tokenizer" / "bpe_simple_vocab_16e6.txt.gz"
    )
    for name, text in LEGAL_TEXT.items():
        (out / name).write_text(text, encoding="utf-8")
    return sub


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--from", dest="export", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--float16", action="store_true", help="half-precision image input")
    args = parser.parse_args(argv)
    sub = write_layout(args.export, args.out, float16=args.float16)
    size = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(f"wrote {sub} ({size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`photofind model build ARCH TAG`: export an open_clip model on this machine and install it.

For models nobody publishes as ONNX (MobileCLIP2, fine-tuned checkpoints): open_clip fetches
the weights (or reads a local checkpoint file), models/export_onnx.py exports and checks both
graphs against PyTorch, and the model store installs the folder like any other. The export
runs as a subprocess: torch's memory goes back when it ends, and its failure is one line
here. Needs the `export` extra (torch, open_clip_torch, onnx) and the exporter beside the
package (a source checkout or an editable install).
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
from pathlib import Path

import photofind
from photofind.cli.output import say
from photofind.errors import ModelError

EXPORT_PACKAGES = ("torch", "open_clip", "onnx")
CHECKPOINT_SUFFIXES = (".bin", ".safetensors", ".pt", ".pth", ".ckpt")  # as export_onnx.py
MISSING = (
    "photofind model build needs the 'export' extra (torch, open_clip_torch, onnx): "
    "pip install 'photofind[export]'"
)


def add_build_command(actions: argparse._SubParsersAction, parents: list) -> None:
    p = actions.add_parser(
        "build", parents=parents, help="export an open_clip model here (needs photofind[export])"
    )
    p.add_argument("arch", metavar="ARCH", help="open_clip architecture, e.g. MobileCLIP2-S0")
    p.add_argument(
        "pretrained", metavar="TAG", help="open_clip pretrained tag, or a checkpoint file"
    )
    p.add_argument("--name", help="model name (default: ARCH__TAG)")
    p.add_argument("--license", default="", help="licence of the weights, for the manifest")
    p.add_argument("--int8", action="store_true", help="also write the faster int8 graphs")
    p.add_argument("--model-config", type=Path, help="open_clip config JSON for a new ARCH")
    p.set_defaults(run=cmd_build)


def missing_packages() -> list[str]:
    """The export extra's packages this Python cannot import (checked without importing)."""
    missing = []
    for name in EXPORT_PACKAGES:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):  # a module set to None in sys.modules
            found = False
        if not found:
            missing.append(name)
    return missing


def exporter() -> Path:
    script = Path(photofind.__file__).resolve().parent.parent / "models" / "export_onnx.py"
    if not script.is_file():
        raise ModelError(
            "photofind model build needs models/export_onnx.py from photofind's source "
            "(an install from a checkout: pip install -e '.[export]')"
        )
    return script


def cmd_build(args: argparse.Namespace) -> int:
    from photofind.cli.model_commands import _store

    tag = args.pretrained
    checkpoint = Path(tag).expanduser()
    is_file = checkpoint.suffix.lower() in CHECKPOINT_SUFFIXES or "/" in tag or "\\" in tag
    if is_file and not checkpoint.is_file():
        raise ModelError(f"no checkpoint file {checkpoint}")
    if missing_packages():
        raise ModelError(MISSING)
    script = exporter()
    if is_file:
        tag = str(checkpoint.resolve())
    name = args.name or f"{args.arch}__{checkpoint.stem if is_file else tag}"
    command = [sys.executable, str(script), "--arch", args.arch, "--pretrained", tag,
               "--name", name, "--license", args.license]  # fmt: skip
    if args.int8:
        command.append("--int8")
    if args.model_config is not None:
        command += ["--model-config", str(args.model_config.expanduser().resolve())]

    def fill(work: Path) -> None:
        out = work / "export"
        say(sys.stderr, f"exporting {args.arch} ({args.pretrained}) with open_clip…")
        done = subprocess.run(
            [*command, "--out", str(out)], stdout=sys.stderr, stderr=subprocess.PIPE, text=True
        )
        if done.returncode != 0:
            lines = [line for line in done.stderr.splitlines() if line.strip()]
            last = lines[-1] if lines else f"exit status {done.returncode}"
            raise ModelError(
                f"the export of {args.arch} failed: {last.removeprefix('export_onnx: ')}"
            )
        for item in out.iterdir():
            item.rename(work / item.name)
        out.rmdir()

    _store(args).install_from(fill, name)
    say(sys.stdout, f"built and installed {name}")
    return 0

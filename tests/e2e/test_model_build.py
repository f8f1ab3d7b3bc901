"""`photofind model build` as a person meets it without torch: one line naming what is missing.

The build itself needs torch and open_clip, which CI does not install (a CPU torch from PyPI
drags gigabytes of CUDA libraries); it is tested by the dev check models/test_export_checkpoint.py
(`python -m pytest models` in a venv with `.[export]`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.test_cli import ROOT, assert_one_line_error, run

# The console script's main() in a Python where the export extra cannot be imported (the
# modules are blocked, so the test means the same with or without torch installed).
WITHOUT_EXTRA = (
    "import sys\n"
    "for name in ('torch', 'open_clip', 'onnx'): sys.modules[name] = None\n"
    "from photofind.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def _without_extra(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", WITHOUT_EXTRA, *args], capture_output=True,
                          text=True, env=env, timeout=120)  # fmt: skip


def test_without_the_export_extra_the_message_names_it(tmp_path: Path) -> None:
    done = _without_extra(
        "--library", str(tmp_path / "lib"), "model", "build", "ViT-B-32", "openai"
    )
    assert_one_line_error(done, "photofind[export]", "model build")
    listed = run("model", "list", library=tmp_path / "lib")
    assert "installed: none" in listed.stdout


def test_a_missing_checkpoint_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "finetuned.safetensors"
    done = run("model", "build", "ViT-B-32", str(missing), library=tmp_path / "lib", check=False)
    assert_one_line_error(done, "no checkpoint file", str(missing))


def test_build_is_listed_in_the_model_help() -> None:
    assert "build" in run("model", "--help").stdout

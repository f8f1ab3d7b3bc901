"""Dev check (needs `.[export]`: torch, open_clip_torch, onnx): local checkpoints build.

    python -m pytest models -q

Not in the default suite (testpaths = tests): CI installs no torch (see tests/e2e/
test_model_build.py). A small open_clip model with random weights is saved as a fine-tuned
checkpoint would be (.pt state dict, .safetensors), built with `photofind model build ARCH
PATH` as a subprocess, and the installed folder must give open_clip's own vectors for that
checkpoint: the file's weights, not a fresh random init, went into the graphs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import open_clip
import pytest
import torch
from safetensors.torch import save_file

from photofind.clip.model import ClipModel
from photofind.testing.synthetic import make_photo

ROOT = Path(__file__).resolve().parent.parent
CONFIG = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "patch_size": 8, "head_width": 16},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}
TEXTS = ["a photo of a red circle", "ein roter Kreis", "", "two blue squares " * 10]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> tuple[Path, torch.nn.Module]:
    folder = tmp_path_factory.mktemp("finetuned")
    config = folder / "tiny-vit-test.json"
    config.write_text(json.dumps(CONFIG))
    open_clip.add_model_config(config)
    torch.manual_seed(1234)
    model = open_clip.create_model("tiny-vit-test").eval()
    torch.save(model.state_dict(), folder / "finetuned.pt")
    save_file(model.state_dict(), str(folder / "finetuned.safetensors"))
    return config, model


@pytest.mark.parametrize("suffix", [".pt", ".safetensors"])
def test_a_checkpoint_builds_into_a_model_with_its_weights(checkpoint, suffix, tmp_path):
    config, reference = checkpoint
    weights = config.parent / f"finetuned{suffix}"
    library = tmp_path / "lib"
    done = subprocess.run(
        [sys.executable, "-m", "photofind", "--library", str(library), "model", "build",
         "tiny-vit-test", str(weights), "--model-config", str(config)],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "built and installed tiny-vit-test__finetuned" in done.stdout
    model = ClipModel.load(library / "models" / "tiny-vit-test__finetuned")
    assert model.manifest.pretrained == "finetuned"
    photo = make_photo(tmp_path / "red.png", "red", "circle", size=(64, 48))
    pixels = model.image.preprocess_path(photo, draft=False)
    ours_image = model.image.encode_pixels(pixels[None])
    ours_text = model.text.encode_texts(TEXTS)
    tokenizer = open_clip.get_tokenizer("tiny-vit-test")
    with torch.no_grad():
        theirs_image = reference.encode_image(torch.from_numpy(pixels[None]), normalize=True)
        theirs_text = reference.encode_text(tokenizer(TEXTS), normalize=True)
    assert (ours_image * theirs_image.numpy()).sum(1).min() > 0.9999
    assert (ours_text * theirs_text.numpy()).sum(1).min() > 0.9999
    # A fresh random model of the same architecture is far from it: the file's weights count.
    other = open_clip.create_model("tiny-vit-test").eval()
    with torch.no_grad():
        random_text = other.encode_text(tokenizer(TEXTS), normalize=True).numpy()
    assert (ours_text * random_text).sum(1).min() < 0.99


def test_a_file_that_is_no_checkpoint_is_one_line(checkpoint, tmp_path):
    config, _ = checkpoint
    junk = tmp_path / "broken.safetensors"
    junk.write_bytes(b"not weights")
    done = subprocess.run(
        [sys.executable, "-m", "photofind", "--library", str(tmp_path / "lib"), "model", "build",
         "tiny-vit-test", str(junk), "--model-config", str(config)],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=600,
    )  # fmt: skip
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith("photofind: the export of tiny-vit-test failed: cannot load")
    assert not (tmp_path / "lib" / "models" / "tiny-vit-test__broken").exists()

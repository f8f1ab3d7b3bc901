"""A model whose mapped weights file was cut short, through the `photofind` command: search
says which file is damaged, `status` says so too (it is where a person looks next), nothing in
the library is lost, and importing the model again repairs it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from library_journey import make_photos, photofind


def test_status_names_the_damaged_weights_file_search_fails_on(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    source, library, photos = tmp_path / "tiny", tmp_path / "lib", tmp_path / "photos"
    shutil.copytree(tiny_model_dir, source)
    make_photos(photos, 6)
    photofind(library, "model", "import", str(source))
    photofind(library, "folders", "add", str(photos))
    photofind(library, "index")
    status = json.loads(photofind(library, "status", "--json").stdout)
    assert status["model"]["problem"] is None, status["model"]
    weights = next(Path(status["model"]["folder"]).glob("textual.onnx.data"))
    with weights.open("r+b") as f:  # a half-written file, as a full disk or a kill leaves it
        f.truncate(weights.stat().st_size // 2)

    failed = photofind(library, "search", "a red circle", check=False)
    assert failed.returncode == 1 and "textual.onnx.data" in failed.stderr, failed.stderr
    assert "photofind model import" in failed.stderr  # what to do about it, on the same line
    assert len(failed.stderr.strip().splitlines()) == 1, failed.stderr
    status = json.loads(photofind(library, "status", "--json").stdout)
    assert "textual.onnx.data" in (status["model"]["problem"] or ""), status["model"]
    assert status["model"]["name"] == "tiny-clip"
    assert status["counts"]["ok"] == 6  # the library keeps every photo
    human = photofind(library, "status").stdout
    assert "PROBLEM" in human and "textual.onnx.data" in human, human

    photofind(library, "model", "import", str(source))
    status = json.loads(photofind(library, "status", "--json").stdout)
    assert status["model"]["problem"] is None, status["model"]
    found = photofind(library, "search", "a red circle", "--json")
    assert json.loads(found.stdout)["hits"]

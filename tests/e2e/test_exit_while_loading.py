"""A command that ends while a model session is still opening in the background exits cleanly.

`photofind index` starts opening the image graph beside the folder scan; with nothing to
index it is done before ONNX Runtime is. A daemon loader thread was then killed inside ONNX
Runtime at interpreter exit ("terminate called without an active exception", SIGABRT) in
about one run of three. Looped, because it is a race.
"""

from __future__ import annotations

from pathlib import Path

from library_journey import photofind


def test_index_with_nothing_to_do_exits_zero_every_time(tmp_path: Path, tiny_model_dir: Path):
    library, photos = tmp_path / "lib", tmp_path / "photos"
    photos.mkdir()
    photofind(library, "folders", "add", str(photos))
    for _ in range(12):
        done = photofind(library, "index", model=tiny_model_dir, check=False)
        assert done.returncode == 0, done.stderr
        assert "terminate called" not in done.stderr

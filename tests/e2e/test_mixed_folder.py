"""Every format a person's photo folder holds, through the `photofind` command: JPEG, PNG,
WebP, HEIC, AVIF and camera RAW are indexed; a RAW+JPEG pair counts once; the rest is
counted in `status` as skipped for its type; a broken file is one error, named in the log."""

from __future__ import annotations

import json
from pathlib import Path

import pillow_heif
from library_journey import photofind
from PIL import Image

from photofind.library.home import LibraryPaths
from photofind.testing.dng import make_dng
from photofind.testing.synthetic import make_photo


def test_a_mixed_folder_indexes_every_photo_format(tmp_path: Path, tiny_model_dir: Path) -> None:
    photos, library = tmp_path / "photos", tmp_path / "lib"
    for n, suffix in enumerate((".jpg", ".png", ".webp", ".avif")):
        make_photo(photos / f"shape{n}{suffix}", "red", "circle", seed=n, fmt=suffix[1:].upper())
    make_photo(photos / "base.png", "blue", "square", seed=9)
    pillow_heif.register_heif_opener()
    Image.open(photos / "base.png").save(photos / "iphone.heic", quality=80)
    make_dng(photos / "IMG_0001.dng", Image.open(photos / "base.png"))
    make_dng(photos / "IMG_0002.DNG", Image.open(photos / "base.png"))
    Image.open(photos / "base.png").convert("RGB").save(photos / "IMG_0002.JPG")
    (photos / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 cut short")
    (photos / "movie.mov").write_bytes(b"\x00" * 100)
    (photos / "notes.txt").write_text("not a photo")

    photofind(library, "folders", "add", str(photos), model=tiny_model_dir)
    done = photofind(library, "index", model=tiny_model_dir)
    assert "Traceback" not in done.stderr
    status = json.loads(photofind(library, "status", "--json", model=tiny_model_dir).stdout)
    # 4 shapes + base.png + HEIC + IMG_0001.dng + IMG_0002.JPG; IMG_0002.DNG is its twin.
    assert status["counts"]["ok"] == 8, status
    assert [Path(e["path"]).name for e in status["errors"]] == ["broken.jpg"]
    assert status["skipped"] == {".mov": 1, ".txt": 1, "raw+jpeg": 1}
    human = photofind(library, "status", model=tiny_model_dir).stdout
    assert "skipped: 3 files not read for their type" in human, human
    log = LibraryPaths.at(library).log_file.read_text("utf-8")
    assert "broken.jpg" in log and "IMG_0001" not in log

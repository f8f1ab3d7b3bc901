"""Every format photofind advertises decodes, in the wheel's default install and the CLI.

The desktop entry offers "Open with photofind" for these MIME types, so each one must read
with the default dependencies alone (no `[heic]` extra): HEIC/HEIF through pillow-heif, AVIF
through Pillow's own plugin, camera RAW through rawpy (a DNG under every RAW suffix: LibRaw
tells makes apart by content), the rest through Pillow.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from photofind.clip import images
from photofind.clip.formats import FORMATS, IMAGE_SUFFIXES
from photofind.clip.images import decodable_mime_types, open_image
from photofind.errors import ImageLoadError
from photofind.testing.dng import make_dng
from photofind.testing.synthetic import make_photo

ROOT = Path(__file__).resolve().parents[2]
SHAPES = [("red", "circle"), ("blue", "square"), ("green", "triangle"), ("yellow", "star")]


def write(path: Path, colour: str = "blue", shape: str = "square", seed: int = 0) -> Path:
    """A test photo in the format its suffix names (pillow-heif writes HEIC, Pillow AVIF)."""
    kind = next(k for k, suffixes, _ in FORMATS if path.suffix in suffixes)
    assert images.can_decode(kind), f"this environment cannot handle {kind}"
    if kind == "RAW":  # the picture as the camera's embedded preview
        picture = make_photo(path.with_suffix(".png"), colour, shape, seed=seed)
        return make_dng(path, Image.open(picture))
    return make_photo(path, colour, shape, fmt=kind, seed=seed)


@pytest.mark.parametrize("suffix", sorted(IMAGE_SUFFIXES))
def test_every_advertised_suffix_decodes_to_upright_rgb(tmp_path, suffix):
    path = write(tmp_path / f"photo{suffix}")
    out = open_image(path)
    assert out.mode == "RGB" and out.size == (640, 480)
    r, _, b = out.getpixel((320, 240))
    assert b > 150 and r < 100, "the blue square is not where it was drawn"


def test_avif_is_read_by_pillows_own_plugin(tmp_path):
    path = write(tmp_path / "photo.avif")
    with Image.open(path) as img:
        assert img.format == "AVIF"
        assert type(img).__module__ == "PIL.AvifImagePlugin"


def test_heic_is_read_through_pillow_heif(tmp_path):
    path = write(tmp_path / "IMG_0001.heic")
    with Image.open(path) as img:
        assert type(img).__module__.startswith("pillow_heif")


def test_the_desktop_entry_offers_exactly_what_this_build_decodes():
    desktop = ROOT / "photofind" / "assets" / "linux" / "io.github.photofind.Photofind.desktop"
    line = next(x for x in desktop.read_text("utf-8").splitlines() if x.startswith("MimeType="))
    offered = tuple(m for m in line.removeprefix("MimeType=").split(";") if m)
    assert offered == decodable_mime_types()
    assert {"image/heic", "image/heif", "image/avif", "image/webp"} <= set(offered)


def test_a_missing_decoder_in_the_bundle_never_says_pip(tmp_path, monkeypatch):
    path = tmp_path / "IMG_0001.HEIC"
    path.write_bytes(b"\x00\x00\x00\x18ftypheic")
    monkeypatch.setattr(images, "_register_heif", lambda: False)
    with pytest.raises(ImageLoadError, match="pip install") as plain:
        open_image(path)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    with pytest.raises(ImageLoadError) as frozen:
        open_image(path)
    assert "pip" not in str(frozen.value) and "cannot read HEIC" in str(frozen.value)
    assert str(plain.value).count("\n") == 0


def test_the_cli_indexes_and_finds_one_photo_of_each_format(tmp_path, tiny_model_dir):
    photos = tmp_path / "photos"
    kinds = [".heic", ".avif", ".jpg", ".png", ".webp", ".gif", ".bmp", ".tiff"]
    for n, suffix in enumerate(kinds):
        colour, shape = SHAPES[n % len(SHAPES)]
        write(photos / f"{colour}-{shape}-{n}{suffix}", colour, shape, seed=n)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cli = [sys.executable, "-m", "photofind", "--library", str(tmp_path / "lib"),
           "--model", str(tiny_model_dir)]  # fmt: skip
    for args in (["folders", "add", str(photos)], ["index"]):
        done = subprocess.run([*cli, *args], capture_output=True, text=True, env=env, timeout=240)
        assert done.returncode == 0, done.stderr
    assert f"indexed {len(kinds)} photos" in done.stdout, done.stdout
    assert "could not be read" not in done.stdout
    done = subprocess.run([*cli, "search", "a photo of a blue square", "-k", "2"],
                          capture_output=True, text=True, env=env, timeout=240)  # fmt: skip
    assert {"blue-square-1.avif", "blue-square-5.gif"} == {
        Path(line.split()[-1]).name for line in done.stdout.splitlines() if line.strip()
    }, done.stdout


def test_a_build_without_a_decoder_neither_offers_nor_claims_it(tmp_path, monkeypatch):
    """The desktop entry follows the decoders: no pillow-heif, no HEIC; no libavif, no AVIF."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("pf_metadata", ROOT / "packaging" / "metadata.py")
    metadata = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(metadata)
    monkeypatch.setattr(images, "_register_heif", lambda: False)
    real_check = images.features.check
    monkeypatch.setattr(images.features, "check", lambda f: f != "avif" and real_check(f))
    line = next(x for x in metadata.desktop_entry().splitlines() if x.startswith("MimeType="))
    assert "image/jpeg" in line and "heic" not in line and "avif" not in line
    path = tmp_path / "photo.avif"
    path.write_bytes(b"\x00\x00\x00\x1cftypavif")
    with pytest.raises(ImageLoadError, match="AVIF needs Pillow"):
        open_image(path)

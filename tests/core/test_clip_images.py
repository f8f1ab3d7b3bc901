"""Photo decoding: every oddity a real library holds gives RGB or one clear error."""

from __future__ import annotations

import io
import random
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from photofind.clip import images
from photofind.clip.images import Preprocessor, open_image, to_rgb
from photofind.errors import ImageLoadError


def _save(img: Image.Image, path: Path, **kw) -> Path:
    img.save(path, **kw)
    return path


def test_exif_orientation_is_applied(tmp_path):
    img = Image.new("RGB", (60, 30), "red")
    img.paste((0, 0, 255), (0, 0, 30, 30))  # left half blue
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise for display
    path = _save(img, tmp_path / "rot.jpg", exif=exif, quality=95)
    out = open_image(path)
    assert out.size == (30, 60)
    top = np.asarray(out)[5, 15]
    assert top[2] > 150 and top[0] < 100, "the blue half must end up on top"


def test_jpeg_draft_never_goes_below_the_requested_size(tmp_path):
    path = _save(Image.new("RGB", (4000, 3000), "green"), tmp_path / "big.jpg")
    out = open_image(path, min_size=512)
    assert min(out.size) >= 512
    assert out.size[0] < 4000, "draft mode should have decoded at reduced scale"
    assert open_image(path).size == (4000, 3000)


@pytest.mark.parametrize(
    ("mode", "color"),
    [("RGBA", (255, 0, 0, 0)), ("LA", (0, 0)), ("CMYK", (0, 255, 255, 0)), ("L", 128),
     ("1", 1), ("P", 3)],
)  # fmt: skip
def test_every_mode_becomes_rgb(tmp_path, mode, color):
    img = Image.new(mode, (20, 20), color)
    suffix = ".jpg" if mode == "CMYK" else ".png"
    out = open_image(_save(img, tmp_path / f"x{suffix}"))
    assert out.mode == "RGB"
    if mode in ("RGBA", "LA"):
        assert np.asarray(out)[0, 0].tolist() == [255, 255, 255], "transparent over white"


@pytest.mark.parametrize("mode", ["RGBA", "LA"])
def test_one_see_through_pixel_is_enough_to_composite(tmp_path, mode):
    """Opaque images skip the compositing (an animated WebP's frames are RGBA): the check
    must look at every pixel's alpha, the lowest included."""
    rng = np.random.default_rng(3)
    channels = 4 if mode == "RGBA" else 2
    pixels = rng.integers(0, 200, (30, 40, channels), dtype=np.uint8)
    pixels[..., -1] = 255
    opaque = Image.fromarray(pixels, mode)
    assert np.array_equal(np.asarray(to_rgb(opaque)), np.asarray(opaque.convert("RGB")))
    pixels[7, 9, -1] = 0
    out = np.asarray(open_image(_save(Image.fromarray(pixels, mode), tmp_path / "a.png")))
    assert out[7, 9].tolist() == [255, 255, 255], "the see-through pixel goes white"
    assert np.array_equal(out[0, 0], np.asarray(opaque.convert("RGB"))[0, 0]), "the rest stays"


def test_palette_transparency_composites_over_white(tmp_path):
    img = Image.new("P", (10, 10), 0)
    img.putpalette([0, 0, 0] * 256)
    img.info["transparency"] = 0
    out = open_image(_save(img, tmp_path / "p.png", transparency=0))
    assert np.asarray(out)[0, 0].tolist() == [255, 255, 255]


def test_sixteen_bit_greyscale_is_scaled_not_clipped(tmp_path):
    data = np.full((8, 8), 40000, dtype=np.uint16)
    img = Image.fromarray(data)
    assert img.mode.startswith("I")
    out = open_image(_save(img, tmp_path / "deep.png"))
    value = np.asarray(out)[0, 0, 0]
    assert 150 <= value <= 160, value  # 40000 / 65535 * 255 = 155.6


def test_float_image_in_unit_range():
    img = Image.fromarray(np.full((4, 4), 0.5, dtype=np.float32), "F")
    assert 120 <= np.asarray(to_rgb(img))[0, 0, 0] <= 130


def test_zero_byte_file(tmp_path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    with pytest.raises(ImageLoadError, match="empty file"):
        open_image(path)


def test_not_an_image(tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_text("these are my holiday notes")
    with pytest.raises(ImageLoadError, match="not an image"):
        open_image(path)


def test_truncated_jpeg(tmp_path):
    buf = io.BytesIO()
    noise = np.random.default_rng(0).integers(0, 255, (400, 400, 3), dtype=np.uint8)
    Image.fromarray(noise).save(buf, "JPEG", quality=90)
    path = tmp_path / "cut.jpg"
    path.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    with pytest.raises(ImageLoadError, match=r"cut\.jpg: truncated"):
        open_image(path)


def test_mislabelled_suffix_is_read_by_content(tmp_path):
    path = _save(Image.new("RGB", (20, 10), "blue"), tmp_path / "really_a_png.jpg", format="PNG")
    assert open_image(path).size == (20, 10)


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def test_decompression_bomb_is_refused_before_decoding(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_header_only(100_000, 100_000))
    with pytest.raises(ImageLoadError, match="too many pixels"):
        open_image(path)


def test_pixel_limit_applies_after_draft(tmp_path, monkeypatch):
    path = _save(Image.new("RGB", (2000, 1000), "white"), tmp_path / "wide.jpg")
    monkeypatch.setattr(images, "MAX_PIXELS", 1_000_000)
    with pytest.raises(ImageLoadError, match="too many pixels"):
        open_image(path)
    assert open_image(path, min_size=200).size[1] >= 200  # draft brings it under the limit


def test_heic_without_pillow_heif_says_what_to_install(tmp_path, monkeypatch):
    path = tmp_path / "IMG_0001.HEIC"
    path.write_bytes(b"\x00\x00\x00\x18ftypheic")
    monkeypatch.setattr(images, "_register_heif", lambda: False)
    with pytest.raises(ImageLoadError, match="pillow-heif"):
        open_image(path)


def test_heic_round_trip_when_pillow_heif_is_installed(tmp_path):
    pillow_heif = pytest.importorskip("pillow_heif")
    if not pillow_heif.libheif_info().get("HEIF", True):
        pytest.skip("this libheif cannot encode HEIC")
    pillow_heif.register_heif_opener()
    path = _save(Image.new("RGB", (64, 48), "red"), tmp_path / "photo.heic")
    out = open_image(path)
    assert out.size == (64, 48) and out.mode == "RGB"


def _reference_resize(img: Image.Image, size: int) -> Image.Image:
    """torchvision's Resize(int) + CenterCrop, written out independently."""
    w, h = img.size
    scale = size / min(w, h)
    new = (size, int(h * scale)) if w <= h else (int(w * scale), size)
    img = img.resize(new, Image.Resampling.BICUBIC)
    left, top = round((new[0] - size) / 2), round((new[1] - size) / 2)
    return img.crop((left, top, left + size, top + size))


@pytest.mark.parametrize("shape", [(300, 200), (200, 300), (64, 64), (101, 77)])
def test_shortest_side_resize_and_centre_crop(shape):
    rng = np.random.default_rng(1)
    img = Image.fromarray(rng.integers(0, 255, (shape[1], shape[0], 3), dtype=np.uint8))
    pre = Preprocessor((64, 64), "shortest", "bicubic", (0.5, 0.5, 0.5), (0.25, 0.25, 0.25))
    out = pre(img)
    assert out.shape == (3, 64, 64) and out.dtype == np.float32
    expected = (np.asarray(_reference_resize(img, 64), np.float32) / 255 - 0.5) / 0.25
    np.testing.assert_allclose(out, expected.transpose(2, 0, 1), atol=1e-5)


def test_squash_resize_keeps_everything_in_frame():
    img = Image.new("RGB", (300, 100), "red")
    img.paste((0, 0, 255), (0, 0, 30, 100))
    out = Preprocessor((32, 32), "squash", "bilinear", (0, 0, 0), (1, 1, 1))(img)
    assert out[2, 16, 0] > 0.9, "the blue strip at the left edge must survive"


@pytest.mark.parametrize("suffix", [".png", ".webp"])
def test_large_non_jpeg_is_reduced_without_changing_what_the_model_sees(
    tmp_path, tiny_model_dir, suffix, monkeypatch
):
    """A big PNG or WebP is box-reduced inside the resize (JPEGs have draft mode), and the
    vector stays the full decode's."""
    from photofind.clip import ClipModel
    from photofind.testing.synthetic import draw, random_scene

    path = tmp_path / f"big{suffix}"
    draw(random_scene(random.Random(7)), (1200, 900)).save(path)
    model = ClipModel.load(tiny_model_dir)
    reduces = []
    real_reduce = Image.Image.reduce

    def reduce(self, factor, box=None):
        reduces.append(min(factor) if isinstance(factor, tuple) else factor)
        return real_reduce(self, factor, box)

    monkeypatch.setattr(Image.Image, "reduce", reduce)
    drafted = model.image.preprocess_path(path)
    assert reduces and min(reduces) >= 2, "the large image was resampled whole"
    full = model.image.preprocess_path(path, draft=False)
    assert np.abs(drafted - full).mean() < 0.01
    vectors = model.image.encode_pixels(np.stack([drafted, full]))
    # the box step keeps the exact source box: 0.999995 (a plain reduce() first gave 0.99985)
    assert float(vectors[0] @ vectors[1]) >= 0.9999

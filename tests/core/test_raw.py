"""Camera RAW files: the embedded JPEG preview when large enough, else a half-size demosaic;
a RAW with its JPEG twin beside it is left out of the library, and AVIF reads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from photofind.clip.images import can_decode, decodable_mime_types, open_image
from photofind.errors import ImageLoadError
from photofind.library.home import LibraryPaths
from photofind.library.library import Library
from photofind.testing.dng import make_dng


def halves(size: tuple[int, int]) -> Image.Image:
    """Left half red, right half blue: shows which way a picture was turned."""
    img = Image.new("RGB", size, (220, 20, 20))
    img.paste((20, 20, 220), (size[0] // 2, 0, size[0], size[1]))
    return img


def test_rawpy_is_installed_and_raw_is_advertised() -> None:
    assert can_decode("RAW")
    assert "image/x-adobe-dng" in decodable_mime_types()


def test_a_large_enough_preview_is_used_as_the_camera_rendered_it(tmp_path: Path) -> None:
    path = make_dng(tmp_path / "IMG_0001.DNG", halves((400, 300)))
    out = open_image(path, min_size=224)
    assert out.mode == "RGB" and out.size == (400, 300)  # the preview, not the 96x64 sensor
    left, right = np.asarray(out)[150, 50], np.asarray(out)[150, 350]
    assert left[0] > 150 > left[2] and right[2] > 150 > right[0]


def test_the_preview_is_turned_as_the_camera_recorded(tmp_path: Path) -> None:
    path = make_dng(tmp_path / "tall.dng", halves((400, 300)), orientation=6)
    out = open_image(path, min_size=224)
    assert out.size == (300, 400)
    top, bottom = np.asarray(out)[50, 150], np.asarray(out)[350, 150]
    assert top[0] > 150 > top[2], "90 degrees clockwise: the red left half ends up on top"
    assert bottom[2] > 150 > bottom[0]


def test_a_small_preview_gives_way_to_a_half_size_demosaic(tmp_path: Path) -> None:
    small = make_dng(tmp_path / "small.dng", halves((120, 90)), raw_size=(600, 400))
    assert open_image(small, min_size=224).size == (300, 200)  # the sensor at half size
    assert open_image(small, min_size=64).size == (120, 90)  # enough for what is asked
    bitmap = make_dng(tmp_path / "bitmap.dng", None, raw_size=(200, 100))
    assert open_image(bitmap).size == (100, 50)
    # Without a size asked, the preview stands in when the demosaic would be no larger.
    assert open_image(make_dng(tmp_path / "p.dng", halves((400, 300)))).size == (400, 300)


def test_a_large_preview_is_decoded_at_a_reduced_scale(tmp_path: Path) -> None:
    path = make_dng(tmp_path / "big.dng", halves((4000, 3000)), raw_size=(400, 300))
    out = open_image(path, min_size=256)
    assert 256 <= min(out.size) < 3000


@pytest.mark.parametrize("content", [b"", b"II*\x00 not a raw file at all", b"\x00" * 4096])
def test_a_broken_raw_is_one_clear_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.cr2"
    path.write_bytes(content)
    with pytest.raises(ImageLoadError) as caught:
        open_image(path)
    message = str(caught.value)
    assert message.startswith("broken.cr2: ") and "\n" not in message and "b'" not in message


def test_avif_reads(tmp_path: Path) -> None:
    assert can_decode("AVIF")
    path = tmp_path / "photo.avif"
    halves((64, 48)).save(path, "AVIF", quality=90)
    out = open_image(path)
    assert out.size == (64, 48)
    assert np.asarray(out)[24, 10][0] > 150 and np.asarray(out)[24, 54][2] > 150


def test_a_raw_with_a_jpeg_twin_is_skipped_and_unread_types_are_counted(tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    make_dng(photos / "IMG_0001.DNG", halves((400, 300)))
    halves((400, 300)).save(photos / "IMG_0001.jpg")  # the camera's RAW+JPEG pair
    make_dng(photos / "IMG_0002.dng", halves((400, 300)))  # RAW only
    (photos / "IMG_0002.xmp").write_text("<x/>")
    (photos / "clip.mp4").write_bytes(b"\x00" * 64)
    (photos / "clip2.MP4").write_bytes(b"\x00" * 64)
    (photos / ".DS_Store").write_bytes(b"\x00")
    with Library(LibraryPaths.resolve(tmp_path / "lib"), None) as library:
        library.add_folder(photos)
        library.scan()
        folder = library.catalog.folders()[0]
        names = sorted(f.path.name for f in library.catalog.files_in_folder(folder.id))
        assert names == ["IMG_0001.jpg", "IMG_0002.dng"]
        assert library.catalog.skipped_counts() == {".mp4": 2, ".xmp": 1, "raw+jpeg": 1}
        (photos / "IMG_0001.jpg").unlink()  # the JPEG deleted: the RAW is the photo now
        (photos / "clip2.MP4").unlink()
        library.scan()
        names = sorted(f.path.name for f in library.catalog.files_in_folder(folder.id))
        assert names == ["IMG_0001.DNG", "IMG_0002.dng"]
        assert library.catalog.skipped_counts() == {".mp4": 1, ".xmp": 1}

"""ImageFacts from real image files: upright size, EXIF date taken, camera; quick_hash."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from PIL import Image

from photofind.library.metadata import ImageFacts, quick_hash, read_facts, tidy_camera


def _jpeg(path: Path, size=(64, 32), **tags: object) -> Path:
    exif = Image.Exif()
    sub = exif.get_ifd(0x8769)
    for tag, value in tags.items():
        code = {"orientation": 0x0112, "make": 0x010F, "model": 0x0110}.get(tag)
        if code is not None:
            exif[code] = value
        else:
            sub[{"date": 0x9003, "digitized": 0x9004, "offset": 0x9011}[tag]] = value
    Image.new("RGB", size, "red").save(path, "JPEG", exif=exif.tobytes())
    return path


def test_plain_png_gives_size_only(tmp_path: Path) -> None:
    path = tmp_path / "a.png"
    Image.new("RGB", (30, 20)).save(path)
    assert read_facts(path) == ImageFacts(width=30, height=20)


def test_exif_date_camera_and_rotation(tmp_path: Path) -> None:
    path = _jpeg(
        tmp_path / "a.jpg",
        orientation=6,
        make="Canon",
        model="Canon EOS 5D Mark III",
        date="2021:06:01 12:30:45",
    )
    facts = read_facts(path)
    assert (facts.width, facts.height) == (32, 64)  # rotated 90 degrees on display
    assert facts.taken_at == datetime(2021, 6, 1, 12, 30, 45).timestamp()  # local time
    assert facts.camera == "Canon EOS 5D Mark III"


def test_offset_makes_the_date_exact(tmp_path: Path) -> None:
    path = _jpeg(tmp_path / "a.jpg", date="2020:01:02 03:04:05", offset="+02:00")
    expected = datetime(2020, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    assert read_facts(path).taken_at == expected.timestamp()


def test_digitized_date_is_the_fallback_and_junk_is_ignored(tmp_path: Path) -> None:
    path = _jpeg(tmp_path / "a.jpg", date="0000:00:00 00:00:00", digitized="2019:12:31 23:59:59")
    assert read_facts(path).taken_at == datetime(2019, 12, 31, 23, 59, 59).timestamp()
    path = _jpeg(tmp_path / "b.jpg", date="    :  :     :  :  ")
    assert read_facts(path).taken_at is None


def test_from_image_reads_an_opened_image(tmp_path: Path) -> None:
    path = _jpeg(tmp_path / "a.jpg", size=(100, 50), orientation=8)
    with Image.open(path) as img:
        assert ImageFacts.from_image(img).width == 50


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
def test_broken_exif_loses_only_exif(tmp_path: Path) -> None:
    path = tmp_path / "bad.jpg"
    Image.new("RGB", (10, 12)).save(path, "JPEG", exif=b"Exif\x00\x00MM\x00*garbage")
    facts = read_facts(path)
    assert (facts.width, facts.height, facts.taken_at) == (10, 12, None)


@pytest.mark.parametrize(
    ("make", "model", "expected"),
    [
        ("NIKON CORPORATION", "NIKON D750", "NIKON D750"),
        ("Apple", "iPhone 12", "Apple iPhone 12"),
        ("OLYMPUS IMAGING CORP.  ", "E-M10", "OLYMPUS E-M10"),
        ("OLYMPUS OPTICAL CO.,LTD", "C2040Z", "OLYMPUS C2040Z"),
        ("SONY", "ILCE-7M3\x00\x00", "SONY ILCE-7M3"),
        (b"FUJIFILM", b"X-T3", "FUJIFILM X-T3"),
        ("", "", None),
        (None, "Pixel 7", "Pixel 7"),
        ("Camera", None, "Camera"),
    ],
)
def test_tidy_camera(make: object, model: object, expected: str | None) -> None:
    assert tidy_camera(make, model) == expected


def test_quick_hash_sees_size_head_and_tail(tmp_path: Path) -> None:
    big = bytes(range(256)) * 2048  # 512 KiB
    a, b = tmp_path / "a.bin", tmp_path / "b.bin"
    a.write_bytes(big)
    b.write_bytes(big)
    assert quick_hash(a) == quick_hash(b)
    b.write_bytes(big[:-1] + b"x")
    assert quick_hash(a) != quick_hash(b)
    b.write_bytes(big + b"\x00")
    assert quick_hash(a) != quick_hash(b)
    small = tmp_path / "s.bin"
    small.write_bytes(b"hello")
    assert len(quick_hash(small)) == 64
    with pytest.raises(OSError):
        quick_hash(tmp_path / "missing.bin")

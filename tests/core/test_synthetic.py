"""photofind/testing/synthetic.py: the pictures the tiny CLIP learned and the photos tests search.

If these drift (another colour, a shape drawn off-centre, a missing EXIF date), every test that
asks the tiny model for "a photo of a red circle" fails for a reason far from its own code.
"""

from __future__ import annotations

import random
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image

from photofind.testing import synthetic
from photofind.testing.synthetic import (
    COLORS,
    SHAPES,
    Scene,
    caption,
    describe,
    draw,
    make_photo,
    random_scene,
)

# Expected (filled pixels / bounding box) of each outline, with slack for rotation and pixels.
FILL = {"circle": (0.72, 0.84), "square": (0.70, 1.0), "triangle": (0.42, 0.56),
        "star": (0.30, 0.42), "cross": (0.44, 0.60), "heart": (0.55, 0.68)}  # fmt: skip


def pixels_near(img: Image.Image, rgb: tuple[int, int, int], tol: int = 60) -> list[tuple]:
    """(x, y) of every pixel within `tol` (RGB distance) of `rgb`."""
    w = img.width
    data = img.convert("RGB").tobytes()
    found = []
    for i in range(0, len(data), 3):
        if sum((data[i + k] - rgb[k]) ** 2 for k in range(3)) < tol * tol:
            found.append(((i // 3) % w, (i // 3) // w))
    return found


def components(points: list[tuple]) -> int:
    """Connected groups of pixels (4-neighbourhood)."""
    todo, groups = set(points), 0
    while todo:
        groups += 1
        stack = [todo.pop()]
        while stack:
            x, y = stack.pop()
            for n in ((x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)):
                if n in todo:
                    todo.remove(n)
                    stack.append(n)
    return groups


def test_random_scenes_and_drawings_are_deterministic() -> None:
    first = [random_scene(random.Random(7)) for _ in range(3)]
    assert first == [random_scene(random.Random(7)) for _ in range(3)]
    scenes = [random_scene(random.Random(n)) for n in range(12)]
    assert len({s.background for s in scenes}) > 2  # the generator varies its scenes
    for scene in scenes[:4]:
        assert draw(scene, (120, 90)).tobytes() == draw(scene, (120, 90)).tobytes()
    assert draw(scenes[0], (120, 90)).tobytes() != draw(scenes[1], (120, 90)).tobytes()


def test_make_photo_is_deterministic(tmp_path: Path) -> None:
    a = make_photo(tmp_path / "a.png", "red", "circle", size=(100, 80), seed=3)
    b = make_photo(tmp_path / "b.png", "red", "circle", size=(100, 80), seed=3)
    c = make_photo(tmp_path / "c.png", "red", "circle", size=(100, 80), seed=4)
    assert a.read_bytes() == b.read_bytes() != c.read_bytes()


@pytest.mark.parametrize("shape", SHAPES)
def test_make_photo_draws_the_named_shape_in_the_middle(tmp_path: Path, shape: str) -> None:
    path = make_photo(tmp_path / f"{shape}.png", "red", shape, size=(200, 150), seed=1)
    with Image.open(path) as img:
        assert img.size == (200, 150)
        found = pixels_near(img, COLORS["red"])
    xs, ys = [p[0] for p in found], [p[1] for p in found]
    box_w, box_h = max(xs) - min(xs) + 1, max(ys) - min(ys) + 1
    lo, hi = FILL[shape]
    assert lo <= len(found) / (box_w * box_h) <= hi
    assert 0.4 * 150 <= max(box_w, box_h) <= 0.7 * 150  # "large"
    assert abs(sum(xs) / len(xs) - 100) < 20 and abs(sum(ys) / len(ys) - 75) < 20
    assert components(found) == 1
    if shape == "triangle":  # apex up: the top third holds far less colour than the bottom
        top = sum(1 for y in ys if y < min(ys) + box_h / 3)
        bottom = sum(1 for y in ys if y > max(ys) - box_h / 3)
        assert top < bottom / 2


@pytest.mark.parametrize("colour", list(COLORS))
def test_make_photo_paints_the_named_colour(tmp_path: Path, colour: str) -> None:
    path = make_photo(tmp_path / f"{colour}.jpg", colour, "square", size=(160, 120), seed=2)
    with Image.open(path) as img:
        patch = img.convert("RGB").crop((70, 50, 90, 70))
    centre = patch.resize((1, 1), Image.BOX).getpixel((0, 0))
    nearest = min(
        COLORS, key=lambda n: sum((a - b) ** 2 for a, b in zip(COLORS[n], centre, strict=True))
    )
    assert nearest == colour


def test_draw_shows_count_position_and_size() -> None:
    three = Scene("circle", "blue", count=3, size="small", position=synthetic.SCATTERED, seed=5)
    assert components(pixels_near(draw(three, (240, 180)), COLORS["blue"])) == 3
    left = pixels_near(draw(Scene("star", "green", position="left", seed=1), (200, 200)),
                       COLORS["green"])  # fmt: skip
    right = pixels_near(draw(Scene("star", "green", position="right", seed=1), (200, 200)),
                        COLORS["green"])  # fmt: skip
    assert sum(p[0] for p in left) / len(left) < 80 < 120 < sum(p[0] for p in right) / len(right)
    small = pixels_near(draw(Scene("heart", "orange", size="small", seed=1), (200, 200)),
                        COLORS["orange"])  # fmt: skip
    large = pixels_near(draw(Scene("heart", "orange", size="large", seed=1), (200, 200)),
                        COLORS["orange"])  # fmt: skip
    assert 2 * len(small) < len(large)


def test_geometry_stays_in_the_central_square_whatever_the_aspect() -> None:
    """Models centre-crop the shorter side; a shape outside that square would be lost."""
    scene = Scene("square", "yellow", position="right", seed=3)
    found = pixels_near(draw(scene, (400, 100)), COLORS["yellow"])
    assert min(p[0] for p in found) >= 150 and max(p[0] for p in found) < 250


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".webp"])
def test_exif_date_taken_is_written(tmp_path: Path, suffix: str) -> None:
    path = make_photo(tmp_path / f"dated{suffix}", "green", "heart", size=(64, 48),
                      exif_datetime="2020:01:10 10:00:00")  # fmt: skip
    with Image.open(path) as img:
        exif = img.getexif()
        assert exif.get_ifd(0x8769)[0x9003] == "2020:01:10 10:00:00"  # DateTimeOriginal
        assert exif[0x0132] == "2020:01:10 10:00:00"  # DateTime


def test_exif_date_from_datetime_and_none(tmp_path: Path) -> None:
    dated = make_photo(tmp_path / "d.jpg", "red", "star", size=(64, 48),
                       exif_datetime=datetime(2021, 3, 4, 5, 6, 7))  # fmt: skip
    with Image.open(dated) as img:
        assert img.getexif().get_ifd(0x8769)[0x9003] == "2021:03:04 05:06:07"
    plain = make_photo(tmp_path / "p.jpg", "red", "star", size=(64, 48))
    with Image.open(plain) as img:
        assert 0x9003 not in img.getexif().get_ifd(0x8769)


def test_format_follows_suffix_or_fmt(tmp_path: Path) -> None:
    for name, fmt, expected in [("a.jpeg", None, "JPEG"), ("b.webp", None, "WEBP"),
                                ("c.png", None, "PNG"), ("lie.jpg", "png", "PNG")]:  # fmt: skip
        path = make_photo(tmp_path / name, "blue", "cross", size=(50, 40), fmt=fmt)
        with Image.open(path) as img:
            assert img.format == expected
    with pytest.raises(ValueError, match="format"):
        make_photo(tmp_path / "x.unknown", "blue", "cross")


def test_captions() -> None:
    assert caption(Scene("circle", "red")) == "a photo of a red circle"
    assert caption(Scene("circle", "orange")) == "a photo of an orange circle"
    group = Scene("cross", "red", count=2, size="small", position=synthetic.SCATTERED)
    assert caption(group) == "a photo of two red crosses"
    one = Scene("star", "white", size="small", position="left")
    assert describe(one, size=True, position=True) == "a photo of a small white star on the left"
    assert describe(one, colour=False, template="{}") == "a star"
    assert describe(one, shape=False) == "a photo of a white shape"
    assert describe(Scene("star", "orange"), article="a") == "a photo of a orange star"


def test_scene_rejects_unknown_attributes() -> None:
    with pytest.raises(ValueError, match="shape"):
        Scene("blob", "red")
    with pytest.raises(ValueError, match="colour"):
        Scene("circle", "teal")
    with pytest.raises(ValueError, match="position"):
        Scene("circle", "red", count=2, size="small", position="left")

"""Synthetic captioned pictures (coloured shapes on varied backgrounds) for the tiny test CLIP.

The same code draws the training set of `models/train_tiny.py` and the photos that the app's tests
index and search, so a test that asks for "a photo of a red circle" gets exactly the kind of
picture the committed tiny model learned. Pillow and the standard library only: tests import it
without torch or numpy.

Geometry lives in the central square of the canvas (side = the shorter side), because the models
resize the shorter side and centre-crop: whatever the aspect ratio, the shapes stay in view.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageOps

RGB = tuple[int, int, int]

# Saturated (or extreme) colours, far apart; backgrounds stay greyish and mid-toned so that
# none of them, white and black included, is ever mistaken for the background.
COLORS: dict[str, RGB] = {
    "red": (215, 30, 35),
    "orange": (245, 130, 15),
    "yellow": (240, 220, 25),
    "green": (35, 165, 55),
    "blue": (30, 70, 215),
    "purple": (140, 45, 180),
    "white": (248, 248, 248),
    "black": (12, 12, 12),
}
SHAPES: tuple[str, ...] = ("circle", "square", "triangle", "star", "cross", "heart")
PLURALS: dict[str, str] = {s: s + "es" if s.endswith("s") else s + "s" for s in SHAPES}
SIZES: tuple[str, ...] = ("small", "large")
POSITIONS: tuple[str, ...] = ("center", "left", "right", "top", "bottom")
SCATTERED = "scattered"  # the position of a group of two or three shapes
PLAIN_BACKGROUNDS: tuple[str, ...] = ("plain", "gradient", "noise")
BUSY_BACKGROUNDS: tuple[str, ...] = ("stripes", "checks", "blobs")
BACKGROUNDS: tuple[str, ...] = PLAIN_BACKGROUNDS + BUSY_BACKGROUNDS

COUNT_WORDS = {1: "one", 2: "two", 3: "three"}
POSITION_PHRASES = {
    "center": ("in the middle", "in the center"),
    "left": ("on the left",),
    "right": ("on the right",),
    "top": ("at the top",),
    "bottom": ("at the bottom",),
}
TEMPLATES = ("a photo of {}", "a picture of {}", "an image of {}", "{}", "a drawing of {}")

# Diameter of one shape as a fraction of the central square, per size class.
_DIAMETER = {"small": (0.24, 0.32), "large": (0.46, 0.64)}
_OFFSETS = {"center": (0, 0), "left": (-1, 0), "right": (1, 0), "top": (0, -1), "bottom": (0, 1)}


@dataclass(frozen=True)
class Scene:
    """What a picture shows; `seed` fixes every random detail of drawing it (jitter, texture)."""

    shape: str
    colour: str
    background: str = "plain"
    size: str = "large"
    position: str = "center"
    count: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        if self.shape not in SHAPES:
            raise ValueError(f"unknown shape {self.shape!r}; expected one of {SHAPES}")
        if self.colour not in COLORS:
            raise ValueError(f"unknown colour {self.colour!r}; expected one of {tuple(COLORS)}")
        if self.background not in BACKGROUNDS:
            raise ValueError(f"unknown background {self.background!r}")
        if self.size not in SIZES:
            raise ValueError(f"unknown size {self.size!r}")
        if self.count not in (1, 2, 3):
            raise ValueError(f"count must be 1, 2 or 3, got {self.count}")
        expected = POSITIONS if self.count == 1 else (SCATTERED,)
        if self.position not in expected:
            raise ValueError(f"position {self.position!r} needs one of {expected} here")


def random_scene(
    rng: random.Random,
    *,
    shape: str | None = None,
    colour: str | None = None,
    backgrounds: Sequence[str] = BACKGROUNDS,
) -> Scene:
    """A random scene; groups of two or three are always small, so they fit side by side."""
    count = rng.choice((1, 1, 1, 2, 3))
    return Scene(
        shape=shape or rng.choice(SHAPES),
        colour=colour or rng.choice(tuple(COLORS)),
        background=rng.choice(tuple(backgrounds)),
        size=rng.choice(SIZES) if count == 1 else "small",
        position=rng.choice(POSITIONS) if count == 1 else SCATTERED,
        count=count,
        seed=rng.getrandbits(32),
    )


# ---------------------------------------------------------------------------------------------
# Captions


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def describe(
    scene: Scene,
    *,
    colour: bool = True,
    shape: bool = True,
    count: bool = False,
    size: bool = False,
    position: bool = False,
    template: str = "a photo of {}",
    article: str | None = None,
) -> str:
    """A caption that mentions only the chosen attributes (training needs partial captions).

    Without `shape` the noun is "shape"/"object"-like; without `colour` the colour is left out;
    `count` says "two"/"three" (or "one"); the article follows English ("an orange circle")
    unless `article` forces one, because users type "a orange circle" too.
    """
    if not (colour or shape):
        raise ValueError("a caption must mention the colour or the shape")
    plural = count and scene.count > 1
    noun = scene.shape if shape else "shape"
    if plural:
        noun = PLURALS[scene.shape] if shape else "shapes"
    words = []
    if size:
        words.append(scene.size)
    if colour:
        words.append(scene.colour)
    words.append(noun)
    phrase = " ".join(words)
    if count:
        phrase = f"{COUNT_WORDS[scene.count]} {phrase}"
    else:
        phrase = f"{article or _article(phrase)} {phrase}"
    if position and scene.count == 1:
        phrase = f"{phrase} {POSITION_PHRASES[scene.position][0]}"
    return template.format(phrase)


def caption(scene: Scene) -> str:
    """The primary caption: "a photo of a red circle", or "a photo of two red circles"."""
    if scene.count > 1:
        return describe(scene, count=True)
    return describe(scene)


# ---------------------------------------------------------------------------------------------
# Drawing


def _jitter(colour: RGB, rng: random.Random, amount: int) -> RGB:
    return tuple(max(0, min(255, c + rng.randint(-amount, amount))) for c in colour)  # type: ignore[return-value]


def _muted(rng: random.Random) -> RGB:
    """A greyish mid-tone: low saturation, so no background reads as one of COLORS."""
    grey = rng.randint(70, 185)
    return tuple(max(0, min(255, grey + rng.randint(-18, 18))) for _ in range(3))  # type: ignore[return-value]


def _noise(size: tuple[int, int], rng: random.Random, scale: int = 1) -> Image.Image:
    """Uniform colour noise from `rng` (Image.effect_noise is not seedable, so not used)."""
    w, h = max(1, size[0] // scale), max(1, size[1] // scale)
    img = Image.frombytes("RGB", (w, h), rng.randbytes(w * h * 3))
    return img if scale == 1 else img.resize(size, Image.Resampling.BILINEAR)


def _background(kind: str, size: tuple[int, int], rng: random.Random) -> Image.Image:
    w, h = size
    base, other = _muted(rng), _muted(rng)
    if kind == "plain":
        return Image.new("RGB", size, base)
    if kind == "gradient":
        # Rotate a twice-as-large ramp and keep its middle, so no corner is left unfilled.
        ramp = Image.linear_gradient("L").resize((512, 512), Image.Resampling.BILINEAR)
        ramp = ramp.rotate(rng.uniform(0, 360), resample=Image.Resampling.BILINEAR).crop(
            (128, 128, 384, 384)
        )
        return ImageOps.colorize(ramp.resize(size, Image.Resampling.BILINEAR), base, other)
    if kind == "noise":
        flat = Image.new("RGB", size, base)
        return Image.blend(flat, _noise(size, rng, scale=rng.choice((1, 2, 4))), 0.25)
    img = Image.new("RGB", size, base)
    pen = ImageDraw.Draw(img)
    if kind == "stripes":
        step = max(3, int(min(size) * rng.uniform(0.05, 0.15)))
        diag = w + h
        angle = rng.uniform(0, math.pi)
        dx, dy = math.cos(angle), math.sin(angle)
        for k in range(-diag // step, diag // step + 1, 2):
            cx, cy = w / 2 + dx * k * step, h / 2 + dy * k * step
            poly = [(cx - dy * diag + dx * o, cy + dx * diag + dy * o) for o in (0, step)]
            poly += [(cx + dy * diag + dx * o, cy - dx * diag + dy * o) for o in (step, 0)]
            pen.polygon(poly, fill=other)
    elif kind == "checks":
        step = max(3, int(min(size) * rng.uniform(0.06, 0.18)))
        for y in range(0, h, step):
            for x in range(0, w, step):
                if (x // step + y // step) % 2:
                    pen.rectangle((x, y, x + step - 1, y + step - 1), fill=other)
    elif kind == "blobs":
        for _ in range(rng.randint(6, 14)):
            r = min(size) * rng.uniform(0.05, 0.25)
            bx, by = rng.uniform(0, w), rng.uniform(0, h)
            pen.ellipse((bx - r, by - r * rng.uniform(0.5, 1.5), bx + r, by + r), fill=_muted(rng))
    return Image.blend(img, _noise(size, rng, scale=2), 0.08)


def _outline(shape: str, rng: random.Random) -> list[tuple[float, float]]:
    """The shape as a polygon in unit coordinates (radius about 1), slightly rotated."""
    if shape == "square":
        pts = [(-0.82, -0.82), (0.82, -0.82), (0.82, 0.82), (-0.82, 0.82)]
    elif shape == "triangle":
        pts = [(math.cos(a) * 1.05, math.sin(a) * 1.05 + 0.18)
               for a in (-math.pi / 2, math.pi / 6, 5 * math.pi / 6)]  # fmt: skip
    elif shape == "star":
        pts = [((1.0 if k % 2 == 0 else 0.42) * math.cos(-math.pi / 2 + k * math.pi / 5),
                (1.0 if k % 2 == 0 else 0.42) * math.sin(-math.pi / 2 + k * math.pi / 5))
               for k in range(10)]  # fmt: skip
    elif shape == "cross":
        a, b = 0.3, 0.95
        pts = [(-a, -b), (a, -b), (a, -a), (b, -a), (b, a), (a, a),
               (a, b), (-a, b), (-a, a), (-b, a), (-b, -a), (-a, -a)]  # fmt: skip
    elif shape == "heart":
        pts = []
        for k in range(48):
            t = 2 * math.pi * k / 48
            x = 16 * math.sin(t) ** 3
            y = 13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t)
            pts.append((x / 16.5, -(y + 2.5) / 16.5))
    else:  # circle
        pts = [(math.cos(2 * math.pi * k / 64), math.sin(2 * math.pi * k / 64)) for k in range(64)]
    angle = math.radians(rng.uniform(-12, 12)) if shape != "circle" else 0.0
    stretch = rng.uniform(0.9, 1.1)
    ca, sa = math.cos(angle), math.sin(angle)
    return [((x * ca - y * sa) * stretch, (x * sa + y * ca) / stretch) for x, y in pts]


def _centres(scene: Scene, radius: float, rng: random.Random) -> list[tuple[float, float]]:
    """Shape centres in the unit square; a group is placed without overlaps."""
    if scene.count == 1:
        ox, oy = _OFFSETS[scene.position]
        reach = 0.5 - radius - 0.03
        return [(0.5 + ox * reach + rng.uniform(-0.04, 0.04),
                 0.5 + oy * reach + rng.uniform(-0.04, 0.04))]  # fmt: skip
    centres: list[tuple[float, float]] = []
    lo, hi = radius + 0.03, 1 - radius - 0.03
    for _ in range(500):
        if len(centres) == scene.count:
            break
        c = (rng.uniform(lo, hi), rng.uniform(lo, hi))
        if all(math.dist(c, d) > 2.2 * radius for d in centres):
            centres.append(c)
    while len(centres) < scene.count:  # practically never: fall back to a diagonal
        k = len(centres)
        centres.append((lo + (hi - lo) * k / 2, lo + (hi - lo) * k / 2))
    return centres


def draw(scene: Scene, size: tuple[int, int] = (256, 256)) -> Image.Image:
    """Render `scene` as an RGB picture of `size` (width, height), deterministic per scene."""
    rng = random.Random(scene.seed)
    w, h = size
    img = _background(scene.background, size, rng)
    side = min(w, h)
    x0, y0 = (w - side) / 2, (h - side) / 2
    pen = ImageDraw.Draw(img)
    lo, hi = _DIAMETER[scene.size]
    radius = rng.uniform(lo, hi) / 2
    fill = _jitter(COLORS[scene.colour], rng, 14)
    edge = tuple(int(c * 0.6) for c in fill) if rng.random() < 0.3 else None
    for cx, cy in _centres(scene, radius, rng):
        outline = _outline(scene.shape, rng)
        pts = [(x0 + (cx + x * radius) * side, y0 + (cy + y * radius) * side) for x, y in outline]
        pen.polygon(pts, fill=fill, outline=edge, width=max(1, side // 90) if edge else 1)
    if rng.random() < 0.5:
        img = Image.blend(img, _noise(size, rng), rng.uniform(0.02, 0.10))
    if rng.random() < 0.3:
        img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.2) * side / 256))
    return img


# ---------------------------------------------------------------------------------------------
# Photo files for tests

_FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP", ".bmp": "BMP",
            ".tif": "TIFF", ".tiff": "TIFF", ".gif": "GIF"}  # fmt: skip
_EXIF_IFD, _DATETIME, _DATETIME_ORIGINAL = 0x8769, 0x0132, 0x9003


def _format(path: Path, fmt: str | None) -> str:
    if fmt is not None:
        name = fmt.lower().lstrip(".")
        return _FORMATS.get(f".{name}", name.upper())
    try:
        return _FORMATS[path.suffix.lower()]
    except KeyError:
        raise ValueError(f"cannot tell the image format of {path.name}; pass fmt=") from None


def make_photo(
    path: str | Path,
    color: str,
    shape: str,
    *,
    size: tuple[int, int] = (640, 480),
    fmt: str | None = None,
    seed: int = 0,
    exif_datetime: str | datetime | None = None,
) -> Path:
    """Write a photo of one large `color` `shape` near the centre on a plain-family background.

    This is the picture the tiny model finds for "a photo of a {color} {shape}". The format
    comes from `fmt` ("jpeg", "png", "webp", ...) or the suffix, so a mislabelled file can be
    made on purpose. `exif_datetime` ("2020:01:10 10:00:00" or a datetime) becomes EXIF
    DateTimeOriginal (and DateTime). Returns the path.
    """
    path = Path(path)
    rng = random.Random(f"make_photo:{seed}")
    scene = Scene(shape=shape, colour=color, background=rng.choice(PLAIN_BACKGROUNDS),
                  size="large", position="center", count=1, seed=rng.getrandbits(32))  # fmt: skip
    img = draw(scene, size)
    kind = _format(path, fmt)
    options: dict[str, object] = {}
    if kind == "JPEG":
        options["quality"] = 90
    if exif_datetime is not None:
        when = exif_datetime
        if isinstance(when, datetime):
            when = when.strftime("%Y:%m:%d %H:%M:%S")
        exif = Image.Exif()
        exif[_DATETIME] = when
        exif.get_ifd(_EXIF_IFD)[_DATETIME_ORIGINAL] = when
        options["exif"] = exif.tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, format=kind, **options)
    return path

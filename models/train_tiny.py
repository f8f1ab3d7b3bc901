"""Train the tiny CLIP test model on synthetic shapes and export it as an app model folder.

Real CLIP weights cannot be downloaded here and random weights cannot show that search finds the
right photo, so the tests use this: an open_clip `CLIP` with a small custom config (64 px
images, a width-8 ModifiedResNet image tower, a 20-wide text tower over the real 49408-token CLIP
BPE vocabulary), trained with a contrastive loss on pictures from `synthetic.py`, checked on
held-out pictures (text->image Recall@1 for "a photo of a {colour} {shape}") and written by
`export_onnx.export_model`.

    python models/train_tiny.py --out tests/fixtures/tiny-clip

CPU only, two threads, deterministic for a given --seed as far as torch allows: the schedule and
the early stop are counted in steps, and the wall-clock limit (--minutes) only guards against a
machine far slower than planned (the run says so if it was hit).
"""

from __future__ import annotations

import argparse
import io
import math
import multiprocessing
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import open_clip
import torch
import torch.nn.functional as F
from open_clip.model import CLIPTextCfg, CLIPVisionCfg
from open_clip.transform import PreprocessCfg, image_transform_v2
from PIL import Image

from photofind.testing import synthetic
from photofind.testing.synthetic import BUSY_BACKGROUNDS, COLORS, PLAIN_BACKGROUNDS, SHAPES, Scene

NAME = "tiny-clip"
ARCH = "tiny-resnet-synthetic"
IMAGE_SIZE = 64
CONTEXT_LENGTH = 32
EMBED_DIM = 64
# An open_clip ModifiedResNet (the CLIP RN50 family) at width 8: a ViT of the same cost learned
# the shapes several times slower from scratch (59% shape accuracy after 400 steps where this
# reached 97% after 200), too slow for a 15-minute CPU budget.
VISION_CFG = {"image_size": IMAGE_SIZE, "layers": [1, 1, 1, 1], "width": 8, "head_width": 32}
# The folder must stay under 10 MB and tokenizer.json alone is 3.6 MB; the token table
# (49408 x text width, fp32) is the rest of the budget: 20 wide is 4.0 MB.
TEXT_CFG = {
    "context_length": CONTEXT_LENGTH,
    "vocab_size": 49408,
    "width": 20,
    "heads": 2,
    "layers": 2,
    "mlp_ratio": 4.0,
}
PREPROCESS_CFG = {
    "size": IMAGE_SIZE,
    "mode": "RGB",
    "mean": open_clip.OPENAI_DATASET_MEAN,
    "std": open_clip.OPENAI_DATASET_STD,
    "interpolation": "bicubic",
    "resize_mode": "shortest",
    "fill_color": 0,
}
ATTRIBUTES = ("colour", "shape", "count", "size", "position")
QUERY = "a photo of a {} {}"


def build_model() -> open_clip.CLIP:
    """The tiny open_clip CLIP, with the preprocessing recorded on it for the exporter."""
    model = open_clip.CLIP(EMBED_DIM, CLIPVisionCfg(**VISION_CFG), CLIPTextCfg(**TEXT_CFG))
    open_clip.set_model_preprocess_cfg(model, PREPROCESS_CFG)
    return model


def build_tokenizer() -> open_clip.SimpleTokenizer:
    """The real CLIP BPE (open_clip's bundled vocabulary), with a short context."""
    return open_clip.SimpleTokenizer(context_length=CONTEXT_LENGTH)


# ---------------------------------------------------------------------------------------------
# Pictures


_CROP = None


def _crop(img: Image.Image) -> np.ndarray:
    """Resize shortest side + centre crop exactly as open_clip's eval transform, kept as uint8."""
    global _CROP
    if _CROP is None:
        full = image_transform_v2(PreprocessCfg(**PREPROCESS_CFG), is_train=False)
        _CROP = full.transforms[:2]  # Resize, CenterCrop (then mode, to-tensor, normalise)
    for step in _CROP:
        img = step(img)
    return np.asarray(img.convert("RGB"), dtype=np.uint8)


def _canvas(rng: random.Random, short: tuple[int, int]) -> tuple[int, int]:
    side = rng.randint(*short)
    long = int(side * rng.choice((1.0, 1.0, 4 / 3, 3 / 2, 16 / 9)))
    return (long, side) if rng.random() < 0.6 else (side, long)


def _training_sample(args: tuple[int, int]) -> tuple[np.ndarray, Scene]:
    """One picture: random scene, random canvas, sometimes a JPEG round trip, then the crop."""
    seed, index = args
    rng = random.Random(f"train:{seed}:{index}")
    scene = synthetic.random_scene(rng)
    img = synthetic.draw(scene, _canvas(rng, (64, 200)))
    if rng.random() < 0.4:
        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=rng.randint(50, 95))
        img = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    return _crop(img), scene


def draw_training_set(seed: int, count: int, workers: int = 2) -> tuple[torch.Tensor, list[Scene]]:
    """Pre-draw `count` pictures (uint8 [n,64,64,3]) in a pool; the order is fixed by index."""
    jobs = [(seed, i) for i in range(count)]
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(workers) as pool:
        results = pool.map(_training_sample, jobs, chunksize=256)
    pixels = torch.from_numpy(np.stack([r[0] for r in results]))
    return pixels, [r[1] for r in results]


@dataclass
class Gallery:
    """One held-out picture per colour/shape combination, in the order of `combos()`."""

    name: str
    images: list[Image.Image]


def combos() -> list[tuple[str, str]]:
    return [(c, s) for c in COLORS for s in SHAPES]


def draw_galleries(tag: str, backgrounds: Sequence[str], repeats: int) -> list[Gallery]:
    """Held-out galleries at photo-like sizes (seeds disjoint from training by their tag)."""
    galleries = []
    for r in range(repeats):
        images = []
        for c, s in combos():
            rng = random.Random(f"{tag}:{r}:{c}:{s}")
            scene = synthetic.random_scene(rng, shape=s, colour=c, backgrounds=backgrounds)
            images.append(synthetic.draw(scene, _canvas(rng, (180, 360))))
        galleries.append(Gallery(f"{tag}-{r}", images))
    return galleries


def photo_galleries(folder: Path, repeats: int) -> list[Gallery]:
    """Galleries of real files from `make_photo`, re-read from disk, as the app's tests make."""
    galleries = []
    for r in range(repeats):
        images = []
        for n, (c, s) in enumerate(combos()):
            path = synthetic.make_photo(folder / f"{r}-{c}-{s}.jpg", c, s, seed=1000 * r + n)
            with Image.open(path) as img:
                images.append(img.convert("RGB"))
        galleries.append(Gallery(f"make_photo-{r}", images))
    return galleries


# ---------------------------------------------------------------------------------------------
# Captions and the multi-positive contrastive target


_VALUES = (
    tuple(COLORS),
    SHAPES,
    (1, 2, 3),
    synthetic.SIZES,
    (*synthetic.POSITIONS, synthetic.SCATTERED),
)


def _scene_key(scene: Scene) -> tuple:
    return (scene.colour, scene.shape, scene.count, scene.size, scene.position)


def _codes(keys: Sequence[tuple]) -> torch.Tensor:
    """Attribute tuples as small integers, None (not mentioned) as -1."""
    return torch.tensor(
        [
            [-1 if v is None else values.index(v) for v, values in zip(k, _VALUES, strict=False)]
            for k in keys
        ]
    )


def sample_caption(scene: Scene, rng: random.Random) -> tuple[str, tuple]:
    """A caption mentioning a random subset of the scene's attributes, and that subset.

    Partial captions ("a photo of a circle", "a red shape") teach the model the single
    attributes that queries such as "a circle -red" rely on.
    """
    roll = rng.random()
    colour, shape = (
        (True, True) if roll < 0.7 else ((True, False) if roll < 0.85 else (False, True))
    )
    count = rng.random() < 0.25
    size = rng.random() < 0.25
    position = scene.count == 1 and rng.random() < 0.25
    text = synthetic.describe(
        scene,
        colour=colour,
        shape=shape,
        count=count,
        size=size,
        position=position,
        template=rng.choice(synthetic.TEMPLATES),
        article=rng.choice(("a", None)),
    )
    mentioned = (colour, shape, count, size, position)
    spec = tuple(v if m else None for v, m in zip(_scene_key(scene), mentioned, strict=True))
    return text, spec


def match_matrix(specs: Sequence[tuple], scenes: Sequence[Scene]) -> torch.Tensor:
    """M[i, j] = 1 when picture j shows everything caption i says."""
    said, shown = _codes(specs)[:, None, :], _codes([_scene_key(s) for s in scenes])[None]
    return ((said == -1) | (said == shown)).all(dim=2).float()


def contrastive_loss(logits: torch.Tensor, match: torch.Tensor) -> torch.Tensor:
    """CLIP's symmetric cross-entropy with every matching pair as a positive.

    A batch of 256 holds ~5 pictures of each of 48 colour/shape pairs; plain CLIP would push
    those true matches apart as negatives.
    """
    t2i = -(F.log_softmax(logits, dim=1) * match / match.sum(1, keepdim=True)).sum(1).mean()
    i2t = -(F.log_softmax(logits, dim=0) * match / match.sum(0, keepdim=True)).sum(0).mean()
    return (t2i + i2t) / 2


# ---------------------------------------------------------------------------------------------
# Evaluation


def normalise(pixels: torch.Tensor) -> torch.Tensor:
    """uint8 [n,H,W,3] -> float [n,3,H,W] with the model's mean and std."""
    mean = torch.tensor(PREPROCESS_CFG["mean"]).view(1, 3, 1, 1)
    std = torch.tensor(PREPROCESS_CFG["std"]).view(1, 3, 1, 1)
    return (pixels.permute(0, 3, 1, 2).float() / 255.0 - mean) / std


@torch.no_grad()
def recall_at_1(model: open_clip.CLIP, tokenizer, galleries: Sequence[Gallery]) -> float:
    """Mean text->image Recall@1 of "a photo of a {colour} {shape}" over the galleries."""
    model.eval()
    transform = image_transform_v2(PreprocessCfg(**PREPROCESS_CFG), is_train=False)
    texts = model.encode_text(tokenizer([QUERY.format(c, s) for c, s in combos()]), normalize=True)
    hits = 0
    for gallery in galleries:
        pixels = torch.stack([transform(img) for img in gallery.images])
        images = model.encode_image(pixels, normalize=True)
        best = (texts @ images.T).argmax(dim=1)
        hits += int((best == torch.arange(len(texts))).sum())
    model.train()
    return hits / (len(galleries) * len(combos()))


# ---------------------------------------------------------------------------------------------
# Training


def _param_groups(model: torch.nn.Module, weight_decay: float) -> list[dict]:
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        flat = p.ndim < 2 or "embedding" in name or "logit_scale" in name or "ln" in name
        (no_decay if flat else decay).append(p)
    return [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0},
    ]


@dataclass
class TrainResult:
    steps: int
    seconds: float
    draw_seconds: float
    stopped_by: str  # "target", "steps" or "clock"
    val_history: list[tuple[int, float, float]]


def train(
    model: open_clip.CLIP,
    tokenizer,
    *,
    seed: int,
    minutes: float,
    samples: int,
    steps: int,
    batch: int,
    lr: float,
    eval_every: int,
    stop_at: float,
) -> TrainResult:
    start = time.monotonic()
    pixels, scenes = draw_training_set(seed, samples)
    draw_seconds = time.monotonic() - start
    print(f"drew {samples} training pictures in {draw_seconds:.0f} s", flush=True)
    val_easy = draw_galleries(f"val-plain:{seed}", PLAIN_BACKGROUNDS, 2)
    val_hard = draw_galleries(f"val-busy:{seed}", BUSY_BACKGROUNDS, 2)

    opt = torch.optim.AdamW(_param_groups(model, 0.05), lr=lr, betas=(0.9, 0.98), eps=1e-6)
    warmup = max(1, steps // 20)

    def lr_at(step: int) -> float:
        if step < warmup:
            return lr * (step + 1) / warmup
        return lr * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup)))

    rng = random.Random(f"batches:{seed}")
    gen = torch.Generator().manual_seed(seed)
    token_cache: dict[str, torch.Tensor] = {}
    history: list[tuple[int, float, float]] = []
    stopped_by = "steps"
    order = torch.randperm(samples, generator=gen)
    cursor = 0
    model.train()
    step = 0
    for step in range(1, steps + 1):
        if cursor + batch > samples:
            order, cursor = torch.randperm(samples, generator=gen), 0
        idx = order[cursor : cursor + batch]
        cursor += batch
        flip = torch.rand(batch, generator=gen) < 0.5
        batch_pixels = pixels[idx]
        batch_pixels[flip] = batch_pixels[flip].flip(2)  # mirror: left and right swap
        batch_scenes = [
            _mirror(scenes[i]) if f else scenes[i] for i, f in zip(idx.tolist(), flip, strict=False)
        ]
        texts, specs = zip(*(sample_caption(s, rng) for s in batch_scenes), strict=True)
        for t in texts:
            if t not in token_cache:
                token_cache[t] = tokenizer([t])[0]
        tokens = torch.stack([token_cache[t] for t in texts])
        for group in opt.param_groups:
            group["lr"] = lr_at(step - 1)
        image_f, text_f, scale = model(normalise(batch_pixels), tokens)
        logits = scale * text_f @ image_f.T
        loss = contrastive_loss(logits, match_matrix(specs, batch_scenes))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))
        if step % eval_every == 0 or step == steps:
            easy = recall_at_1(model, tokenizer, val_easy)
            hard = recall_at_1(model, tokenizer, val_hard)
            history.append((step, easy, hard))
            elapsed = time.monotonic() - start
            print(
                f"step {step:5d}  loss {loss.item():.3f}  scale {scale.item():5.1f}  "
                f"val R@1 plain {easy:.3f} busy {hard:.3f}  {elapsed / 60:.1f} min",
                flush=True,
            )
            if min(easy, hard) >= stop_at:
                stopped_by = "target"
                break
        if time.monotonic() - start > minutes * 60:
            stopped_by = "clock"
            print(f"wall-clock limit of {minutes} min reached at step {step}", flush=True)
            break
    return TrainResult(step, time.monotonic() - start, draw_seconds, stopped_by, history)


def _mirror(scene: Scene) -> Scene:
    swap = {"left": "right", "right": "left"}
    return Scene(
        scene.shape,
        scene.colour,
        scene.background,
        scene.size,
        swap.get(scene.position, scene.position),
        scene.count,
        scene.seed,
    )


# ---------------------------------------------------------------------------------------------
# Export


def reference_set() -> tuple[list[Image.Image], list[str]]:
    """Pictures and captions for the folder's parity checks: two large JPEG photos (so the
    app's JPEG draft decoding is exercised), odd sizes and a portrait, and matching captions."""
    images: list[Image.Image] = []
    texts: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, (c, s, size) in enumerate(
            [("red", "circle", (1024, 768)), ("blue", "square", (768, 1024))]
        ):
            path = synthetic.make_photo(Path(tmp) / f"{n}.jpg", c, s, size=size, seed=n)
            with Image.open(path) as img:
                img.load()
                images.append(img)  # still a JpegImageFile: the exporter may save it as is
    rng = random.Random("reference")
    for c, s, size in [
        ("green", "triangle", (160, 120)),
        ("yellow", "star", (96, 128)),
        ("purple", "heart", (64, 64)),
        ("black", "cross", (120, 80)),
    ]:
        scene = synthetic.random_scene(rng, shape=s, colour=c, backgrounds=PLAIN_BACKGROUNDS)
        images.append(synthetic.draw(scene, size))
    texts = [
        QUERY.format(c, s)
        for c, s in [
            ("red", "circle"),
            ("blue", "square"),
            ("green", "triangle"),
            ("yellow", "star"),
        ]
    ]
    texts += ["a photo of two small white stars", "an orange cross on the left", "a circle", ""]
    return images, texts


def export(model: open_clip.CLIP, tokenizer, out: Path) -> Path:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from export_onnx import export_model

    images, texts = reference_set()
    return export_model(
        model.eval(),
        out,
        name=NAME,
        arch=ARCH,
        pretrained=None,
        license="MIT",
        tokenizer=tokenizer,
        reference_images=images,
        reference_texts=texts,
    )


# ---------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="model folder to write")
    parser.add_argument("--minutes", type=float, default=12, help="wall-clock limit for training")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--samples", type=int, default=40000, help="pre-drawn training pictures")
    parser.add_argument("--steps", type=int, default=900, help="planned optimiser steps")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--eval-every", type=int, default=100)
    parser.add_argument(
        "--stop-at",
        type=float,
        default=1.0,
        help="stop once validation R@1 (plain and busy) reaches this",
    )
    parser.add_argument(
        "--state",
        type=Path,
        default=None,
        help="also save the torch state dict here (never inside the repo)",
    )
    parser.add_argument(
        "--load-state",
        type=Path,
        default=None,
        help="skip training: load this state dict, evaluate, export",
    )
    parser.add_argument("--no-export", action="store_true")
    args = parser.parse_args(argv)

    torch.set_num_threads(2)
    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)
    model = build_model()
    tokenizer = build_tokenizer()
    params = sum(p.numel() for p in model.parameters())
    print(f"{ARCH}: {params / 1e6:.2f} M parameters ({params * 4 / 2**20:.1f} MiB fp32)")

    result = None
    if args.load_state:
        model.load_state_dict(torch.load(args.load_state, weights_only=True))
    else:
        result = train(
            model,
            tokenizer,
            seed=args.seed,
            minutes=args.minutes,
            samples=args.samples,
            steps=args.steps,
            batch=args.batch,
            lr=args.lr,
            eval_every=args.eval_every,
            stop_at=args.stop_at,
        )
        if args.state:
            args.state.parent.mkdir(parents=True, exist_ok=True)
            torch.save(model.state_dict(), args.state)
        print(
            f"trained {result.steps} steps in {result.seconds / 60:.1f} min "
            f"(drawing {result.draw_seconds:.0f} s), stopped by {result.stopped_by}"
        )

    model.eval()
    test_plain = recall_at_1(model, tokenizer, draw_galleries("test-plain", PLAIN_BACKGROUNDS, 5))
    test_busy = recall_at_1(model, tokenizer, draw_galleries("test-busy", BUSY_BACKGROUNDS, 5))
    with tempfile.TemporaryDirectory() as tmp:
        test_photo = recall_at_1(model, tokenizer, photo_galleries(Path(tmp), 2))
    n = len(combos())
    print(
        f'held-out text->image Recall@1 ({n} queries "{QUERY.format("{colour}", "{shape}")}"):'
        f" plain backgrounds {test_plain:.3f}, busy backgrounds {test_busy:.3f},"
        f" make_photo JPEGs {test_photo:.3f}"
    )
    if min(test_plain, test_busy, test_photo) < 0.9:
        print("Recall@1 is below 0.9: not exporting", file=sys.stderr)
        return 1
    if not args.no_export:
        folder = export(model, tokenizer, args.out)
        size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
        print(f"exported {folder} ({size / 2**20:.2f} MiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

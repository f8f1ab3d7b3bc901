"""`photofind duplicates` in a subprocess on real files: an exact copy, a copy in another folder,
a resized copy, a re-encoded JPEG, the same picture as PNG and WebP and stored rotated with an
EXIF orientation make one group, the biggest first; unrelated photos and a broken file do not."""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

from PIL import Image

from photofind.testing.synthetic import make_photo
from tests.e2e.test_cli import run

ORIENTATION = 0x0112


def test_copies_resizes_re_encodes_and_rotations_make_one_group(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    photos = tmp_path / "photos"
    original = make_photo(photos / "red-circle.jpg", "red", "circle", seed=3, size=(1600, 1200))
    (photos / "sub").mkdir()
    shutil.copy(original, photos / "red-circle copy.jpg")
    shutil.copy(original, photos / "sub" / "red-circle.jpg")
    with Image.open(original) as img:
        img.resize((400, 300)).save(photos / "red-circle small.jpg", quality=90)
        img.save(photos / "red-circle q40.jpg", quality=40)
        img.save(photos / "red-circle.png")
        img.save(photos / "red-circle.webp", quality=80)
        exif = Image.Exif()
        exif[ORIENTATION] = 6  # stored turned a quarter left: viewers turn it back
        img.transpose(Image.Transpose.ROTATE_90).save(
            photos / "red-circle rotated.jpg", quality=90, exif=exif
        )
    make_photo(photos / "blue-square.jpg", "blue", "square", seed=4, size=(1600, 1200))
    make_photo(photos / "green-triangle.png", "green", "triangle", seed=5)
    make_photo(photos / "yellow-star.webp", "yellow", "star", seed=6)
    (photos / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a picture")
    library = tmp_path / "library"
    run("folders", "add", str(photos), library=library)
    run("index", library=library, model=tiny_model_dir)

    done = run("duplicates", "--json", library=library, model=tiny_model_dir)
    groups = json.loads(done.stdout)["groups"]
    assert len(groups) == 1, groups
    names = sorted(str(Path(f["path"]).relative_to(photos)) for f in groups[0])
    assert names == sorted(
        ["red-circle.jpg", "red-circle copy.jpg", "sub/red-circle.jpg", "red-circle small.jpg",
         "red-circle q40.jpg", "red-circle.png", "red-circle.webp", "red-circle rotated.jpg"]
    )  # fmt: skip
    assert (groups[0][0]["width"], groups[0][0]["height"]) == (1600, 1200)
    assert groups[0][-1]["width"] == 400, "the smallest copy comes last"

    text = run("duplicates", library=library, model=tiny_model_dir).stdout
    assert text.splitlines()[0] == "group 1 (8 photos)"
    strict = run("duplicates", "--threshold", "1", library=library, model=tiny_model_dir)
    listed = [line.split("  ")[1] for line in strict.stdout.splitlines() if line.startswith("  ")]
    byte_copies = {Path(path).name for path in listed}
    assert {"red-circle copy.jpg", "red-circle.jpg"} <= byte_copies
    assert "red-circle small.jpg" not in byte_copies


def test_a_burst_that_drifts_is_not_chained_into_one_group(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    """Eight shots, each a little further from a red circle towards a blue square: each is a
    near-copy of the next, the first and the last are not. No group may hold both, and every
    photo in a group is a near-copy of the one it says to keep (listed first)."""
    photos, library = tmp_path / "photos", tmp_path / "library"
    start = make_photo(tmp_path / "start.png", "red", "circle", seed=1)
    end = make_photo(tmp_path / "end.png", "blue", "square", seed=2)
    photos.mkdir()
    with Image.open(start) as a, Image.open(end) as b:
        first, last = a.convert("RGB"), b.convert("RGB")
        for i in range(8):
            Image.blend(first, last, i * 0.04).save(photos / f"shot{i}.jpg", quality=92)
    run("folders", "add", str(photos), library=library)
    run("index", library=library, model=tiny_model_dir)

    def scores(name: str) -> dict[str, float]:
        done = run("similar", str(photos / name), "--all", "--json", library=library,
                   model=tiny_model_dir)  # fmt: skip
        return {Path(h["path"]).name: h["score"] for h in json.loads(done.stdout)["hits"]}

    threshold = 0.97
    shots = [f"shot{i}.jpg" for i in range(8)]
    # The chain this test is about, as the model sees these photos:
    assert all(scores(a)[b] >= threshold for a, b in itertools.pairwise(shots)), "no chain"
    assert scores(shots[0])[shots[-1]] < threshold, "the ends are near-copies: no chain"

    done = run("duplicates", "--json", "--threshold", str(threshold), library=library,
               model=tiny_model_dir)  # fmt: skip
    groups = [[Path(f["path"]).name for f in g] for g in json.loads(done.stdout)["groups"]]
    assert groups, "the near-copies make groups"
    assert not any({shots[0], shots[-1]} <= set(g) for g in groups), groups
    for kept, *others in groups:
        near = scores(kept)
        assert all(near[o] >= threshold - 1e-6 for o in others), (kept, others, near)
    grouped = [name for g in groups for name in g]
    assert len(grouped) == len(set(grouped)), "a photo is in one group at most"

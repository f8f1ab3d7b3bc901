"""Thumbnail loaders sharing one cache: the window's grid and its Things sidebar (and the
near-duplicates dialog) each have one, and a Things sample is often on screen in the grid
too, so two pool threads make the same thumbnail at the same moment."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from photofind.gui.app import create_app
from photofind.gui.thumbnails import ThumbnailLoader
from photofind.testing.synthetic import make_photo

TIMEOUT = 60_000
PHOTOS = 16
ROUNDS = 3  # before the fix about 7% of the thumbnails failed: a round of 32 shows it


def test_two_loaders_making_the_same_thumbnails_at_once_both_get_them(qtbot, tmp_path: Path):
    create_app([])
    photos = [
        make_photo(tmp_path / "photos" / f"p{n}.jpg", "red", "circle", seed=n)
        for n in range(PHOTOS)
    ]
    failed: list[int] = []
    ready: list[int] = []
    for round_ in range(ROUNDS):
        cache = tmp_path / f"cache{round_}"
        loaders = [ThumbnailLoader(cache, threads=2) for _ in range(2)]
        ready.clear()
        for loader in loaders:
            loader.signals.ready.connect(lambda file_id, _image: ready.append(file_id))
            loader.signals.failed.connect(failed.append)
        for n, photo in enumerate(photos):
            stat = Path(photo).stat()
            for loader in loaders:
                loader.request(n, Path(photo), stat.st_size, stat.st_mtime_ns)
        qtbot.waitUntil(lambda: len(ready) + len(failed) >= 2 * PHOTOS, timeout=TIMEOUT)
        for loader in loaders:
            loader.shutdown()
        assert failed == []
        assert sorted(ready) == sorted(list(range(PHOTOS)) * 2)
        made = sorted(cache.rglob("*.jpg"))
        assert len(made) == PHOTOS and not list(cache.rglob("*.tmp"))
        for path in made:
            with Image.open(path) as image:
                image.load()  # whole, not a mix of two writers

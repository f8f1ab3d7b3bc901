"""The thumbnail cache folder: its size, pruning the least recently used, clearing it."""

from __future__ import annotations

import os
from pathlib import Path

from photofind.library.thumbcache import ThumbnailCache


def _thumb(folder: Path, name: str, size: int, used: float) -> Path:
    path = folder / name[:2] / f"{name}.jpg"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    os.utime(path, (used, used))
    return path


def test_usage_prune_oldest_first_and_clear(tmp_path):
    cache = ThumbnailCache(tmp_path / "thumbs")
    assert cache.usage_bytes() == 0 and cache.prune(0) == 0, "a missing folder is empty"
    old = _thumb(cache.folder, "aa01", 1000, 1_000_000)
    mid = _thumb(cache.folder, "bb02", 1000, 2_000_000)
    new = _thumb(cache.folder, "bb03", 1000, 3_000_000)
    assert cache.usage_bytes() == 3000
    assert cache.prune(2500) == 1000
    assert not old.exists() and mid.exists() and new.exists(), "the oldest goes first"
    assert not old.parent.exists(), "an emptied subfolder goes too"
    assert cache.prune(5000) == 0, "under the limit nothing is deleted"
    assert cache.prune(1000) == 1000 and new.exists() and not mid.exists()
    assert cache.clear() == 1000
    assert cache.usage_bytes() == 0 and not cache.folder.exists()

"""Putting fetched files into a model's folder without keeping them twice.

The bytes themselves are fetched by huggingface_hub into the user's hub cache
(photofind/modelstore/hubclient.py); an install links them from there into a staging folder in
the published layout, for the layout's converter (photofind/modelstore/layouts.py).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Downloaded:
    """One fetched, verified file: its path in the repository and where its bytes are."""

    path: str
    file: Path
    sha256: str


def place(downloaded: list[Downloaded], target: Path) -> None:
    """Put the files into `target` at their paths: hard links where the file system allows
    (the hub cache keeps its copy, no byte is written twice), else copies."""
    for item in downloaded:
        destination = target / item.path
        destination.parent.mkdir(parents=True, exist_ok=True)
        source = item.file.resolve()  # the cache's snapshot entries are symlinks to blobs
        try:
            os.link(source, destination)
        except OSError:
            shutil.copyfile(source, destination)  # another file system, FAT/exFAT, ...

"""What a person takes away from a set of results: a copy of the files, or a list of them.

Plain functions on hits and paths (no Qt): the window runs them in a worker, and they raise
`PhotofindError` subclasses with one readable line; a file that fails is named, and the
ones before it stay copied.
"""

from __future__ import annotations

import csv
import math
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

from photofind.errors import PhotofindError
from photofind.search.query import Hit

LIST_COLUMNS = ("path", "date", "width", "height", "size", "camera", "score")


class ExportError(PhotofindError):
    """Copying photos or writing a list of them failed (disk full, no permission, ...)."""


def free_name(folder: Path, name: str) -> Path:
    """`folder/name`, or `folder/stem (2).ext` ... when that is taken: a copy never
    overwrites a photo already there."""
    target = folder / name
    stem, suffix = Path(name).stem, Path(name).suffix
    n = 2
    while target.exists():
        target = folder / f"{stem} ({n}){suffix}"
        n += 1
    return target


def copy_files(paths: Sequence[Path], folder: Path) -> list[Path]:
    """Copy each photo into `folder` (dates kept); returns where each went, in order."""
    if not folder.is_dir():
        raise ExportError(f"{folder} is not a folder")
    copied: list[Path] = []
    for path in paths:
        target = free_name(folder, path.name)
        try:
            shutil.copy2(path, target)
        except OSError as exc:
            raise ExportError(
                f"could not copy {path.name} to {folder} ({exc.strerror or exc}); "
                f"{len(copied)} of {len(paths)} copied"
            ) from exc
        copied.append(target)
    return copied


def write_list(hits: Sequence[Hit], target: Path) -> Path:
    """A list of the photos: CSV with their facts when `target` ends in .csv, else one path
    per line (for scripts and other apps)."""
    try:
        with open(target, "w", encoding="utf-8", newline="") as out:
            if target.suffix.lower() != ".csv":
                out.writelines(f"{hit.file.path}\n" for hit in hits)
                return target
            writer = csv.writer(out)
            writer.writerow(LIST_COLUMNS)
            for hit in hits:
                file = hit.file
                writer.writerow([
                    str(file.path),
                    time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(hit.date)),
                    file.width or "", file.height or "", file.size, file.camera or "",
                    "" if math.isnan(hit.score) else f"{hit.score:.4f}",
                ])  # fmt: skip
    except OSError as exc:
        raise ExportError(f"could not write {target} ({exc.strerror or exc})") from exc
    return target

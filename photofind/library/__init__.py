"""The library: catalog, vector index, scanner, indexer and watcher (no Qt).

Light to import: the catalog and vector index (numpy, sqlite3) load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from photofind.library import events
from photofind.library.home import LibraryPaths
from photofind.tasks import Progress, ProgressMeter, TaskControl

if TYPE_CHECKING:
    from photofind.library.catalog import Catalog, FileRecord, Folder, NewFile
    from photofind.library.metadata import ImageFacts
    from photofind.library.vectors import VectorIndex

_LAZY = {
    "Catalog": "photofind.library.catalog",
    "FileRecord": "photofind.library.catalog",
    "Folder": "photofind.library.catalog",
    "NewFile": "photofind.library.catalog",
    "ImageFacts": "photofind.library.metadata",
    "VectorIndex": "photofind.library.vectors",
}

__all__ = [
    "Catalog",
    "FileRecord",
    "Folder",
    "ImageFacts",
    "LibraryPaths",
    "NewFile",
    "Progress",
    "ProgressMeter",
    "TaskControl",
    "VectorIndex",
    "events",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

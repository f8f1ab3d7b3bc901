"""What photofind caches per model, found from the model's folder, so it goes with the model.

Two caches are derived from a model and named after it: its label text vectors (`textcache`,
named by a hash of its manifest and text graph) and its tokenizer's table for short queries
(`clip/bpetable.py`, named by the tokenizer file's path, size and mtime). Nothing else reads
them once the model is gone, and a model installed again at the same place writes new ones
(other files, other mtimes), so without this they would pile up in the cache folder. Thumbnails
are per library, not per model, and stay.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from photofind.errors import PhotofindError

if TYPE_CHECKING:
    from photofind.modelstore import ModelStore

log = logging.getLogger(__name__)


def cache_files(model_folder: Path, cache_dir: Path) -> set[Path]:
    """The cache files in `cache_dir` (photofind's cache folder) made for the model in
    `model_folder`; none when the folder cannot be read as a model."""
    from photofind.clip.bpetable import FOLDER, tables_of
    from photofind.clip.manifest import read_manifest
    from photofind.search import textcache

    found: set[Path] = set()
    try:
        manifest = read_manifest(model_folder)
        found.update(tables_of(Path(cache_dir) / FOLDER, manifest.path("tokenizer.json")))
        found.update(textcache.model_files(textcache.cache_folder(cache_dir), model_folder))
    except (PhotofindError, OSError, ValueError) as exc:
        log.warning("cannot tell which cache files are of the model %s: %s", model_folder, exc)
    return found


def remove_model(store: ModelStore, name: str, cache_dir: Path) -> list[Path]:
    """Delete the installed model `name` (ModelError if there is none) and then its cache
    files, but none that another installed model shares (the same model installed twice
    under two names has the same text vectors). Returns the cache files removed."""
    folder = store.get(name)
    mine = cache_files(folder, cache_dir)
    store.remove(name)
    for other in store.installed():
        mine -= cache_files(other.folder, cache_dir)
    removed = []
    for path in sorted(mine):
        try:
            path.unlink()
            removed.append(path)
        except FileNotFoundError:
            pass
        except OSError as exc:  # in use (Windows) or read-only: a cache, harmless to leave
            log.warning("cannot remove the cache file %s: %s", path, exc)
    return removed

"""The verified-files stamp: a model folder checked once by sha256 is trusted by size and mtime.

Hashing the 600 MB of a ViT-B folder takes about a second, which every start used to pay.
A full check (`verify_model_folder`, run at install and by `photofind model verify`) now
writes `STAMP` into the folder: each file's size, mtime and the sha256 it matched. A later
start compares sizes and mtimes with the stamp (and the stamp's hashes with the manifest's)
and hashes again only when something differs. A folder the app cannot write to keeps working;
it just hashes at every start, as before. See docs/design.md, "The model folder".
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from photofind.clip.manifest import Manifest, read_manifest, verify_model_folder

log = logging.getLogger(__name__)

STAMP = ".verified.json"
_VERSION = 1


def _facts(manifest: Manifest) -> dict[str, list[int | str]] | None:
    """{name: [size, mtime_ns, expected sha256]} for every listed file, None if one is gone."""
    facts: dict[str, list[int | str]] = {}
    for name, expected in manifest.files.items():
        try:
            info = manifest.path(name).stat()
        except OSError:
            return None
        facts[name] = [info.st_size, info.st_mtime_ns, expected.lower()]
    return facts


def stamp_matches(manifest: Manifest) -> bool:
    """Whether the stamp vouches for every listed file as it is now on disk."""
    try:
        data = json.loads((manifest.folder / STAMP).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    facts = _facts(manifest)
    return (
        isinstance(data, dict)
        and data.get("version") == _VERSION
        and facts is not None
        and data.get("files") == facts
    )


def write_stamp(manifest: Manifest) -> None:
    """Record the files a full check has just passed (`verify_model_folder` calls this);
    best effort: a read-only folder stays unstamped."""
    facts = _facts(manifest)
    if facts is None:
        return
    path = manifest.folder / STAMP
    part = path.with_name(f"{STAMP}.{os.getpid()}.part")
    try:
        part.write_text(json.dumps({"version": _VERSION, "files": facts}), encoding="utf-8")
        os.replace(part, path)
    except OSError as exc:
        log.debug("cannot write %s: %s", path, exc)
        part.unlink(missing_ok=True)


def check_model_folder(folder: Path | str) -> Manifest:
    """The check every start runs: trust the stamp when it matches, else hash and stamp."""
    manifest = read_manifest(folder)
    if stamp_matches(manifest):
        return manifest
    log.info("checking the files of %s (sha256)", manifest.name)
    return verify_model_folder(folder)  # writes the stamp when it passes

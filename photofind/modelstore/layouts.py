"""Published model layouts and how each becomes photofind's model folder (docs/design.md).

A registry entry's `source.kind` names the layout it is published in (Immich's export, rclip's
folder, ...). The download code asks this module which files of the source repository to
fetch and hands the fetched folder back for conversion; importing a folder from disk asks it
which layout the folder is in. One table, so a new layout is one module and one row here.

| kind     | module     | published as                                                    |
|----------|------------|-----------------------------------------------------------------|
| `immich` | immich.py  | immich-app/<arch>__<tag>: CLIP BPE, SentencePiece (SigLIP 2) or |
|          |            | XLM-R tokenizers; weights in external data files past 2 GB      |
| `rclip`  | rclip.py   | yurijmikhalevich/rclip-models: a model folder beside tokenizer/ |

SigLIP 2 exports are Immich folders whose config names a Hugging Face tokenizer: the same
kind, told apart by the facts immich.py reads (docs/models.md, "Layouts").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from photofind.modelstore import immich, rclip


def kind_of_entry(entry: dict[str, Any]) -> str | None:
    """The published layout a registry entry installs from, or None for photofind's own."""
    source = entry.get("source") or {}
    kind = source.get("kind")
    return kind if kind in _KINDS else None


def kind_of_folder(folder: Path) -> str | None:
    """The published layout a folder on disk is in, or None when it is none we convert."""
    if rclip.is_rclip_folder(folder):
        return rclip.KIND
    if immich.is_immich_folder(folder):
        return immich.KIND
    return None


def wanted_files(entry: dict[str, Any]) -> list[str]:
    """Paths inside the source repository (relative to its subfolder) an install fetches;
    a path with "*" (fnmatch) stands for every file it matches. The entry's own `files` win;
    without them, the layout's list (tests/core/test_registry.py keeps the two equal)."""
    if entry.get("files"):
        return [item["path"] for item in entry["files"]]
    kind = kind_of_entry(entry)
    return _WANTED[kind](entry) if kind is not None else []


def convert(
    kind: str,
    source: Path,
    work: Path,
    *,
    name: str,
    entry: dict[str, Any] | None = None,
    move: bool = False,
    hashes: dict[str, str] | None = None,
) -> None:
    """Write photofind's model folder into `work` from `source`, a folder in layout `kind`.

    `move` lets the converter take files instead of copying them (a download area is not kept
    twice); `hashes` (path in `source` -> sha256) are those a download already checked.
    Raises ModelFolderError when the export cannot be used.
    """
    facts: dict[str, Any] = {}
    if entry is not None:
        origin = entry.get("source") or {}
        facts = {
            "arch": entry.get("arch"),
            "pretrained": entry.get("pretrained"),
            "license": entry.get("license", ""),
            "multilingual": entry.get("multilingual"),
            "origin": {"repo": origin.get("repo"), "revision": origin.get("revision", "main")},
        }
        if origin.get("model_folder"):
            facts["origin"]["model_folder"] = origin["model_folder"]
    _KINDS[kind](source, work, name=name, move=move, hashes=hashes, **facts)


_KINDS = {immich.KIND: immich.convert, rclip.KIND: rclip.convert}
_WANTED = {immich.KIND: immich.wanted_files, rclip.KIND: rclip.wanted_files}

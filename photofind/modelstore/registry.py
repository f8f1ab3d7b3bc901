"""The models photofind knows how to install (photofind/modelstore/registry.json)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from photofind.errors import ModelError


@cache
def load_catalog() -> dict[str, Any]:
    text = resources.files("photofind.modelstore").joinpath("registry.json").read_text("utf-8")
    return json.loads(text)


def entries() -> list[dict[str, Any]]:
    return list(load_catalog()["models"])


def find_entry(name: str) -> dict[str, Any]:
    for entry in entries():
        if entry["name"] == name:
            return entry
    known = ", ".join(e["name"] for e in entries())
    raise ModelError(f"no model named {name!r} in the catalog (known: {known})")


def default_name() -> str:
    return str(load_catalog()["default"])


def downloadable(entry: dict[str, Any]) -> bool:
    return bool(entry.get("files")) or bool((entry.get("source") or {}).get("kind"))


def multilingual(entry: dict[str, Any]) -> bool:
    """Whether queries in other languages than English work (the text encoder saw them)."""
    return bool(entry.get("multilingual"))


def recommended_multilingual() -> str | None:
    """The downloadable multilingual model to offer someone whose language is not English:
    the best COCO text->image R@1 among them, a model without figures last."""
    ready = [e for e in entries() if multilingual(e) and downloadable(e)]
    if not ready:
        return None

    def coco(entry: dict[str, Any]) -> float:
        quality = entry.get("quality") or {}
        return float((quality.get("coco_text_to_image_recall") or {}).get("r1") or 0.0)

    return str(max(ready, key=coco)["name"])


def recommended() -> str:
    """What a first run should offer: the default, or the first model one can download."""
    ready = [e["name"] for e in entries() if downloadable(e)]
    name = default_name()
    return name if name in ready or not ready else ready[0]


def summary(entry: dict[str, Any]) -> str:
    """One line for pickers: size, speed, headline quality figures, licence."""
    quality = entry.get("quality") or {}
    top1 = quality.get("imagenet_zero_shot_top1")
    coco = (quality.get("coco_text_to_image_recall") or {}).get("r1")
    figures = f"ImageNet {top1:.1%}, COCO R@1 {coco:.1%}" if top1 and coco else "no figures"
    ready = (
        ""
        if downloadable(entry)
        else (f", not published: `photofind model build {entry['arch']} {entry['pretrained']}`")
    )
    size = entry.get("download_bytes")
    megabytes = f"{size / 1e6:.0f} MB" if size else "size unknown"
    languages = ", multilingual" if multilingual(entry) else ""
    return f"{megabytes}, {entry['speed']}{languages}, {figures}, {entry['license']}{ready}"

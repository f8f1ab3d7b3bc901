"""The licence notices of photofind and of everything it runs on, for About > Licences.

Two sources, one shape (`Notice`): in a pip install, the installed distributions' metadata
(photofind and its runtime dependencies, followed through their own requirements); in the
frozen bundle, which carries no dist-info, `assets/licences.json`, written from that same
metadata at build time by packaging/photofind.spec (with Python's own licence added). Where a
distribution ships no licence file (PySide6, tokenizers, flatbuffers publish only a licence
name), the standard text of the licence it names comes from `assets/licences/`.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import cast

from packaging.markers import default_environment
from packaging.requirements import InvalidRequirement, Requirement

ASSETS = Path(__file__).resolve().parent / "assets"
BUNDLED = ASSETS / "licences.json"
_LICENCE_FILE = re.compile(
    r"^(LICEN[CS]ES?|COPYING|NOTICE|THIRDPARTYNOTICES)([-_.][\w.-]*)?$", re.IGNORECASE
)
_NOT_TEXT = (".py", ".pyc", ".so", ".pyd", ".dll", ".dylib", ".json")
# Standard texts for what a distribution names without shipping (word in its licence: files).
_STANDARD = (
    ("LGPL", ("LGPL-3.0.txt", "GPL-3.0.txt")),  # the LGPL is a set of additions to the GPL
    ("Apache", ("Apache-2.0.txt",)),
)


@dataclass(frozen=True)
class Notice:
    """One component: its name, version, licence name and the full texts that go with it."""

    name: str
    version: str
    licence: str
    texts: tuple[tuple[str, str], ...]  # (file name, text)

    @classmethod
    def from_json(cls, item: dict) -> Notice:
        texts = tuple((str(n), str(t)) for n, t in item["texts"])
        return cls(item["name"], item["version"], item["licence"], texts)


def _key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _licence_name(dist: metadata.Distribution) -> str:
    meta = dist.metadata
    # Python's PackageMetadata protocol leaves out get(); the object is an email Message.
    for value in (meta.get("License-Expression"), meta.get("License")):  # type: ignore[attr-defined]
        if value and len(value) < 100 and "\n" not in value.strip():
            return value.strip()
    classifiers = [c.split(" :: ")[-1] for c in meta.get_all("Classifier") or [] if
                   c.startswith("License ::")]  # fmt: skip
    return ", ".join(classifiers) or "see the texts"


def _is_licence_file(file: metadata.PackagePath) -> bool:
    name = file.name
    return (
        bool(_LICENCE_FILE.match(name))
        and not name.lower().endswith(_NOT_TEXT)
        and "/tests/" not in f"/{file}"
    )


def _texts(dist: metadata.Distribution, licence: str) -> tuple[tuple[str, str], ...]:
    found = []
    for file in filter(_is_licence_file, dist.files or []):
        try:
            found.append(
                (str(file), Path(str(dist.locate_file(file))).read_text("utf-8", "replace"))
            )
        except OSError:
            continue
    if not found:
        for word, names in _STANDARD:
            if word.lower() in licence.lower():
                found = [(n, (ASSETS / "licences" / n).read_text("utf-8")) for n in names]
                break
    return tuple(found)


def _checkout_licence() -> tuple[tuple[str, str], ...]:
    """photofind run from a checkout without an install: the repository's LICENSE."""
    path = ASSETS.parent.parent / "LICENSE"
    return (("LICENSE", path.read_text("utf-8")),) if path.is_file() else ()


def installed_notices(root: str = "photofind") -> list[Notice]:
    """`root` and its runtime dependencies (no extras) as installed in this environment."""
    env = default_environment()
    seen: dict[str, Notice] = {}
    todo = [root]
    while todo:
        name = todo.pop()
        if _key(name) in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        licence = _licence_name(dist)
        texts = _texts(dist, licence) or (_checkout_licence() if name == root else ())
        seen[_key(name)] = Notice(dist.metadata["Name"], dist.version, licence, texts)
        for line in dist.requires or []:
            try:
                req = Requirement(line)
            except InvalidRequirement:
                continue
            if req.marker is None or req.marker.evaluate(
                {**cast("dict[str, str]", env), "extra": ""}
            ):
                todo.append(req.name)
    first = seen.pop(_key(root), None)
    rest = sorted(seen.values(), key=lambda n: n.name.lower())
    return ([first] if first else []) + rest


def python_notice() -> Notice:
    """The interpreter itself, which the bundle carries."""
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    base = Path(sys.base_prefix)  # Linux and macOS keep it in lib/pythonX.Y, Windows at the top
    for path in (base / "lib" / version / "LICENSE.txt", base / "LICENSE.txt"):
        if path.is_file():
            return Notice("Python", sys.version.split()[0], "PSF-2.0",
                          (("LICENSE.txt", path.read_text("utf-8")),))  # fmt: skip
    return Notice("Python", sys.version.split()[0], "PSF-2.0", ())


def notices() -> list[Notice]:
    """What About > Licences shows: the bundle's list when there is one, else the installed."""
    if BUNDLED.is_file():
        return [Notice.from_json(item) for item in json.loads(BUNDLED.read_text("utf-8"))]
    return installed_notices()


def to_json(items: list[Notice]) -> str:
    return json.dumps([asdict(n) for n in items], ensure_ascii=False, indent=0)

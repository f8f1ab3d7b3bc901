"""Installed models: one model folder per name under the library's models/ folder.

A model is installed by copying or downloading into a temporary folder next to its final
place, verifying every file, and renaming it into place: a model folder that exists is a
complete one. The active model's name is kept in `models/active`.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from photofind.clip.manifest import Manifest, read_manifest, verify_model_folder
from photofind.errors import ModelError, ModelFolderError

log = logging.getLogger(__name__)

ACTIVE = "active"
TEMP_PREFIX = ".incoming-"


@dataclass(frozen=True)
class InstalledModel:
    name: str
    folder: Path
    manifest: Manifest


class ModelStore:
    """The models a user has, and which one is in use."""

    def __init__(self, models_dir: Path) -> None:
        self.root = Path(models_dir)

    def _ensure(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)

    def installed(self) -> list[InstalledModel]:
        """Complete, readable model folders (damaged ones are logged and left out)."""
        if not self.root.is_dir():
            return []
        found = []
        for folder in sorted(self.root.iterdir()):
            if not folder.is_dir() or folder.name.startswith("."):
                continue
            try:
                found.append(InstalledModel(folder.name, folder, read_manifest(folder)))
            except ModelFolderError as exc:
                log.warning("skipping %s: %s", folder, exc)
        return found

    def get(self, name: str) -> Path:
        folder = self.root / name
        if not _safe_name(name) or not (folder / "manifest.json").is_file():
            raise ModelError(f"no installed model named {name!r} (see `photofind model list`)")
        return folder

    def active_name(self) -> str | None:
        """The model in use; falls back to the only installed one."""
        try:
            name = (self.root / ACTIVE).read_text(encoding="utf-8").strip()
        except OSError:
            name = ""
        names = [m.name for m in self.installed()]
        if name in names:
            return name
        return names[0] if len(names) == 1 else None

    def use(self, name: str) -> None:
        self.get(name)
        self._ensure()
        _write_atomic(self.root / ACTIVE, name + "\n")

    def verify(self, name: str) -> Manifest:
        """Check every file's sha256; ModelFolderError names a damaged one."""
        return verify_model_folder(self.get(name))

    def remove(self, name: str) -> None:
        folder = self.get(name)
        trash = self.root / f"{TEMP_PREFIX}removed-{name}"
        shutil.rmtree(trash, ignore_errors=True)
        folder.rename(trash)  # atomic: the model is gone at once, however big
        shutil.rmtree(trash, ignore_errors=True)
        if self.active_name() is None:
            (self.root / ACTIVE).unlink(missing_ok=True)

    def import_folder(self, source: Path, *, name: str | None = None) -> InstalledModel:
        """Copy a model folder made by models/export_onnx.py (verified before and after), or
        convert one in Immich's layout (a download from its hub, or an Immich server's cache)."""
        from photofind.models import immich

        source = Path(source)
        if not (source / "manifest.json").exists() and immich.is_immich_folder(source):
            name = name or source.name
            return self.install_from(lambda work: immich.convert(source, work, name=name), name)
        manifest = verify_model_folder(source)
        name = name or manifest.name
        return self.install_from(lambda work: _copy_tree(source, work), name)

    def install_from(self, fill: Callable[[Path], None], name: str) -> InstalledModel:
        """Run `fill(work_dir)`, verify the result, then rename it into place."""
        if not _safe_name(name):
            raise ModelError(f"bad model name {name!r}")
        self._ensure()
        work = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{name}-", dir=self.root))
        try:
            fill(work)
            verify_model_folder(work)
            target = self.root / name
            if target.exists():
                old = self.root / f"{TEMP_PREFIX}old-{name}"
                shutil.rmtree(old, ignore_errors=True)
                target.rename(old)
                work.rename(target)
                shutil.rmtree(old, ignore_errors=True)
            else:
                work.rename(target)
        except OSError as exc:
            raise ModelError(f"cannot install {name}: {exc.strerror or exc}") from None
        finally:
            shutil.rmtree(work, ignore_errors=True)
        if self.active_name() is None or not (self.root / ACTIVE).exists():
            self.use(name)
        return InstalledModel(name, target, read_manifest(target))

    def install(self, name: str, *, progress=None, control=None) -> InstalledModel:
        """Download a model listed in the package's model catalog."""
        from photofind.models import immich
        from photofind.models.catalog import find_entry
        from photofind.models.download import download_entry

        entry = find_entry(name)
        fill = immich.install_from_hub if immich.is_immich_entry(entry) else download_entry
        parts = self.root / ".downloads" / name
        installed = self.install_from(
            lambda work: fill(entry, work, parts, progress, control), name
        )
        shutil.rmtree(parts, ignore_errors=True)  # every part went into the model
        return installed


def _safe_name(name: str) -> bool:
    return bool(name) and not name.startswith(".") and "/" not in name and "\\" not in name


def _copy_tree(source: Path, target: Path) -> None:
    for path in source.rglob("*"):
        relative = path.relative_to(source)
        if path.is_dir():
            (target / relative).mkdir(parents=True, exist_ok=True)
        else:
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target / relative)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as stream:
        stream.write(text)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(tmp, path)

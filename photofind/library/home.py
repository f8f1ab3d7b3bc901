"""Where one photofind library lives on disk: every path comes from one frozen `LibraryPaths`."""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from photofind.errors import LibraryError

HOME_ENV = "PHOTOFIND_HOME"
APP_DIR_NAME = "photofind"
_MODEL_NAME = re.compile(r"[A-Za-z0-9._-]+")


def default_home() -> Path:
    """The platform's per-user data folder for photofind (no env override, nothing created)."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / APP_DIR_NAME
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / APP_DIR_NAME
    xdg = os.environ.get("XDG_DATA_HOME", "")
    # The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".local" / "share"
    return base / APP_DIR_NAME


@dataclass(frozen=True)
class LibraryPaths:
    """Every file of one library; made once by the front end and passed to constructors.

    Thread-safe (immutable). `resolve` creates the folders so later code can just open files.
    """

    home: Path
    catalog: Path
    vectors_dir: Path
    thumbnails_dir: Path
    models_dir: Path
    index_lock: Path

    @classmethod
    def at(cls, home: Path) -> LibraryPaths:
        """The layout inside `home`, without touching the disk."""
        home = Path(home).expanduser().absolute()
        return cls(
            home=home,
            catalog=home / "catalog.sqlite",
            vectors_dir=home / "vectors",
            thumbnails_dir=home / "thumbnails",
            models_dir=home / "models",
            index_lock=home / "index.lock",
        )

    @classmethod
    def resolve(cls, explicit: Path | None = None) -> LibraryPaths:
        """Home = `explicit` (--library), else $PHOTOFIND_HOME, else the platform data folder.

        Creates the folder tree; raises LibraryError when it cannot (read-only disk, a file in
        the way, no permission).
        """
        if explicit is not None:
            home = Path(explicit)
        elif os.environ.get(HOME_ENV):
            home = Path(os.environ[HOME_ENV])
        else:
            home = default_home()
        paths = cls.at(home)
        paths.ensure()
        return paths

    def ensure(self) -> None:
        """Create the library folders if missing."""
        for folder in (self.home, self.vectors_dir, self.thumbnails_dir, self.models_dir):
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except FileExistsError:
                raise LibraryError(
                    f"cannot use {folder} as a library folder: a file is in the way"
                ) from None
            except OSError as exc:
                raise LibraryError(
                    f"cannot create the library folder {folder}: {exc.strerror or exc}"
                ) from exc
            if not folder.is_dir():
                raise LibraryError(f"cannot use {folder} as a library folder: not a directory")

    def vector_file(self, model_name: str) -> Path:
        """The vector index file of one model (its JSON sidecar sits beside it)."""
        if not _MODEL_NAME.fullmatch(model_name) or model_name in {".", ".."}:
            raise LibraryError(f"invalid model name {model_name!r}")
        return self.vectors_dir / f"{model_name}.index"

"""Where one photofind library lives on disk: every path comes from one frozen `LibraryPaths`.

Three kinds of folder, each where the platform keeps that kind (through `platformdirs`, which
knows XDG on Linux, ~/Library on macOS and the known folders on Windows):

- data: the library itself (catalog, vector index, installed models), `user_data_dir`;
- cache: what can be rebuilt at any time (thumbnails), `user_cache_dir`, so backup and
  cleaning tools treat it as a cache;
- logs: the rotating log file (`photofind.logs`), `user_log_dir`.

`--library DIR` or $PHOTOFIND_HOME puts all three inside that one folder (`cache/`, `logs/`),
so tests and portable installs stay self-contained and nothing lands elsewhere.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from photofind.errors import LibraryError

log = logging.getLogger(__name__)

HOME_ENV = "PHOTOFIND_HOME"
APP_DIR_NAME = "photofind"
LOG_NAME = "photofind.log"
_MODEL_NAME = re.compile(r"[A-Za-z0-9._-]+")


def _legacy_home() -> Path:
    """The data folder photofind computed by hand before it used platformdirs."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / APP_DIR_NAME
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / APP_DIR_NAME
    xdg = os.environ.get("XDG_DATA_HOME", "")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".local" / "share"
    return base / APP_DIR_NAME


def default_home() -> Path:
    """The platform's per-user data folder for photofind (no env override, nothing created).

    A library already at the folder older versions chose is kept in use where the two differ
    (possible on Windows, where the old rule read %LOCALAPPDATA% and platformdirs asks the
    shell): moving a library could split it from a second photofind still running on it.
    """
    home = Path(platformdirs.user_data_dir(APP_DIR_NAME, appauthor=False))
    legacy = _legacy_home()
    old_library = (legacy / "catalog.sqlite").exists()
    if legacy != home and old_library and not (home / "catalog.sqlite").exists():
        return legacy
    return home


def default_cache_dir() -> Path:
    """The platform's per-user cache folder for photofind (rebuildable files only)."""
    return Path(platformdirs.user_cache_dir(APP_DIR_NAME, appauthor=False))


def default_log_dir() -> Path:
    """The platform's per-user log folder for photofind."""
    return Path(platformdirs.user_log_dir(APP_DIR_NAME, appauthor=False))


@dataclass(frozen=True)
class LibraryPaths:
    """Every file of one library; made once by the front end and passed to constructors.

    Thread-safe (immutable). `resolve` creates the library folders so later code can just
    open files; the cache and log folders are made by whoever first writes there.
    """

    home: Path
    catalog: Path
    vectors_dir: Path
    models_dir: Path
    index_lock: Path
    cache_dir: Path  # rebuildable: deleting it loses nothing
    thumbnails_dir: Path  # inside cache_dir
    log_file: Path  # photofind.logs rotates it beside itself

    @classmethod
    def at(
        cls, home: Path, *, cache_dir: Path | None = None, log_dir: Path | None = None
    ) -> LibraryPaths:
        """The layout inside `home` (cache and logs too, unless given), without touching the
        disk."""
        home = Path(home).expanduser().absolute()
        cache = Path(cache_dir).absolute() if cache_dir is not None else home / "cache"
        logs = Path(log_dir).absolute() if log_dir is not None else home / "logs"
        return cls(
            home=home,
            catalog=home / "catalog.sqlite",
            vectors_dir=home / "vectors",
            models_dir=home / "models",
            index_lock=home / "index.lock",
            cache_dir=cache,
            thumbnails_dir=cache / "thumbnails",
            log_file=logs / LOG_NAME,
        )

    @classmethod
    def locate(cls, explicit: Path | None = None) -> LibraryPaths:
        """Home = `explicit` (--library), else $PHOTOFIND_HOME, else the platform data folder
        (with the platform's cache and log folders). Nothing is created."""
        if explicit is not None:
            return cls.at(Path(explicit))
        if os.environ.get(HOME_ENV):
            return cls.at(Path(os.environ[HOME_ENV]))
        return cls.at(default_home(), cache_dir=default_cache_dir(), log_dir=default_log_dir())

    @classmethod
    def resolve(cls, explicit: Path | None = None) -> LibraryPaths:
        """`locate`, then create the library folders; raises LibraryError when it cannot
        (read-only disk, a file in the way, no permission)."""
        paths = cls.locate(explicit)
        paths.ensure()
        return paths

    def ensure(self) -> None:
        """Create the library folders if missing; drop the thumbnail cache older versions
        kept inside the library (`home/thumbnails`), now that it lives in `cache_dir`."""
        for folder in (self.home, self.vectors_dir, self.models_dir):
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
        old = self.home / "thumbnails"
        if old != self.thumbnails_dir and old.is_dir() and not old.is_symlink():
            log.info("removing the old thumbnail cache %s (now in %s)", old, self.cache_dir)
            shutil.rmtree(old, ignore_errors=True)  # a read-only library keeps it, harmlessly

    def vector_file(self, model_name: str) -> Path:
        """The vector index file of one model (its JSON sidecar sits beside it)."""
        if not _MODEL_NAME.fullmatch(model_name) or model_name in {".", ".."}:
            raise LibraryError(f"invalid model name {model_name!r}")
        return self.vectors_dir / f"{model_name}.index"

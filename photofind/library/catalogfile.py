"""The catalog file before SQLite opens it: checked, created whole, or opened read-only.

A new catalog is built under a temporary name and linked into place only once its schema is
complete, so `catalog.sqlite` is never an empty or half-made file that photofind wrote. An
existing `catalog.sqlite` that is empty (0 bytes) or not an SQLite file is therefore damage
(a disk fault, a sync or copy that did not finish): it is refused and left untouched, never
taken for a new library and overwritten.

A catalog on read-only media (or without write permission) is opened read-only so it can be
searched: SQLite's `mode=ro`, plus `immutable=1` when its folder is not writable either and no
WAL was left behind, since a WAL database otherwise needs to create its `-shm` file beside it.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from photofind.atomicfile import fsync_dir, fsync_file
from photofind.errors import CatalogError

log = logging.getLogger(__name__)

SQLITE_HEADER = b"SQLite format 3\x00"
STALE_AFTER = 300.0  # seconds after which a leftover temporary catalog is deleted


def check_existing(path: Path) -> bool:
    """True when `path` exists and is an SQLite file; False when it does not exist.

    Raises CatalogError for an empty file or one that is not SQLite (left untouched).
    """
    try:
        with open(path, "rb") as file:
            head = file.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return False
    except IsADirectoryError:
        raise CatalogError(f"the catalog {path} is a folder, not a file") from None
    except OSError as exc:
        raise CatalogError(f"cannot read the catalog {path}: {exc.strerror or exc}") from exc
    keep = "left untouched: restore it from a backup, or move it away to start a new library"
    if not head:
        raise CatalogError(
            f"the catalog {path} is empty (0 bytes), so it is damaged (a disk fault or an "
            f"unfinished copy); {keep}"
        )
    if head != SQLITE_HEADER:
        raise CatalogError(f"the catalog {path} is not an SQLite database file; {keep}")
    return True


def writable(path: Path) -> tuple[bool, bool]:
    """(the file is writable, its folder is writable); a read-only mount makes both False."""
    return os.access(path, os.W_OK), os.access(path.parent, os.W_OK)


def read_only_uri(path: Path, folder_writable: bool) -> str:
    """SQLite URI for reading `path` without writing anything beside it.

    In a read-only folder SQLite cannot create the `-shm` file a WAL database needs, so the
    file is opened as immutable, unless a `-wal` (left by a writer that was killed) and its
    `-shm` are there: then plain mode=ro reads them, and the commits only in the WAL count.
    """
    uri = "file:" + quote(str(Path(path).absolute()).replace(os.sep, "/")) + "?mode=ro"
    if folder_writable:
        return uri
    wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
    with contextlib.suppress(OSError):
        if wal.stat().st_size > 0 and shm.is_file():
            return uri
    return uri + "&immutable=1"


def create(path: Path, initialise: Callable[[sqlite3.Connection], None]) -> None:
    """Make a new catalog at `path`: `initialise` runs on a temporary file that is linked into
    place when done. Another process creating it at the same time wins quietly."""
    _remove_stale(path)
    temp = path.with_name(f".{path.name}.new-{os.getpid()}-{time.monotonic_ns()}")
    try:
        conn = sqlite3.connect(temp, isolation_level=None)
        try:
            initialise(conn)
            # Everything into the file itself before it is linked: a checkpoint that failed
            # silently at close (a full disk) would leave the schema in a WAL never linked.
            busy, log_pages, done = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if busy or (log_pages > 0 and done != log_pages):
                raise sqlite3.OperationalError("the new catalog could not be written out")
            if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.OperationalError("the new catalog did not read back correctly")
        finally:
            conn.close()
        with contextlib.suppress(OSError):  # best effort, as for the folder below
            fsync_file(temp)
        try:
            os.link(temp, path)  # fails if the catalog appeared meanwhile: never replace it
        except FileExistsError:
            return
        except OSError:  # no hard links (FAT, exFAT): rename, which may replace on POSIX
            if path.exists():
                return
            os.rename(temp, path)
        with contextlib.suppress(OSError):  # the file is in place; durability is best effort
            fsync_dir(path.parent)
    except (sqlite3.Error, OSError) as exc:
        why = getattr(exc, "strerror", None) or exc
        if "full" in str(why).lower() or getattr(exc, "errno", None) == errno.ENOSPC:
            raise CatalogError(
                f"the disk holding {path.parent} is full: free some space and try again"
            ) from exc
        raise CatalogError(
            f"cannot open the catalog {path} to create it ({why}): check that its folder "
            "exists and is writable, and that the disk has space"
        ) from exc
    finally:
        for leftover in (temp, Path(f"{temp}-wal"), Path(f"{temp}-shm")):
            with contextlib.suppress(OSError):
                leftover.unlink()


def _remove_stale(path: Path) -> None:
    """Temporary catalogs of a creation killed half-way."""
    now = time.time()
    for stale in path.parent.glob(f".{path.name}.new-*"):
        with contextlib.suppress(OSError):
            if now - stale.stat().st_mtime > STALE_AFTER:
                stale.unlink()
                log.info("removed %s, left by an interrupted catalog creation", stale)

"""Finding what changed on disk: new, changed, deleted, and moved or renamed photos.

All online folders are walked first and reconciled together, so a photo moved from one
library folder to another is recognised by its partial content hash and keeps its id and
vector instead of being deleted and encoded again. A folder whose root has gone (unplugged
drive) is marked offline and nothing of it is deleted.
"""

from __future__ import annotations

import fnmatch
import logging
import os
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from photofind.clip.images import IMAGE_SUFFIXES
from photofind.errors import Cancelled
from photofind.library.catalog import Catalog
from photofind.library.events import ProgressCallback, ProgressMeter, TaskControl
from photofind.library.metadata import quick_hash
from photofind.library.records import FileRecord, Folder, NewFile

log = logging.getLogger(__name__)

# Folders no one keeps photos in: OS trash and indexes, NAS thumbnail caches.
SYSTEM_DIRS = frozenset(
    {"$recycle.bin", "system volume information", "lost+found", "@eadir", "#recycle",
     "__macosx", "node_modules", "$rbvr", ".trashes", ".spotlight-v100", ".fseventsd"}
)  # fmt: skip
ADD_BATCH = 500


@dataclass(frozen=True)
class DiskFile:
    path: Path
    folder_id: int
    size: int
    mtime_ns: int


@dataclass
class ScanReport:
    """What one scan found; `deleted` ids must leave the vector index."""

    added: int = 0
    changed: int = 0
    moved: int = 0
    deleted: list[int] = field(default_factory=list)
    unchanged: int = 0
    offline: list[Path] = field(default_factory=list)
    back_online: list[Path] = field(default_factory=list)
    errors: list[tuple[Path, str]] = field(default_factory=list)


def is_hidden(name: str) -> bool:
    return name.startswith(".") or name.lower() in SYSTEM_DIRS


def _excluded(relative: str, name: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatch(relative, p) or fnmatch.fnmatch(name, p) for p in patterns)


def _windows_hidden(entry: os.DirEntry) -> bool:
    attrs = getattr(entry.stat(follow_symlinks=False), "st_file_attributes", 0)
    return bool(attrs & (getattr(stat, "FILE_ATTRIBUTE_HIDDEN", 2) | 4))  # hidden | system


def walk_photos(
    folder: Folder,
    errors: list[tuple[Path, str]],
    cancelled: Callable[[], bool] = lambda: False,
) -> Iterator[DiskFile]:
    """Photos under `folder`, skipping hidden and system folders, excluded patterns and
    symlink loops; unreadable folders are noted in `errors` and skipped."""
    root = folder.path
    seen: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        if cancelled():
            return
        current = stack.pop()
        try:
            info = current.stat()
            key = (info.st_dev, info.st_ino)
            if key in seen:
                continue  # a symlink loop or a second way into the same folder
            seen.add(key)
            entries = list(os.scandir(current))
        except OSError as exc:
            errors.append((current, exc.strerror or str(exc)))
            continue
        for entry in entries:
            name = entry.name
            try:
                relative = os.path.relpath(entry.path, root)
                if entry.is_dir(follow_symlinks=True):
                    if is_hidden(name) or _excluded(relative, name, folder.exclude):
                        continue
                    if os.name == "nt" and _windows_hidden(entry):
                        continue
                    stack.append(Path(entry.path))
                    continue
                if name.startswith(".") or Path(name).suffix.lower() not in IMAGE_SUFFIXES:
                    continue
                if _excluded(relative, name, folder.exclude):
                    continue
                st = entry.stat(follow_symlinks=True)
                if not stat.S_ISREG(st.st_mode):
                    continue
                yield DiskFile(Path(entry.path), folder.id, st.st_size, st.st_mtime_ns)
            except OSError as exc:  # a dangling symlink, a file gone since the listing
                if not isinstance(exc, FileNotFoundError):
                    errors.append((Path(entry.path), exc.strerror or str(exc)))


def folder_is_reachable(folder: Folder) -> bool:
    try:
        return folder.path.is_dir() and os.access(folder.path, os.R_OK | os.X_OK)
    except OSError:
        return False


def scan(
    catalog: Catalog,
    folders: list[Folder] | None = None,
    *,
    control: TaskControl | None = None,
    progress: ProgressCallback | None = None,
) -> ScanReport:
    """Bring the catalog in line with the disk for `folders` (default: all)."""
    report = ScanReport()
    meter = ProgressMeter("scan", control=control)
    cancelled = (lambda: control.cancelled) if control is not None else (lambda: False)
    disk: dict[Path, DiskFile] = {}
    known: dict[Path, FileRecord] = {}
    for folder in folders if folders is not None else catalog.folders():
        if not folder_is_reachable(folder):
            if folder.online:
                log.warning("folder %s is not reachable; marking it offline", folder.path)
                catalog.set_folder_online(folder.id, False)
            report.offline.append(folder.path)
            continue
        if not folder.online:
            catalog.set_folder_online(folder.id, True)
            report.back_online.append(folder.path)
        for found in walk_photos(folder, report.errors, cancelled):
            if found.path not in disk:
                disk[found.path] = found
            if progress is not None and len(disk) % 1000 == 0:
                progress(meter.update(len(disk), current=str(found.path.parent)))
        if cancelled():
            raise Cancelled("scan cancelled")
        for record in catalog.files_in_folder(folder.id):
            known[record.path] = record
        catalog.set_folder_scanned(folder.id, time.time())
    _reconcile(catalog, disk, known, report, control)
    if progress is not None:
        progress(meter.update(len(disk), total=len(disk)))
    return report


def _hash(path: Path, size: int, report: ScanReport) -> str | None:
    try:
        return quick_hash(path, size)
    except OSError as exc:
        report.errors.append((path, exc.strerror or str(exc)))
        return None


def _reconcile(
    catalog: Catalog,
    disk: dict[Path, DiskFile],
    known: dict[Path, FileRecord],
    report: ScanReport,
    control: TaskControl | None,
) -> None:
    gone = {path: rec for path, rec in known.items() if path not in disk}
    gone_by_hash: dict[tuple[str, int], list[FileRecord]] = {}
    for record in gone.values():
        if record.quick_hash:
            gone_by_hash.setdefault((record.quick_hash, record.size), []).append(record)
    new: list[NewFile] = []
    for path, found in disk.items():
        if control is not None:
            control.checkpoint()
        record = known.get(path)
        if record is None:
            digest = _hash(path, found.size, report)
            twins = gone_by_hash.get((digest, found.size)) if digest else None
            if twins:
                moved = twins.pop()
                catalog.move_file(moved.id, path, found.folder_id)
                del gone[moved.path]
                report.moved += 1
            else:
                new.append(NewFile(found.folder_id, path, found.size, found.mtime_ns, digest))
            if len(new) >= ADD_BATCH:
                report.added += len(catalog.add_files(new))
                new = []
        elif (record.size, record.mtime_ns) != (found.size, found.mtime_ns):
            digest = _hash(path, found.size, report)
            if digest is not None and digest == record.quick_hash:
                catalog.touch_file(record.id, found.size, found.mtime_ns)  # same bytes
                report.unchanged += 1
            else:
                catalog.mark_changed(record.id, found.size, found.mtime_ns, digest)
                report.changed += 1
        else:
            report.unchanged += 1
    if new:
        report.added += len(catalog.add_files(new))
    if gone:
        ids = [record.id for record in gone.values()]
        catalog.delete_files(ids)
        report.deleted.extend(ids)

"""Finding what changed on disk: new, changed, deleted, and moved or renamed photos.

All online folders are walked first and reconciled together, so a photo moved from one
library folder to another is recognised by its partial content hash and keeps its id and
vector instead of being deleted and encoded again.

A folder that might come back is offline, never empty, and nothing of it is deleted: its root
is gone (unplugged drive), it now sits on another mount than at its last scan (an fstab mount
point left behind by an unmounted drive), or it is completely empty while the catalog holds
photos of it. The check runs again after the walk, so a drive unmounted mid-scan deletes
nothing either. Inside a folder, a subfolder whose photos are away the same way keeps them: one
that cannot be listed, a symbolic link whose target is gone, a mount point that lists nothing.
The mount table is read once before the walks and once for the checks after them.

A RAW file with a JPEG of the same name beside it (`IMG_0001.CR2` + `IMG_0001.JPG`, what a
camera set to RAW+JPEG writes) is skipped: the JPEG is the same shot, and one hit per shot is
what a person wants (rclip does the same). Files of types photofind does not read are counted
per folder and suffix, so `photofind status` can say what was left out.
"""

from __future__ import annotations

import contextlib
import fnmatch
import logging
import os
import stat
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from photofind.clip.formats import IMAGE_SUFFIXES, JPEG_SUFFIXES, RAW_SUFFIXES
from photofind.errors import Cancelled
from photofind.library.catalog import Catalog
from photofind.library.events import ProgressCallback, ProgressMeter, TaskControl
from photofind.library.metadata import quick_hash
from photofind.library.mounts import MountIdentity, MountTable, mount_of
from photofind.library.records import FileRecord, Folder, NewFile, ScanProblem

log = logging.getLogger(__name__)

# Folders no one keeps photos in: OS trash and indexes, NAS thumbnail caches.
SYSTEM_DIRS = frozenset(
    {"$recycle.bin", "system volume information", "lost+found", "@eadir", "#recycle",
     "__macosx", "node_modules", "$rbvr", ".trashes", ".spotlight-v100", ".fseventsd"}
)  # fmt: skip
ADD_BATCH = 500
KEPT = "its photos are kept"  # how every reason for a drive that is away ends
LINK_GONE = f"the link's target is missing (drive unplugged?); {KEPT}"
MOUNT_EMPTY = f"the drive mounted here lists nothing (not mounted?); {KEPT}"
MOUNT_GONE = ("the folder is empty, yet nothing was deleted from it since its photos were seen "
              f"(drive not mounted?); {KEPT}")  # fmt: skip
CLOCK_SLACK = 2.0  # seconds: file-system timestamps come from a coarser clock than time.time()
RAW_TWIN = "raw+jpeg"  # the `skipped` key counting RAW files skipped for their JPEG twin


@dataclass(frozen=True)
class DiskFile:
    path: Path
    folder_id: int
    size: int
    mtime_ns: int
    ctime: float = 0.0  # inode change (chmod too): a file that failed may be readable now


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
    errors: list[ScanProblem] = field(default_factory=list)


def is_hidden(name: str) -> bool:
    return name.startswith(".") or name.lower() in SYSTEM_DIRS


def _excluded(relative: str, name: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatch(relative, p) or fnmatch.fnmatch(name, p) for p in patterns)


def _windows_hidden(entry: os.DirEntry) -> bool:
    attrs = getattr(entry.stat(follow_symlinks=False), "st_file_attributes", 0)
    return bool(attrs & (getattr(stat, "FILE_ATTRIBUTE_HIDDEN", 2) | 4))  # hidden | system


def _away_reason(
    path: Path, info: os.stat_result, parent_dev: int, points: frozenset[str], seen: float | None
) -> str | None:
    """Why the empty subfolder `path` may hide photos on a drive that is not there: it is a
    mount point (another device than its parent, or a bind mount in the mount table) that
    lists nothing, or nothing was removed from it since the walk that saw photos in it began
    (`seen`): removing an entry sets a folder's ctime, which no one can set back, so the
    folder listed then was another one, a drive mounted over this mount point."""
    if info.st_dev != parent_dev or (points and os.path.realpath(path) in points):
        return MOUNT_EMPTY
    if seen is not None and info.st_ctime < seen - CLOCK_SLACK:
        return MOUNT_GONE
    return None


def _twin_stems(entries: list[os.DirEntry]) -> frozenset[str]:
    """Names (lower case, no suffix) of the JPEGs in one folder listing that has RAW files."""
    suffixes = [os.path.splitext(e.name)[1].lower() for e in entries]
    if not any(s in RAW_SUFFIXES for s in suffixes):
        return frozenset()
    pairs = zip(entries, suffixes, strict=True)
    return frozenset(os.path.splitext(e.name)[0].lower() for e, s in pairs if s in JPEG_SUFFIXES)


def walk_photos(
    folder: Folder,
    errors: list[ScanProblem],
    cancelled: Callable[[], bool] = lambda: False,
    unreadable: list[Path] | None = None,
    away: list[tuple[Path, str]] | None = None,
    mounts: MountTable | None = None,
    skipped: Counter[str] | None = None,
    library_roots: tuple[str, ...] = (),
    own: Path | None = None,
) -> Iterator[DiskFile]:
    """Photos under `folder`, skipping hidden and system folders, excluded patterns and
    symlink loops; unreadable folders are noted in `errors` (and `unreadable`) and skipped.
    A link to a file under one of `library_roots` (real paths of the library's folders: an
    album exported as links) is skipped too: that photo counts once, in its own place.
    `own` is the library's own folder, never walked when it lies inside `folder` (a portable
    library on the photos' drive): its models' pictures and caches are not photos.

    `away` collects, with a reason, the subfolders whose photos may be on a drive that is not
    there: a symbolic link whose target is missing, an empty mount point, an empty folder
    unchanged since the last walk. Whether they hid any photo only the catalog knows, so
    they are not errors here. `skipped` counts the files left out for their type, by suffix
    (RAW_TWIN for a RAW skipped for its JPEG twin)."""
    root = folder.path
    points = (mounts or MountTable()).points_under(root) if away is not None else frozenset()
    seen: set[tuple[int, int]] = set()
    if own is not None:
        with contextlib.suppress(OSError):
            home = own.stat()
            seen.add((home.st_dev, home.st_ino))  # as if walked already, by any path to it
    stack: list[tuple[Path, int | None]] = [(root, None)]  # a folder, its parent's device
    while stack:
        if cancelled():
            return
        current, parent_dev = stack.pop()
        try:
            info = current.stat()
            key = (info.st_dev, info.st_ino)
            if key in seen:
                continue  # a symlink loop or a second way into the same folder
            seen.add(key)
            entries = list(os.scandir(current))
        except OSError as exc:
            errors.append(ScanProblem(current, exc.strerror or str(exc)))
            if unreadable is not None and not isinstance(exc, FileNotFoundError):
                unreadable.append(current)
            continue
        if not entries and parent_dev is not None and away is not None:
            reason = _away_reason(current, info, parent_dev, points, folder.last_scan)
            if reason is not None:
                away.append((current, reason))
            continue
        twins = _twin_stems(entries)
        for entry in entries:
            name = entry.name
            try:
                relative = os.path.relpath(entry.path, root)
                if entry.is_dir(follow_symlinks=True):
                    if is_hidden(name) or _excluded(relative, name, folder.exclude):
                        continue
                    if os.name == "nt" and _windows_hidden(entry):
                        continue
                    # Behind a link, another device says nothing: compare it with itself.
                    dev = entry.stat().st_dev if entry.is_symlink() else info.st_dev
                    stack.append((Path(entry.path), dev))
                    continue
                if away is not None and entry.is_symlink() and not os.path.exists(entry.path):
                    away.append((Path(entry.path), LINK_GONE))  # was it a folder? see scan()
                    continue
                stem, suffix = os.path.splitext(name)
                if name.startswith(".") or _excluded(relative, name, folder.exclude):
                    continue
                kind = suffix.lower()
                if kind not in IMAGE_SUFFIXES or (kind in RAW_SUFFIXES and stem.lower() in twins):
                    if skipped is not None and entry.is_file():
                        skipped[RAW_TWIN if kind in IMAGE_SUFFIXES else kind or "(none)"] += 1
                    continue
                st = entry.stat(follow_symlinks=True)
                if not stat.S_ISREG(st.st_mode):
                    continue
                if library_roots and entry.is_symlink():
                    target = os.path.realpath(entry.path)
                    if any(target.startswith(r) for r in library_roots):
                        continue
                yield DiskFile(Path(entry.path), folder.id, st.st_size, st.st_mtime_ns,
                               st.st_ctime)  # fmt: skip
            except OSError as exc:  # a dangling symlink, a file gone since the listing
                if not isinstance(exc, FileNotFoundError):
                    errors.append(ScanProblem(Path(entry.path), exc.strerror or str(exc)))


def folder_is_reachable(folder: Folder) -> bool:
    try:
        return folder.path.is_dir() and os.access(folder.path, os.R_OK | os.X_OK)
    except OSError:
        return False


@dataclass(frozen=True)
class FolderCheck:
    """Whether a folder can be scanned now; `reason` says why not, `mount` is where it is."""

    online: bool
    reason: str | None = None
    mount: MountIdentity | None = None
    emptied: bool = False  # reachable but empty: its photos may have moved to another folder


def check_folder(catalog: Catalog, folder: Folder, mounts: MountTable | None = None) -> FolderCheck:
    """Online, or offline with a reason: gone, unreadable, on another mount than at its last
    scan, or completely empty while the catalog holds photos of it. `mounts` is the mount
    table of this pass (read now when not given)."""
    path = folder.path
    if not path.is_dir():
        return FolderCheck(False, "the folder is missing (drive unplugged or folder moved?)")
    if not folder_is_reachable(folder):
        return FolderCheck(False, "the folder cannot be read (no permission)")
    try:
        with os.scandir(path) as entries:
            empty = next(entries, None) is None
    except OSError as exc:  # a drive pulled out while mounted: EIO
        return FolderCheck(False, f"the folder cannot be read ({exc.strerror or exc})")
    mount = mount_of(path, mounts)
    recorded = folder.mount
    moved = recorded is not None and mount is not None and not recorded.same_mount(mount)
    if moved and recorded and mount and catalog.folder_has_files(folder.id):  # no photos: keep none
        if recorded.mount_point == mount.mount_point:
            what = f"another drive is mounted at {mount.mount_point}"
        else:
            what = (
                f"its drive is not mounted (it was on {recorded.mount_point}, now it is on "
                f"{mount.mount_point})"
            )
        return FolderCheck(False, f"{what}; add the folder again if its photos live there now",
                           mount)  # fmt: skip
    if empty and catalog.folder_has_files(folder.id):
        return FolderCheck(False, "the folder is empty while the library holds photos of it "
                           "(drive not mounted?); if they are gone for good, remove the folder",
                           mount, emptied=True)  # fmt: skip
    return FolderCheck(True, None, mount)


def _mark(catalog: Catalog, folder: Folder, check: FolderCheck, report: ScanReport) -> None:
    """Store the folder's online state when it changed, and note it in `report`."""
    if not check.online:
        if folder.online or folder.offline_reason != check.reason:
            log.warning("folder %s is offline: %s", folder.path, check.reason)
            catalog.set_folder_online(folder.id, False, check.reason)
        report.offline.append(folder.path)
    elif not folder.online:
        log.info("folder %s is back online", folder.path)
        catalog.set_folder_online(folder.id, True)
        report.back_online.append(folder.path)


@dataclass
class _Walk:
    """One online folder's walk, kept until the check after all walks says it counts."""

    folder: Folder
    started: float  # stored as the folder's last scan: what is on disk now was seen after it
    found: dict[Path, DiskFile] = field(default_factory=dict)
    unreadable: list[Path] = field(default_factory=list)
    away: list[tuple[Path, str]] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    errors: list[ScanProblem] = field(default_factory=list)  # what it could not open


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
    emptied: list[tuple[Folder, FolderCheck]] = []
    claimable: dict[Path, FileRecord] = {}
    failed_at: dict[Path, float] = {}  # when each unreadable file's error was recorded
    walked: list[_Walk] = []
    found_count = 0
    mounts = MountTable.read()
    roots = tuple(os.path.join(os.path.realpath(f.path), "") for f in catalog.folders())
    for folder in folders if folders is not None else catalog.folders():
        check = check_folder(catalog, folder, mounts)
        if check.emptied:  # its photos may all have been moved into another folder: see below
            emptied.append((folder, check))
            claimable.update((r.path, r) for r in catalog.files_in_folder(folder.id))
            continue
        _mark(catalog, folder, check, report)
        if not check.online:
            continue
        walk = _Walk(folder, time.time())
        for found in walk_photos(folder, walk.errors, cancelled, walk.unreadable, walk.away,
                                 mounts, walk.skipped, roots, catalog.path.parent):  # fmt: skip
            walk.found[found.path] = found
            found_count += 1
            if progress is not None and found_count % 1000 == 0:
                progress(meter.update(found_count, current=str(found.path.parent)))
        report.errors.extend(walk.errors)
        if cancelled():
            raise Cancelled("scan cancelled")
        walked.append(walk)
    mounts = MountTable.read()  # the check again, after the walks
    for walk in walked:
        folder = walk.folder
        after = check_folder(catalog, folder, mounts)
        if not after.online:  # unmounted while it was walked: what was seen is not the truth
            _mark(catalog, replace(folder, online=True, offline_reason=None), after, report)
            continue
        disk.update((path, found) for path, found in walk.found.items() if path not in disk)
        hid: dict[Path, str] = {}
        for record in catalog.files_in_folder(folder.id):
            # A subfolder that could not be listed (I/O error, permissions) or whose drive is
            # away hides its photos: they are unknown this time, not deleted.
            if any(record.path.is_relative_to(bad) for bad in walk.unreadable):
                continue
            link = next(((p, why) for p, why in walk.away if p in record.path.parents), None)
            if link is not None:
                hid[link[0]] = link[1]
                continue
            known[record.path] = record
        away = [ScanProblem(path, why) for path, why in hid.items()]
        report.errors.extend(away)
        failed_at.update(catalog.error_times(folder.id))
        catalog.set_folder_scanned(folder.id, walk.started, after.mount)
        catalog.set_skipped(folder.id, walk.skipped)
        # A file whose hash fails below is not one: it is catalogued, and its error recorded
        # when it is encoded (`Catalog.errors`); kept here is what holds no record of its own.
        catalog.set_scan_problems(folder.id, [*walk.errors, *away])
    _reconcile(catalog, disk, known, claimable, report, control, failed_at)
    for folder, check in emptied:
        if catalog.folder_has_files(folder.id):  # not all moved away: the drive may be away
            _mark(catalog, folder, check, report)
        else:  # every photo of it was found elsewhere: an ordinary, emptied folder
            _mark(catalog, folder, FolderCheck(True, None, check.mount), report)
            catalog.set_folder_scanned(folder.id, time.time(), check.mount)
    if progress is not None:
        progress(meter.update(len(disk), total=len(disk)))
    return report


def _hash(path: Path, size: int, report: ScanReport) -> str | None:
    try:
        return quick_hash(path, size)
    except OSError as exc:
        report.errors.append(ScanProblem(path, exc.strerror or str(exc)))
        return None


def _reconcile(
    catalog: Catalog,
    disk: dict[Path, DiskFile],
    known: dict[Path, FileRecord],
    claimable: dict[Path, FileRecord],
    report: ScanReport,
    control: TaskControl | None,
    failed_at: dict[Path, float] | None = None,
) -> None:
    """Add, update, move and delete records; `claimable` records (of an emptied folder) may be
    moved to a new file with the same content but are never deleted. A file that could not be
    read (`failed_at`: when its error was recorded) is read again once its inode changed since
    (its permissions fixed, say): its bytes may be the same, its readability is not."""
    gone = {path: rec for path, rec in known.items() if path not in disk}
    gone_by_hash: dict[tuple[str, int], list[FileRecord]] = {}
    for old in [*claimable.values(), *gone.values()]:  # popped from the end: gone first
        if old.quick_hash:
            gone_by_hash.setdefault((old.quick_hash, old.size), []).append(old)
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
                gone.pop(moved.path, None)
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
        elif failed_at and found.ctime > failed_at.get(path, float("inf")):
            catalog.mark_changed(record.id, found.size, found.mtime_ns, record.quick_hash)
            report.changed += 1
        else:
            report.unchanged += 1
    if new:
        report.added += len(catalog.add_files(new))
    if gone:
        ids = [record.id for record in gone.values()]
        catalog.delete_files(ids)
        report.deleted.extend(ids)

"""Which mounted file system a photo folder lives on, so an unmounted drive is never read as empty.

An fstab mount point (/mnt/photos, /media/usb) stays behind as an empty folder when its drive
is unmounted: reachable, readable, and holding no photos. Comparing the mount that holds the
folder now with the one recorded at its last scan tells "the drive is away" from "the photos
were deleted".

On Linux the mount comes from /proc/self/mountinfo: the entry whose mount point is the longest
prefix of the folder's real path. Its mount point, the root of the mounted tree inside its
file system (which tells bind mounts of one file system apart, where st_dev does not change)
and the file-system type identify it. The device number is recorded but not compared: a USB
drive plugged in again gets a new one (8:17 -> 8:33) while it is the same drive at the same
place. Elsewhere the nearest `os.path.ismount` parent identifies the mount; on Windows the
device number is the volume serial number, stable across re-plugs, so it is compared too.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

MOUNTINFO = Path("/proc/self/mountinfo")
_ESCAPE = re.compile(r"\\([0-7]{3})")


@dataclass(frozen=True)
class MountIdentity:
    """The mount holding a folder: mount point, root of the mounted tree, type, device."""

    mount_point: str
    root: str = "/"
    fstype: str = ""
    device: str = ""

    def same_mount(self, other: MountIdentity) -> bool:
        """True when `other` is the same mount (a re-plugged drive included)."""
        if (self.mount_point, self.root, self.fstype) != (
            other.mount_point,
            other.root,
            other.fstype,
        ):
            return False
        return sys.platform != "win32" or self.device == other.device

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> MountIdentity | None:
        if not text:
            return None
        try:
            data = json.loads(text)
            return cls(**{k: str(data[k]) for k in ("mount_point", "root", "fstype", "device")})
        except (ValueError, TypeError, KeyError):
            return None


def _unescape(field: str) -> str:
    """mountinfo writes space, tab, newline and backslash in paths as octal escapes."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), field)


def _linux_mounts(text: str) -> list[MountIdentity]:
    mounts = []
    for line in text.splitlines():
        fields = line.split(" ")
        try:
            dash = fields.index("-", 6)
            mounts.append(
                MountIdentity(
                    mount_point=_unescape(fields[4]),
                    root=_unescape(fields[3]),
                    fstype=fields[dash + 1],
                    device=fields[2],
                )
            )
        except (ValueError, IndexError):
            continue
    return mounts


def _contains(mount_point: str, path: str) -> bool:
    if mount_point == "/":
        return True
    return path == mount_point or path.startswith(mount_point.rstrip("/") + "/")


@dataclass(frozen=True)
class MountTable:
    """The mounts of this machine as read at one moment: read once per scan or poll pass and
    handed to every check of that pass, instead of re-reading mountinfo once per folder."""

    mounts: tuple[MountIdentity, ...] = ()

    @classmethod
    def read(cls) -> MountTable:
        """The current table (empty off Linux, or when mountinfo cannot be read)."""
        if not sys.platform.startswith("linux"):
            return cls()
        try:
            text = MOUNTINFO.read_text(encoding="utf-8", errors="surrogateescape")
        except OSError:
            return cls()
        return cls(tuple(_linux_mounts(text)))

    def holding(self, real: str) -> MountIdentity | None:
        """The mount holding the real path `real`; the last match is the one on top when
        mounts are stacked on one point."""
        best: MountIdentity | None = None
        for mount in self.mounts:
            if _contains(mount.mount_point, real) and (
                best is None or len(mount.mount_point) >= len(best.mount_point)
            ):
                best = mount
        return best

    def points_under(self, path: Path) -> frozenset[str]:
        """The mount points strictly inside `path` (by real path)."""
        try:
            real = os.path.realpath(path)
        except OSError:
            return frozenset()
        return frozenset(
            m.mount_point for m in self.mounts
            if m.mount_point != real and _contains(real, m.mount_point)
        )  # fmt: skip


def mount_of(path: Path, table: MountTable | None = None) -> MountIdentity | None:
    """The mount holding `path` (which must exist), or None when it cannot be told; `table`
    is this pass's mount table (read now when not given)."""
    try:
        real = os.path.realpath(path)
        device = os.stat(real).st_dev
    except OSError:
        return None
    if sys.platform.startswith("linux"):
        best = (table if table is not None else MountTable.read()).holding(real)
        if best is not None:
            return best
    current = Path(real)
    while not os.path.ismount(current) and current.parent != current:
        current = current.parent
    return MountIdentity(mount_point=str(current), device=str(device))

"""Reading /proc/self/mountinfo: which mount holds a folder, and when two mounts are the same."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from photofind.library import mounts
from photofind.library.mounts import MountIdentity, mount_of

MOUNTINFO = """\
22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
40 22 8:17 / /media/usb\\040stick rw,nosuid - vfat /dev/sdb1 rw
41 22 254:0 /home/me/photos /mnt/photos rw - ext4 /dev/vda rw
42 41 0:50 / /mnt/photos rw - tmpfs tmpfs rw
"""


def test_the_longest_mount_point_wins_and_escapes_are_read(tmp_path, monkeypatch):
    info = tmp_path / "mountinfo"
    info.write_text(MOUNTINFO)
    monkeypatch.setattr(mounts, "MOUNTINFO", info)
    monkeypatch.setattr(sys, "platform", "linux")
    parsed = mounts._linux_mounts(MOUNTINFO)
    assert parsed[1] == MountIdentity("/media/usb stick", "/", "vfat", "8:17")
    assert parsed[2].root == "/home/me/photos", "a bind mount is told apart by its root"
    monkeypatch.setattr(mounts.os.path, "realpath", lambda p: str(p))
    root_stat = Path("/").stat()
    monkeypatch.setattr(mounts.os, "stat", lambda p: root_stat)
    assert mount_of(Path("/media/usb stick/DCIM")).mount_point == "/media/usb stick"
    assert mount_of(Path("/media/usb")).mount_point == "/"  # a prefix of a name is not a parent
    assert mount_of(Path("/mnt/photos/2024")).fstype == "tmpfs", "the mount on top counts"


def test_a_replugged_drive_is_the_same_mount_and_an_unmounted_one_is_not():
    usb = MountIdentity("/media/usb", "/", "vfat", "8:17")
    assert usb.same_mount(MountIdentity("/media/usb", "/", "vfat", "8:33")) == (
        sys.platform != "win32"
    )
    assert not usb.same_mount(MountIdentity("/", "/", "ext4", "254:0"))
    assert not MountIdentity("/mnt/p", "/a").same_mount(MountIdentity("/mnt/p", "/b"))
    assert MountIdentity.from_json(usb.to_json()) == usb
    assert MountIdentity.from_json("{bad") is None and MountIdentity.from_json(None) is None


def test_elsewhere_the_nearest_mount_point_parent_identifies_the_mount(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    folder = tmp_path / "a" / "b"
    folder.mkdir(parents=True)
    found = mount_of(folder)
    assert found is not None and os.path.ismount(found.mount_point)
    assert Path(os.path.realpath(folder)).is_relative_to(found.mount_point)
    assert found.device == str(folder.stat().st_dev)
    assert mount_of(tmp_path / "missing") is None

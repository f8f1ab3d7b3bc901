"""An unmounted drive goes offline, never empty: real mounts, the `photofind` console script.

The mount journeys need root (CI runs as root); the empty-folder rule is checked without it.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

from library_journey import (
    cleanup_mounts,
    console_script,
    embeddings,
    env,
    make_photos,
    mount,
    photofind,
    require_root,
    umount,
)


def folder_row(library: Path) -> dict:
    status = json.loads(photofind(library, "status", "--json").stdout)
    assert len(status["folders"]) == 1
    return {**status["folders"][0], "files": status["counts"]["files"]}


def recorded_online(library: Path) -> bool:
    """Whether the catalog still records the folder online: no scan has seen it go yet."""
    with contextlib.closing(sqlite3.connect(library / "catalog.sqlite", timeout=30)) as conn:
        return bool(conn.execute("SELECT online FROM folders").fetchone()[0])


def test_unmount_and_replug_of_a_bind_mount_loses_and_re_encodes_nothing(tmp_path, tiny_model_dir):
    require_root()
    photos, drive, library = tmp_path / "photos", tmp_path / "mnt", tmp_path / "lib"
    make_photos(photos, 12)
    drive.mkdir()
    with cleanup_mounts(drive):
        mount("--bind", str(photos), str(drive))
        photofind(library, "folders", "add", str(drive))
        assert "indexed 12 photos" in photofind(library, "index", model=tiny_model_dir).stdout
        before = embeddings(library)
        assert len(before) == 12
        for cycle in range(2):
            umount(drive)  # the mount point stays behind, empty, on the parent file system
            done = photofind(library, "index", model=tiny_model_dir)
            assert "indexed 0 photos" in done.stdout
            assert f"offline: {drive}" in done.stderr and "kept" in done.stderr
            row = folder_row(library)
            assert row["state"] == "offline" and "not mounted" in row["offline_reason"]
            assert row["counts"]["ok"] == 12 and row["files"] == 12
            assert "not mounted" in photofind(library, "folders", "list").stdout
            assert embeddings(library) == before, f"cycle {cycle}: the offline drive lost photos"
            hits = json.loads(photofind(library, "search", "a photo of a red circle", "--json",
                                        model=tiny_model_dir).stdout)["hits"]  # fmt: skip
            assert hits and all(h["offline"] for h in hits), "offline photos are still found"
            mount("--bind", str(photos), str(drive))  # plugged in again
            done = photofind(library, "index", model=tiny_model_dir)
            assert "indexed 0 photos" in done.stdout and "offline" not in done.stderr
            assert folder_row(library)["state"] == "up to date"
            assert embeddings(library) == before, f"cycle {cycle}: photos were encoded again"


def test_a_drive_plugged_in_again_with_a_new_device_number_comes_back(tmp_path, tiny_model_dir):
    """Two tmpfs instances stand for one USB drive seen as 8:17, then 8:33 after a re-plug."""
    require_root()
    drive, library, backup = tmp_path / "media" / "usb", tmp_path / "lib", tmp_path / "backup"
    make_photos(backup / "DCIM", 8)
    drive.mkdir(parents=True)
    other = tmp_path / "other"
    other.mkdir()
    with cleanup_mounts(drive, other):
        mount("-t", "tmpfs", "-o", "size=16m", "tmpfs", str(drive))
        shutil.copytree(backup, drive, dirs_exist_ok=True)  # copy2: same sizes and mtimes
        folder = drive / "DCIM"  # a photo folder below the mount point
        photofind(library, "folders", "add", str(folder))
        photofind(library, "index", model=tiny_model_dir)
        before = embeddings(library)
        device = folder.stat().st_dev
        umount(drive)
        mount("-t", "tmpfs", "-o", "size=1m", "tmpfs", str(other))  # takes the freed number
        (drive / "DCIM").mkdir()  # the same path now exists on the parent file system...
        (drive / "DCIM" / "notes.txt").write_text("not a photo")  # ...and is not even empty
        assert "indexed 0 photos" in photofind(library, "index", model=tiny_model_dir).stdout
        row = folder_row(library)
        assert row["state"] == "offline" and "not mounted" in row["offline_reason"]
        assert embeddings(library) == before
        shutil.rmtree(drive / "DCIM")
        mount("-t", "tmpfs", "-o", "size=16m", "tmpfs", str(drive))
        shutil.copytree(backup, drive, dirs_exist_ok=True)
        assert folder.stat().st_dev != device, "the re-plugged drive has a new device number"
        done = photofind(library, "index", model=tiny_model_dir)
        assert "indexed 0 photos" in done.stdout
        assert folder_row(library)["state"] == "up to date"
        assert embeddings(library) == before, "a re-plugged drive must not be encoded again"


def test_index_watch_keeps_the_photos_of_a_drive_that_goes_away(tmp_path, tiny_model_dir):
    require_root()
    photos, drive, library = tmp_path / "photos", tmp_path / "mnt", tmp_path / "lib"
    make_photos(photos, 10)
    drive.mkdir()
    with cleanup_mounts(drive):
        mount("--bind", str(photos), str(drive))
        photofind(library, "folders", "add", str(drive))
        command = [*console_script(), "--library", str(library), "--model", str(tiny_model_dir),
                   "index", "--watch"]  # fmt: skip
        watch = subprocess.Popen(command, env=env(), stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)  # fmt: skip
        try:
            deadline = time.monotonic() + 120
            while len(embeddings(library)) < 10 and watch.poll() is None:
                assert time.monotonic() < deadline, "the first pass never finished"
                time.sleep(0.2)
            before = embeddings(library)
            time.sleep(1.5)  # let the watcher settle on its watches
            umount(drive)
            deadline = time.monotonic() + 30
            while recorded_online(library):  # status says offline at once; the watcher's scan
                assert watch.poll() is None, watch.stderr.read()
                assert time.monotonic() < deadline, "the watcher never saw the drive go"
                time.sleep(0.3)
            time.sleep(2.5)  # a pass that would delete has had time to run
            assert embeddings(library) == before
            mount("--bind", str(photos), str(drive))
            deadline = time.monotonic() + 30
            while folder_row(library)["state"] != "up to date":
                assert time.monotonic() < deadline, "the watcher never saw the drive return"
                time.sleep(0.3)
            assert embeddings(library) == before
            make_photos(drive / "new", 2)  # the watch on the drive works again
            deadline = time.monotonic() + 30
            while len(embeddings(library)) < 12:
                assert time.monotonic() < deadline, "the returned drive is not watched"
                time.sleep(0.3)
        finally:
            watch.send_signal(signal.SIGINT)
            _, err = watch.communicate(timeout=60)
        assert watch.returncode == 0, err
        assert "Traceback" not in err
        assert f"offline: {drive}" in err and f"back online: {drive}" in err


def test_a_folder_left_completely_empty_goes_offline_and_comes_back(tmp_path, tiny_model_dir):
    """No root needed: a network share or FUSE drive that lists nothing looks like this."""
    photos, away, library = tmp_path / "photos", tmp_path / "away", tmp_path / "lib"
    make_photos(photos / "2024", 6)
    photofind(library, "folders", "add", str(photos))
    photofind(library, "index", model=tiny_model_dir)
    before = embeddings(library)
    (photos / "2024").rename(away)  # the folder itself stays, with nothing in it
    assert "indexed 0 photos" in photofind(library, "index", model=tiny_model_dir).stdout
    row = folder_row(library)
    assert row["state"] == "offline" and "empty" in row["offline_reason"]
    assert embeddings(library) == before
    away.rename(photos / "2024")
    assert "indexed 0 photos" in photofind(library, "index", model=tiny_model_dir).stdout
    assert folder_row(library)["state"] == "up to date"
    assert embeddings(library) == before
    # Deleting some photos (not all) is an ordinary change: they leave the library.
    for path in sorted((photos / "2024").iterdir())[:2]:
        path.unlink()
    photofind(library, "index", model=tiny_model_dir)
    assert len(embeddings(library)) == 4


def test_a_folder_added_before_its_drive_is_mounted_comes_online_with_it(tmp_path, tiny_model_dir):
    require_root()
    photos, drive, library = tmp_path / "photos", tmp_path / "mnt", tmp_path / "lib"
    make_photos(photos, 4)
    drive.mkdir()
    with cleanup_mounts(drive):
        photofind(library, "folders", "add", str(drive))  # fstab entry, drive not mounted yet
        assert "indexed 0 photos" in photofind(library, "index", model=tiny_model_dir).stdout
        mount("--bind", str(photos), str(drive))
        assert "indexed 4 photos" in photofind(library, "index", model=tiny_model_dir).stdout
        assert folder_row(library)["state"] == "up to date"
        umount(drive)
        photofind(library, "index", model=tiny_model_dir)
        row = folder_row(library)
        assert row["state"] == "offline" and "add the folder again" in row["offline_reason"]
        photofind(library, "folders", "add", str(drive))  # "the photos live here now"
        photofind(library, "index", model=tiny_model_dir)
        row = folder_row(library)
        assert row["state"] == "offline" and "empty" in row["offline_reason"], "still kept"
        assert len(embeddings(library)) == 4

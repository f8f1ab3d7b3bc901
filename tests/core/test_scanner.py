"""Scanning folders into the catalog: what changed on disk, without any model."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from PIL import Image

from photofind.errors import LibraryError
from photofind.library import scanner
from photofind.library.home import LibraryPaths
from photofind.library.library import Library


def photo(path: Path, colour: str = "red", size=(40, 30)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path)
    return path


@pytest.fixture
def library(tmp_path: Path):
    lib = Library(LibraryPaths.resolve(tmp_path / "lib"), None)
    yield lib
    lib.close()


def paths_of(library: Library) -> set[str]:
    return {f.path.name for f in library.catalog.files_in_folder(library.catalog.folders()[0].id)}


def test_new_changed_deleted(tmp_path, library):
    root = tmp_path / "photos"
    photo(root / "a.jpg")
    photo(root / "sub" / "b.png")
    (root / "notes.txt").write_text("not a photo")
    library.add_folder(root)
    report = library.scan()
    assert report.added == 2 and paths_of(library) == {"a.jpg", "b.png"}
    first = library.catalog.file_by_path(root / "a.jpg")

    photo(root / "a.jpg", "blue", size=(50, 30))  # new content
    (root / "sub" / "b.png").unlink()
    report = library.scan()
    assert report.changed == 1 and len(report.deleted) == 1
    changed = library.catalog.file_by_path(root / "a.jpg")
    assert changed.id == first.id and changed.status == "pending"
    assert paths_of(library) == {"a.jpg"}
    assert library.scan().unchanged == 1


def test_touched_file_with_the_same_bytes_is_not_changed(tmp_path, library):
    root = tmp_path / "photos"
    path = photo(root / "a.jpg")
    library.add_folder(root)
    library.scan()
    os.utime(path, ns=(1, 1))
    report = library.scan()
    assert report.changed == 0 and report.unchanged == 1
    assert library.catalog.file_by_path(path).mtime_ns == 1


def test_move_between_folders_keeps_the_id(tmp_path, library):
    photo(tmp_path / "one" / "beach.jpg", "yellow")
    photo(tmp_path / "one" / "other.jpg", "green")
    (tmp_path / "two").mkdir()
    library.add_folder(tmp_path / "one")
    library.add_folder(tmp_path / "two")
    library.scan()
    before = library.catalog.file_by_path(tmp_path / "one" / "beach.jpg")
    shutil.move(tmp_path / "one" / "beach.jpg", tmp_path / "two" / "renamed.jpg")
    report = library.scan()
    assert report.moved == 1 and report.added == 0 and report.deleted == []
    after = library.catalog.file_by_path(tmp_path / "two" / "renamed.jpg")
    assert after.id == before.id
    assert after.folder_id == library.catalog.folder_for_path(tmp_path / "two").id


def test_hidden_system_and_excluded_folders_are_skipped(tmp_path, library):
    root = tmp_path / "photos"
    photo(root / "keep.jpg")
    photo(root / ".thumbnails" / "t.jpg")
    photo(root / "@eaDir" / "syno.jpg")
    photo(root / "$RECYCLE.BIN" / "gone.jpg")
    photo(root / "exports" / "x.jpg")
    photo(root / "raw" / "y_edit.jpg")
    photo(root / ".hidden.jpg")
    library.add_folder(root, exclude=["exports", "*_edit.jpg"])
    library.scan()
    assert paths_of(library) == {"keep.jpg"}


def test_symlink_loop_ends(tmp_path, library):
    root = tmp_path / "photos"
    photo(root / "a" / "x.jpg")
    os.symlink(root, root / "a" / "loop")
    library.add_folder(root)
    library.scan()
    assert paths_of(library) == {"x.jpg"}


def test_unreadable_subfolder_is_reported_and_the_rest_scanned(tmp_path, library, monkeypatch):
    root = tmp_path / "photos"
    photo(root / "ok.jpg")
    photo(root / "locked" / "secret.jpg")
    real = os.scandir

    def scandir(path):
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(scanner.os, "scandir", scandir)
    library.add_folder(root)
    report = library.scan()
    assert paths_of(library) == {"ok.jpg"}
    assert [(p.name, m) for p, m in report.errors] == [("locked", "Permission denied")]


@pytest.mark.skipif(os.name == "nt", reason="POSIX file names are bytes")
def test_non_utf8_and_very_long_names(tmp_path, library):
    root = tmp_path / "photos"
    root.mkdir()
    raw = os.path.join(os.fsencode(root), b"caf\xe9.jpg")
    Image.new("RGB", (8, 8)).save(raw.decode("utf-8", "surrogateescape"))
    long_name = "x" * 250 + ".jpg"
    photo(root / long_name)
    library.add_folder(root)
    library.scan()
    names = {os.fsencode(n) for n in paths_of(library)}
    assert names == {b"caf\xe9.jpg", long_name.encode()}
    assert library.scan().unchanged == 2  # they round-trip through the catalog


def test_vanished_folder_goes_offline_and_comes_back(tmp_path, library):
    drive = tmp_path / "drive"
    photo(drive / "a.jpg")
    photo(drive / "b.jpg")
    library.add_folder(drive)
    library.scan()
    drive.rename(tmp_path / "unplugged")
    report = library.scan()
    assert report.offline == [drive] and report.deleted == []
    status = library.folders()[0]
    assert status.state == "offline" and status.total == 2
    (tmp_path / "unplugged").rename(drive)
    photo(drive / "c.jpg")
    report = library.scan()
    assert report.back_online == [drive] and report.added == 1
    assert library.folders()[0].state == "waiting"  # scanned; no index run encodes c.jpg


def test_nested_and_missing_folders_are_refused(tmp_path, library):
    (tmp_path / "p" / "inner").mkdir(parents=True)
    library.add_folder(tmp_path / "p")
    with pytest.raises(LibraryError, match="already part of the library"):
        library.add_folder(tmp_path / "p" / "inner")
    with pytest.raises(LibraryError, match="is not a folder"):
        library.add_folder(tmp_path / "nope")
    library.remove_folder(tmp_path / "p")
    assert library.folders() == []


def failing_scandir(monkeypatch, bad: Path) -> None:
    """os.scandir as on a drive pulled out while mounted: EIO for `bad`."""
    import errno

    real = os.scandir

    def scandir(path="."):
        if Path(path) == bad:
            raise OSError(errno.EIO, "Input/output error", str(path))
        return real(path)

    monkeypatch.setattr(scanner.os, "scandir", scandir)


def test_photos_in_a_subfolder_that_cannot_be_listed_are_kept(tmp_path, library, monkeypatch):
    root = tmp_path / "photos"
    photo(root / "a.jpg")
    photo(root / "trip" / "b.jpg")
    photo(root / "trip" / "c.jpg", "blue")
    library.add_folder(root)
    library.scan()
    failing_scandir(monkeypatch, root / "trip")
    report = library.scan()
    assert report.deleted == [] and paths_of(library) == {"a.jpg", "b.jpg", "c.jpg"}
    assert any(path == root / "trip" for path, _ in report.errors)
    monkeypatch.undo()
    (root / "trip" / "c.jpg").unlink()
    assert len(library.scan().deleted) == 1, "once it can be read, real deletions count"


def test_a_folder_whose_root_cannot_be_listed_goes_offline(tmp_path, library, monkeypatch):
    root = tmp_path / "photos"
    photo(root / "a.jpg")
    library.add_folder(root)
    library.scan()
    failing_scandir(monkeypatch, root)
    report = library.scan()
    assert report.offline == [root] and report.deleted == []
    folder = library.catalog.folders()[0]
    assert not folder.online and "Input/output error" in folder.offline_reason
    monkeypatch.undo()
    assert library.scan().back_online == [root] and paths_of(library) == {"a.jpg"}


def test_photos_behind_a_symlink_whose_target_went_away_are_kept(tmp_path, library):
    root, external = tmp_path / "photos", tmp_path / "external"
    photo(root / "a.jpg")
    for n, colour in enumerate(("red", "green", "blue")):
        photo(external / f"{n}.jpg", colour)
    os.symlink(external, root / "drive")
    library.add_folder(root)
    assert library.scan().added == 4
    external.rename(tmp_path / "away")  # the link now dangles: its drive is unplugged
    report = library.scan()
    assert report.deleted == [] and paths_of(library) == {"a.jpg", "0.jpg", "1.jpg", "2.jpg"}
    assert [path for path, _ in report.errors] == [root / "drive"]
    (tmp_path / "away").rename(external)
    (external / "2.jpg").unlink()
    report = library.scan()
    assert len(report.deleted) == 1 and report.errors == [], "once it resolves, deletions count"


def test_a_dangling_link_to_a_photo_file_is_an_ordinary_deletion(tmp_path, library):
    root = tmp_path / "photos"
    photo(root / "a.jpg")
    target = photo(tmp_path / "elsewhere" / "b.jpg", "blue")
    os.symlink(target, root / "b.jpg")
    library.add_folder(root)
    library.scan()
    target.unlink()
    assert len(library.scan().deleted) == 1 and paths_of(library) == {"a.jpg"}


def run_mount(*args: str) -> None:
    assert os.geteuid() == 0, "this test bind-mounts a folder: run it as root (CI does)"
    subprocess.run(["mount", *args], check=True, capture_output=True, timeout=30)


def test_photos_on_a_mount_inside_a_folder_that_lists_empty_are_kept(tmp_path, library):
    root, usb = tmp_path / "photos", tmp_path / "photos" / "usb"
    photo(root / "a.jpg")
    photo(root / "trip" / "t.jpg", "green")
    drive, blank = tmp_path / "drive", tmp_path / "blank"
    photo(drive / "b.jpg")
    photo(drive / "c.jpg", "blue")
    usb.mkdir()
    blank.mkdir()
    run_mount("--bind", str(drive), str(usb))
    try:
        library.add_folder(root)
        assert library.scan().added == 4
        subprocess.run(["umount", str(usb)], check=True, timeout=30)
        run_mount("--bind", str(blank), str(usb))  # a drive that lists nothing sits there
        (root / "trip" / "t.jpg").unlink()  # an ordinary folder emptied by hand
        report = library.scan()
        assert paths_of(library) == {"a.jpg", "b.jpg", "c.jpg"}, "only t.jpg is gone"
        assert len(report.deleted) == 1 and [p for p, _ in report.errors] == [usb]
        subprocess.run(["umount", str(usb)], check=True, timeout=30)
        run_mount("--bind", str(drive), str(usb))
        (drive / "c.jpg").unlink()
        report = library.scan()
        assert len(report.deleted) == 1 and paths_of(library) == {"a.jpg", "b.jpg"}
    finally:
        subprocess.run(["umount", "-l", str(usb)], capture_output=True, timeout=30)


def test_photos_of_a_drive_unmounted_from_inside_a_folder_are_kept(tmp_path, library):
    """After the unmount the mount point is an ordinary empty folder: nothing was deleted
    from it since the last walk (its ctime is older), so its photos are away, not gone."""
    root, usb, drive = tmp_path / "photos", tmp_path / "photos" / "usb", tmp_path / "drive"
    photo(root / "a.jpg")
    photo(drive / "b.jpg")
    photo(drive / "c.jpg", "blue")
    usb.mkdir()
    run_mount("--bind", str(drive), str(usb))
    try:
        library.add_folder(root)
        time.sleep(2.5)  # the mount point's ctime is now well before the walk
        assert library.scan().added == 3
        subprocess.run(["umount", str(usb)], check=True, timeout=30)
        for _ in range(2):  # and again: the kept photos stay kept
            report = library.scan()
            assert report.deleted == [] and paths_of(library) == {"a.jpg", "b.jpg", "c.jpg"}
            assert [(p, m) for p, m in report.errors] == [(usb, scanner.MOUNT_GONE)]
        run_mount("--bind", str(drive), str(usb))
        assert library.scan().errors == [] and paths_of(library) == {"a.jpg", "b.jpg", "c.jpg"}
        subprocess.run(["umount", str(usb)], check=True, timeout=30)
        usb.rmdir()  # the user says the drive is gone for good
        assert len(library.scan().deleted) == 2 and paths_of(library) == {"a.jpg"}
    finally:
        subprocess.run(["umount", "-l", str(usb)], capture_output=True, timeout=30)

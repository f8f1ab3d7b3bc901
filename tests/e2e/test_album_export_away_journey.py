"""`photofind album export --copy` of an album whose photos are on a drive that is away copies
what it can and says what it left out (it used to stop at the first, blaming the target:
"cannot write …: No such file or directory"); a target that is a file gets one clear line."""

from __future__ import annotations

from library_journey import cleanup_mounts, make_photos, mount, photofind, require_root, umount


def test_copying_an_album_on_an_unplugged_drive(tmp_path, tiny_model_dir):
    require_root()
    drive, library, local = tmp_path / "drive", tmp_path / "lib", tmp_path / "local"
    drive.mkdir()
    make_photos(local, 2)
    with cleanup_mounts(drive):
        mount("-t", "tmpfs", "-o", "size=8m", "tmpfs", str(drive))
        make_photos(drive / "pics", 3, prefix="d")
        photofind(library, "folders", "add", str(drive / "pics"), str(local))
        photofind(library, "index", model=tiny_model_dir)
        photofind(library, "album", "add", "all", "a photo", "--min-score", "-1",
                  model=tiny_model_dir)  # fmt: skip
        umount(drive)
        done = photofind(library, "album", "export", "all", str(tmp_path / "out"), "--copy",
                         model=tiny_model_dir, check=False)  # fmt: skip
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
        assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["p0000.jpg", "p0001.jpg"]
        said = done.stdout + done.stderr
        assert "copied 2 photos" in said and "3" in said and "away" in said, said
    (tmp_path / "a-file").write_text("x")
    done = photofind(library, "album", "export", "all", str(tmp_path / "a-file"),
                     model=tiny_model_dir, check=False)  # fmt: skip
    assert done.returncode == 1 and "not a folder" in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1

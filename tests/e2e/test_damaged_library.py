"""A library that is damaged, read-only, full or killed: clear messages, nothing lost or redone."""

from __future__ import annotations

import contextlib
import json
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

from library_journey import (
    cleanup_mounts,
    command,
    embeddings,
    env,
    make_photos,
    mount,
    photofind,
    require_root,
)


def one_line_error(done: subprocess.CompletedProcess, *words: str) -> str:
    assert done.returncode == 1, (done.stdout, done.stderr)
    lines = [line for line in done.stderr.splitlines() if line.startswith("photofind: ")]
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def counts(library: Path, *, read_only: bool = False) -> tuple[int, int, int]:
    """(files, vectors, vectors ever stored): the last is above the second after a re-encode.

    `read_only` leaves a WAL in place (the last read-write connection would checkpoint it)."""
    where = f"file:{library / 'catalog.sqlite'}" + ("?mode=ro" if read_only else "")
    with contextlib.closing(sqlite3.connect(where, timeout=30, uri=True)) as conn:
        files = conn.execute("SELECT count(*) FROM files").fetchone()[0]
        vectors, seq = conn.execute(
            "SELECT count(*), coalesce(max(seq), 0) FROM embeddings"
        ).fetchone()
    return files, vectors, seq


def test_an_empty_or_foreign_catalog_is_refused_and_left_untouched(tmp_path, tiny_model_dir):
    for name, content, words in [
        ("empty", b"", ("empty (0 bytes)", "damaged", "backup")),
        ("text", b"my shopping list\n", ("not an SQLite", "backup")),
    ]:
        library = tmp_path / name
        library.mkdir()
        (library / "catalog.sqlite").write_bytes(content)
        for args in (["status"], ["index"], ["search", "a red circle"]):
            done = photofind(library, *args, model=tiny_model_dir, check=False)
            one_line_error(done, *words)
            assert (library / "catalog.sqlite").read_bytes() == content, "it must not be rewritten"


def test_a_new_library_never_leaves_a_half_made_catalog(tmp_path):
    library = tmp_path / "lib"
    photofind(library, "status")
    assert (library / "catalog.sqlite").read_bytes()[:16] == b"SQLite format 3\x00"
    assert not [p.name for p in library.iterdir() if p.name.startswith(".catalog")]


def test_a_library_on_read_only_media_can_be_searched(tmp_path, tiny_model_dir):
    require_root()
    photos, library, readonly = tmp_path / "photos", tmp_path / "lib", tmp_path / "ro"
    make_photos(photos, 6)
    photofind(library, "folders", "add", str(photos))
    photofind(library, "index", model=tiny_model_dir)
    before = {p.name: p.read_bytes() for p in library.rglob("*") if p.is_file()}
    readonly.mkdir()
    with cleanup_mounts(readonly):
        mount("--bind", str(library), str(readonly))
        mount("-o", "remount,bind,ro", str(readonly))
        done = photofind(readonly, "search", "a photo of a red circle", "-k", "2", "--all",
                         model=tiny_model_dir)  # fmt: skip
        assert len(done.stdout.splitlines()) == 2 and "Traceback" not in done.stderr
        assert "6 indexed" in photofind(readonly, "status").stdout
        one_line_error(photofind(readonly, "index", model=tiny_model_dir, check=False),
                       "read-only", "searching works")  # fmt: skip
        other = tmp_path / "other"
        other.mkdir()
        one_line_error(photofind(readonly, "folders", "add", str(other), check=False),
                       "read-only")  # fmt: skip
    after = {p.name: p.read_bytes() for p in library.rglob("*") if p.is_file()}
    assert after == before


def test_read_only_media_show_what_a_killed_writer_left_in_the_wal(tmp_path, tiny_model_dir):
    """A library copied off a machine where photofind was killed: its last commits are only in
    catalog.sqlite-wal, which a read-only opening must still read."""
    require_root()
    photos, library, readonly = tmp_path / "photos", tmp_path / "lib", tmp_path / "ro"
    make_photos(photos, 120, size=(640, 480))
    photofind(library, "folders", "add", str(photos))
    index = command(library, "index", model=tiny_model_dir)
    proc = subprocess.Popen(index, env=env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        with contextlib.suppress(sqlite3.Error):
            if counts(library)[1] >= 16:
                break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    files, stored, _ = counts(library, read_only=True)
    assert (library / "catalog.sqlite-wal").stat().st_size > 0 and stored >= 16
    readonly.mkdir()
    with cleanup_mounts(readonly):
        mount("--bind", str(library), str(readonly))
        mount("-o", "remount,bind,ro", str(readonly))
        status = json.loads(photofind(readonly, "status", "--json").stdout)
        assert status["counts"]["files"] == files == 120 and status["counts"]["ok"] == stored


def test_a_full_disk_stops_indexing_clearly_and_the_next_run_continues(tmp_path, tiny_model_dir):
    require_root()
    photos, library = tmp_path / "photos", tmp_path / "lib"
    make_photos(photos, 300, size=(64, 64))
    library.mkdir()
    with cleanup_mounts(library):
        mount("-t", "tmpfs", "-o", "size=100k", "tmpfs", str(library))  # too small for a catalog
        one_line_error(photofind(library, "folders", "add", str(photos), check=False), "full")
        assert not [p for p in library.iterdir() if "catalog" in p.name], "no half-made catalog"
        mount("-o", "remount,size=1m", str(library))  # the library's disk
        photofind(library, "folders", "add", str(photos))
        done = photofind(library, "index", model=tiny_model_dir, check=False)
        one_line_error(done, "full", "free some space", "kept")
        files, stored, seq = counts(library)
        assert files == 300 and 0 < stored < 300 and seq == stored
        done = photofind(library, "search", "a photo of a red circle", model=tiny_model_dir)
        assert done.stdout.strip(), "what was indexed before the disk filled is searchable"
        mount("-o", "remount,size=64m", str(library))  # space was freed
        done = photofind(library, "index", model=tiny_model_dir)
        assert f"indexed {300 - stored} photos" in done.stdout
        assert counts(library) == (300, 300, 300), "nothing lost, nothing encoded twice"


def test_index_killed_again_and_again_loses_and_duplicates_nothing(tmp_path, tiny_model_dir):
    photos, library = tmp_path / "photos", tmp_path / "lib"
    make_photos(photos, 160, size=(640, 480))
    photofind(library, "folders", "add", str(photos))
    index = command(library, "index", model=tiny_model_dir)
    for at_least in (0, 16, 80):  # 0: killed while it scans or loads
        proc = subprocess.Popen(index, env=env(), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)  # fmt: skip
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            with contextlib.suppress(sqlite3.Error):
                if (library / "catalog.sqlite").exists() and counts(library)[1] > at_least:
                    break
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        _, stored, seq = counts(library)
        assert stored < 160, "killed before it finished"
        assert stored == seq, "a killed run never leaves a vector stored twice"
    photofind(library, "index", model=tiny_model_dir)
    assert counts(library) == (160, 160, 160)
    assert len(embeddings(library)) == 160
    hits = photofind(library, "search", "a photo of a blue circle", "-k", "3", "--all",
                     model=tiny_model_dir)  # fmt: skip
    assert len(hits.stdout.splitlines()) == 3

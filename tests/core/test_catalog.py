"""Catalog on real SQLite files: records, transactions, migrations, errors, threads, kills."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from photofind.errors import CatalogError
from photofind.library import schema
from photofind.library.catalog import SCAN_PROBLEMS_KEPT, Catalog, NewFile
from photofind.library.metadata import ImageFacts
from photofind.library.records import ScanProblem

DIM = 8


@pytest.fixture
def catalog(tmp_path: Path):
    cat = Catalog(tmp_path / "catalog.sqlite")
    yield cat
    cat.close()


def _vec(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
    return v / np.linalg.norm(v)


def _add(cat: Catalog, folder_id: int, root: Path, names: list[str], **kw) -> list[int]:
    return cat.add_files([NewFile(folder_id, root / n, 100, 1_000, **kw) for n in names])


def _ok(cat: Catalog, ids: list[int], model: str = "m") -> None:
    cat.store_results(model, [(i, _vec(i), ImageFacts(4, 3)) for i in ids], [])


def test_new_catalog_is_wal_and_current(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite"
    Catalog(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA page_size").fetchone()[0] == 16384
    assert schema.user_version(conn) == schema.SCHEMA_VERSION
    conn.close()


def test_folders(catalog: Catalog, tmp_path: Path) -> None:
    outer = catalog.add_folder(tmp_path / "photos", exclude=["*.tmp"])
    inner = catalog.add_folder(tmp_path / "photos" / "2020")
    assert outer.exclude == ("*.tmp",) and outer.online and outer.last_scan is None
    again = catalog.add_folder(tmp_path / "photos", exclude=["raw/*"])
    assert again.id == outer.id and again.exclude == ("raw/*",)
    assert [f.id for f in catalog.folders()] == [outer.id, inner.id]
    assert catalog.folder_for_path(tmp_path / "photos" / "2020" / "a.jpg").id == inner.id
    assert catalog.folder_for_path(tmp_path / "photos" / "a.jpg").id == outer.id
    assert catalog.folder_for_path(tmp_path / "photos").id == outer.id
    assert catalog.folder_for_path(tmp_path / "photosX" / "a.jpg") is None
    catalog.set_folder_online(outer.id, False)
    catalog.set_folder_scanned(outer.id, 123.5)
    got = catalog.get_folder(outer.id)
    assert got is not None and not got.online and got.last_scan == 123.5


def test_files_roundtrip_and_duplicates(catalog: Catalog, tmp_path: Path) -> None:
    folder = catalog.add_folder(tmp_path)
    ids = catalog.add_files(
        [
            NewFile(folder.id, tmp_path / "a.JPG", 10, 111, "h1"),
            NewFile(folder.id, tmp_path / "b.png", 20, 222, None),
        ]
    )
    again = catalog.add_files([NewFile(folder.id, tmp_path / "a.JPG", 99, 999, "other")])
    assert again == ids[:1]  # same path: same record, nothing duplicated
    rec = catalog.get_file(ids[0])
    assert rec is not None
    assert (rec.path, rec.size, rec.mtime_ns, rec.quick_hash) == (tmp_path / "a.JPG", 10, 111, "h1")
    assert (rec.kind, rec.status, rec.error, rec.width) == ("jpg", "pending", None, None)
    assert catalog.file_by_path(tmp_path / "b.png").id == ids[1]
    assert catalog.file_by_path(tmp_path / "c.png") is None
    assert catalog.get_file(10_000) is None
    assert set(catalog.get_files([*ids, 10_000])) == set(ids)
    assert [r.id for r in catalog.files_in_folder(folder.id)] == ids
    assert [r.id for r in catalog.files_by_hash("h1")] == ids[:1]
    assert catalog.counts() == {"files": 2, "ok": 0, "pending": 2, "error": 0}


def test_many_ids_in_one_call(catalog: Catalog, tmp_path: Path) -> None:
    folder = catalog.add_folder(tmp_path)
    ids = _add(catalog, folder.id, tmp_path, [f"{i}.jpg" for i in range(1500)])
    assert len(set(ids)) == 1500
    assert len(catalog.get_files(ids)) == 1500
    catalog.delete_files(ids[:1200])
    assert catalog.counts()["files"] == 300


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX byte names")
def test_non_utf8_names_round_trip(catalog: Catalog, tmp_path: Path) -> None:
    folder = catalog.add_folder(tmp_path)
    odd = Path(os.fsdecode(os.fsencode(str(tmp_path)) + b"/caf\xe9.jpg"))
    plain = tmp_path / "café.jpg"
    ids = catalog.add_files([NewFile(folder.id, odd, 1, 1), NewFile(folder.id, plain, 1, 1)])
    assert len(set(ids)) == 2
    assert catalog.get_file(ids[0]).path == odd
    assert catalog.file_by_path(odd).id == ids[0]
    assert catalog.file_by_path(plain).id == ids[1]


def test_ids_are_never_reused(catalog: Catalog, tmp_path: Path) -> None:
    folder = catalog.add_folder(tmp_path)
    first = _add(catalog, folder.id, tmp_path, ["a.jpg", "b.jpg"])
    catalog.delete_files([first[1]])
    (later,) = _add(catalog, folder.id, tmp_path, ["c.jpg"])
    assert later > max(first)


def test_store_results_and_pending(catalog: Catalog, tmp_path: Path) -> None:
    folder = catalog.add_folder(tmp_path)
    a, b, c, d = _add(catalog, folder.id, tmp_path, ["a.jpg", "b.jpg", "c.jpg", "d.jpg"])
    assert [r.id for r in catalog.pending_files("m", 10)] == [a, b, c, d]
    assert [r.id for r in catalog.pending_files("m", 2, after_id=a)] == [b, c]
    facts = ImageFacts(640, 480, 1.6e9, "Canon EOS")
    stored = catalog.store_results("m", [(a, _vec(1), facts), (b, _vec(2), None)], [(c, "bad")])
    assert stored == [a, b]
    rec = catalog.get_file(a)
    assert (rec.status, rec.width, rec.height, rec.taken_at, rec.camera) == (
        "ok", 640, 480, 1.6e9, "Canon EOS",
    )  # fmt: skip
    assert catalog.get_file(c).status == "error" and catalog.get_file(c).error == "bad"
    assert [r.id for r in catalog.errors()] == [c]
    assert [r.id for r in catalog.pending_files("m", 10)] == [d]
    assert [r.id for r in catalog.pending_files("other-model", 10)] == [a, b, d]
    assert catalog.counts() == {"files": 4, "ok": 2, "pending": 1, "error": 1}
    assert catalog.folder_counts() == {folder.id: {"ok": 2, "pending": 1, "error": 1}}
    np.testing.assert_array_equal(catalog.get_embeddings("m", [a])[a], _vec(1))


def test_store_results_skips_deleted_files_and_bad_vectors(
    catalog: Catalog, tmp_path: Path
) -> None:
    folder = catalog.add_folder(tmp_path)
    a, b, c = _add(catalog, folder.id, tmp_path, ["a.jpg", "b.jpg", "c.jpg"])
    catalog.delete_files([b])
    nan = np.full(DIM, np.nan, dtype=np.float32)
    stored = catalog.store_results(
        "m", [(a, _vec(1), None), (b, _vec(2), None), (c, nan, None)], []
    )
    assert stored == [a]
    assert catalog.embedding_count("m") == 1
    assert catalog.get_file(c).status == "error"


def test_store_results_is_one_transaction(catalog: Catalog, tmp_path: Path) -> None:
    folder = catalog.add_folder(tmp_path)
    a, b = _add(catalog, folder.id, tmp_path, ["a.jpg", "b.jpg"])
    bad = ImageFacts(width=object())  # type: ignore[arg-type]  # cannot be bound by sqlite
    with pytest.raises(sqlite3.Error):
        catalog.store_results("m", [(a, _vec(1), None), (b, _vec(2), bad)], [])
    assert catalog.embedding_count("m") == 0
    assert catalog.get_file(a).status == "pending"
    catalog.store_results("m", [(a, _vec(1), None)], [])  # the catalog is still usable
    assert catalog.embedding_count("m") == 1


def test_offline_folders_wait(catalog: Catalog, tmp_path: Path) -> None:
    online = catalog.add_folder(tmp_path / "on")
    offline = catalog.add_folder(tmp_path / "off")
    (a,) = _add(catalog, online.id, tmp_path / "on", ["a.jpg"])
    _add(catalog, offline.id, tmp_path / "off", ["b.jpg"])
    catalog.set_folder_online(offline.id, False)
    assert [r.id for r in catalog.pending_files("m", 10)] == [a]


def test_changed_moved_and_removed(catalog: Catalog, tmp_path: Path) -> None:
    folder = catalog.add_folder(tmp_path)
    other = catalog.add_folder(tmp_path / "other")
    a, b, c = _add(catalog, folder.id, tmp_path, ["a.jpg", "b.jpg", "c.jpg"])
    _ok(catalog, [a, b, c])
    catalog.mark_changed(a, 5, 6, "newhash")
    rec = catalog.get_file(a)
    assert (rec.status, rec.size, rec.mtime_ns, rec.quick_hash) == ("pending", 5, 6, "newhash")
    assert catalog.get_embeddings("m", [a]) == {}
    catalog.move_file(b, tmp_path / "other" / "B.PNG", other.id)
    moved = catalog.get_file(b)
    assert (moved.path, moved.folder_id, moved.kind) == (
        tmp_path / "other" / "B.PNG",
        other.id,
        "png",
    )
    assert b in catalog.get_embeddings("m", [b])
    catalog.move_file(c, tmp_path / "other" / "B.PNG", other.id)  # overwrites b's file
    assert catalog.get_file(b) is None and catalog.get_file(c).path.name == "B.PNG"
    assert catalog.remove_folder(other.id) == [c]
    assert catalog.get_folder(other.id) is None
    assert catalog.embedding_count("m") == 0  # cascaded


def test_embeddings_stream_in_chunks(catalog: Catalog, tmp_path: Path) -> None:
    folder = catalog.add_folder(tmp_path)
    ids = _add(catalog, folder.id, tmp_path, [f"{i}.jpg" for i in range(10)])
    _ok(catalog, ids)
    _ok(catalog, ids[:4], model="other")
    chunks = list(catalog.iter_embeddings("m", batch=3))
    assert [len(i) for i, _ in chunks] == [3, 3, 3, 1]
    got_ids = np.concatenate([i for i, _ in chunks])
    vectors = np.concatenate([v for _, v in chunks])
    np.testing.assert_array_equal(got_ids, ids)
    assert vectors.dtype == np.float32 and vectors.shape == (10, DIM)
    np.testing.assert_array_equal(vectors[3], _vec(ids[3]))
    vectors[0, 0] = 5.0  # writable
    np.testing.assert_array_equal(catalog.embedding_ids("m"), ids)
    assert catalog.embedding_count("other") == 4
    assert catalog.embedding_models() == {"m": 10, "other": 4}
    found, matrix = catalog.get_embedding_matrix("m", [ids[5], 99_999, ids[2]])
    np.testing.assert_array_equal(found, [ids[5], ids[2]])
    np.testing.assert_array_equal(matrix[1], _vec(ids[2]))
    catalog.drop_model("other")
    assert catalog.embedding_count("other") == 0 and catalog.embedding_count("m") == 10
    assert list(catalog.iter_embeddings("nothing")) == []


def test_embedding_stamp_tells_what_changed(catalog: Catalog, tmp_path: Path) -> None:
    folder = catalog.add_folder(tmp_path)
    a, b, c = _add(catalog, folder.id, tmp_path, ["a.jpg", "b.jpg", "c.jpg"])
    assert catalog.embedding_stamp("m") == 0
    _ok(catalog, [a, b])
    stamp = catalog.embedding_stamp("m")
    assert catalog.embedding_ids_since("m", stamp).size == 0
    _ok(catalog, [b, c])  # b re-encoded, c new
    _ok(catalog, [a], model="other")
    np.testing.assert_array_equal(catalog.embedding_ids_since("m", stamp), [b, c])
    assert catalog.embedding_stamp("m") > stamp


def test_filter_ids(catalog: Catalog, tmp_path: Path) -> None:
    f1, f2 = catalog.add_folder(tmp_path / "1"), catalog.add_folder(tmp_path / "2")
    a, b = catalog.add_files(
        [
            NewFile(f1.id, tmp_path / "1" / "a.jpg", 1, 0),
            NewFile(f1.id, tmp_path / "1" / "b.png", 1, 0),
        ]
    )
    (c,) = catalog.add_files([NewFile(f2.id, tmp_path / "2" / "c.jpg", 1, int(5e9 * 1e9))])
    (d,) = _add(catalog, f2.id, tmp_path / "2", ["d.jpg"])  # stays pending
    catalog.store_results(
        "m",
        [(a, _vec(1), ImageFacts(taken_at=100.0)), (b, _vec(2), ImageFacts(taken_at=200.0))],
        [],
    )
    catalog.store_results("other", [(c, _vec(3), None)], [])  # dated by its mtime: 5e9
    assert catalog.filter_ids() == {a, b, c}
    assert catalog.filter_ids(folders=[f1.id]) == {a, b}
    assert catalog.filter_ids(kinds=["JPG"]) == {a, c}
    assert catalog.filter_ids(date_from=150) == {b, c}
    assert catalog.filter_ids(date_to=200) == {a, b}
    assert catalog.filter_ids(date_from=150, date_to=1e10, kinds=["png", "jpg"]) == {b, c}
    assert catalog.filter_ids(model="m") == {a, b}
    assert d not in catalog.filter_ids()


def test_settings(catalog: Catalog) -> None:
    assert catalog.get_setting("active_model") is None
    assert catalog.get_setting("active_model", "x") == "x"
    catalog.set_setting("active_model", "tiny")
    catalog.set_setting("active_model", "big")
    assert catalog.get_setting("active_model") == "big"
    catalog.set_setting("active_model", None)
    assert catalog.get_setting("active_model") is None


def test_v1_catalog_migrates(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    schema.migrate(conn, target=1)
    conn.execute("INSERT INTO folders (path, added_at) VALUES (?, 0)", (str(tmp_path),))
    conn.execute(
        "INSERT INTO files (folder_id, path, size, mtime_ns, kind, status, added_at, updated_at) "
        "VALUES (1, ?, 1, 1, 'jpg', 'ok', 0, 0)",
        (str(tmp_path / "a.jpg"),),
    )
    conn.execute("INSERT INTO embeddings VALUES (1, 'm', ?)", (_vec(7).tobytes(),))
    conn.close()
    with Catalog(path) as cat:
        conn = sqlite3.connect(path)
        assert schema.user_version(conn) == schema.SCHEMA_VERSION
        conn.close()
        assert cat.get_file(1).path == tmp_path / "a.jpg"
        np.testing.assert_array_equal(cat.get_embeddings("m", [1])[1], _vec(7))
        assert cat.embedding_stamp("m") == 1
        _ok(cat, [1])  # the migrated table takes new vectors and numbers them
        assert cat.embedding_stamp("m") == 2 and cat.embedding_count("m") == 1


def test_scan_problems_are_replaced_capped_and_counted(catalog: Catalog, tmp_path: Path) -> None:
    folder = catalog.add_folder(tmp_path / "photos")
    other = catalog.add_folder(tmp_path / "other")
    many = [ScanProblem(tmp_path / "photos" / f"sub{i:04}", "Permission denied")
            for i in reversed(range(SCAN_PROBLEMS_KEPT + 50))]  # fmt: skip
    odd = ScanProblem(Path(os.fsdecode(os.fsencode(str(tmp_path)) + b"/caf\xe9")), "I/O error")
    catalog.set_scan_problems(folder.id, [*many, many[0]])  # a path twice counts once
    catalog.set_scan_problems(other.id, [odd])
    problems = catalog.scan_problems()
    count, shown = problems[folder.id]
    assert count == SCAN_PROBLEMS_KEPT + 50 and shown == sorted(many)[:SCAN_PROBLEMS_KEPT]
    assert problems[other.id] == (1, [odd])  # a name that is not UTF-8 round-trips
    catalog.set_scan_problems(folder.id, [])  # the next scan read everything
    assert list(catalog.scan_problems()) == [other.id]
    catalog.remove_folder(other.id)
    assert catalog.scan_problems() == {}


def test_v5_catalog_gains_scan_problems(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    schema.migrate(conn, target=5)
    conn.execute("INSERT INTO folders (path, added_at) VALUES (?, 0)", (str(tmp_path),))
    conn.close()
    with Catalog(path) as cat:
        assert cat.scan_problems() == {}
        cat.set_scan_problems(1, [ScanProblem(tmp_path / "x", "Permission denied")])
        assert cat.scan_problems() == {1: (1, [ScanProblem(tmp_path / "x", "Permission denied")])}


def test_fold_wal_empties_the_log_beside_an_open_reader(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite"
    wal = Path(f"{path}-wal")
    photos = tmp_path / "photos"
    with Catalog(path) as catalog:
        reader = sqlite3.connect(path)  # another process's connection, held open
        try:
            folder = catalog.add_folder(photos)
            for start in range(0, 3000, 100):
                _add(catalog, folder.id, photos, [f"{i}.jpg" for i in range(start, start + 100)])
                assert reader.execute("SELECT count(*) FROM files").fetchone()[0] == start + 100
            assert wal.stat().st_size > 0
            catalog.fold_wal()
            assert wal.stat().st_size == 0  # though the reader still has the file open
            assert reader.execute("SELECT count(*) FROM files").fetchone()[0] == 3000
        finally:
            reader.close()


def test_newer_catalog_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    Catalog(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(CatalogError, match="made by a newer photofind"):
        Catalog(path)


def test_garbage_file_is_a_corrupt_catalog(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite"
    path.write_bytes(b"this is not sqlite at all" * 200)
    with pytest.raises(CatalogError, match="corrupt"):
        Catalog(path)


def test_damaged_pages_are_reported_as_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite"
    with Catalog(path) as cat:
        folder = cat.add_folder(tmp_path)
        ids = _add(cat, folder.id, tmp_path, [f"{i}.jpg" for i in range(300)])
        _ok(cat, ids)
    data = bytearray(path.read_bytes())
    page = 4096
    for start in range(2 * page, len(data), page):
        data[start : start + 64] = b"\xa5" * 64  # smash every page header after the schema
    path.write_bytes(bytes(data))
    with pytest.raises(CatalogError, match="corrupt"):
        cat = Catalog(path)
        cat.counts()
        list(cat.iter_embeddings("m"))


def test_locked_catalog_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite"
    Catalog(path).close()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    try:
        with Catalog(path, timeout=0.05) as cat:
            assert cat.counts()["files"] == 0  # WAL: reading still works
            with pytest.raises(CatalogError, match="locked"):
                cat.set_setting("k", "v")
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_full_disk_is_a_clear_error(catalog: Catalog, tmp_path: Path) -> None:
    folder = catalog.add_folder(tmp_path)
    used = catalog._conn().execute("PRAGMA page_count").fetchone()[0]
    catalog._conn().execute(f"PRAGMA max_page_count = {used + 2}")  # stands in for a full disk
    with pytest.raises(CatalogError, match="full"):
        _add(catalog, folder.id, tmp_path, [f"{'x' * 200}{i}.jpg" for i in range(500)])
    assert catalog.counts()["files"] == 0  # nothing half-written


def test_unopenable_path_and_closed_catalog(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="cannot open"):
        Catalog(tmp_path / "missing-dir" / "catalog.sqlite")
    cat = Catalog(tmp_path / "catalog.sqlite")
    cat.close()
    with pytest.raises(CatalogError, match="closed"):
        cat.counts()


def test_writer_and_readers_in_threads(catalog: Catalog, tmp_path: Path, race) -> None:
    folder = catalog.add_folder(tmp_path)
    errors: list[BaseException] = []
    stop = threading.Event()

    def writer() -> None:
        n = 0
        try:
            while not stop.is_set():
                ids = _add(catalog, folder.id, tmp_path, [f"{n}-{i}.jpg" for i in range(20)])
                _ok(catalog, ids)
                n += 1
        except BaseException as exc:
            errors.append(exc)

    def reader() -> None:
        try:
            while not stop.is_set():
                counts = catalog.counts()
                assert counts["files"] % 20 == 0  # a batch is seen whole or not at all
                ids = catalog.embedding_ids("m")
                assert len(catalog.get_files(ids[-50:].tolist())) == len(ids[-50:])
                for chunk_ids, vectors in catalog.iter_embeddings("m", batch=64):
                    assert len(chunk_ids) == len(vectors)
        except BaseException as exc:
            errors.append(exc)

    race([writer, reader, reader, reader], stop)
    assert not errors, errors
    counts = catalog.counts()
    assert counts["files"] > 0 and counts["ok"] == counts["files"]
    assert catalog.embedding_count("m") == counts["files"]


KILL_SCRIPT = textwrap.dedent(
    """
    import sys, numpy as np
    from pathlib import Path
    from photofind.library.catalog import SCAN_PROBLEMS_KEPT, Catalog, NewFile
    cat = Catalog(Path(sys.argv[1]))
    folder = cat.add_folder(Path(sys.argv[1]).parent)
    n = 0
    print("ready", flush=True)
    while True:
        ids = cat.add_files([NewFile(folder.id, Path(f"/p/{n}-{i}.jpg"), 1, 1) for i in range(25)])
        cat.store_results("m", [(i, np.ones(8, np.float32), None) for i in ids], [])
        n += 1
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="uses SIGKILL")
def test_kill_mid_write_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite"
    proc = subprocess.Popen(
        [sys.executable, "-c", KILL_SCRIPT, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    time.sleep(0.7)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    with Catalog(path) as cat:
        counts = cat.counts()
        assert counts["files"] >= 25
        assert counts["files"] % 25 == 0  # add_files batches are atomic
        assert counts["pending"] in (0, 25)  # at most the last batch was not stored yet
        assert cat.embedding_count("m") == counts["ok"]
        conn = sqlite3.connect(path)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        dupes = conn.execute("SELECT count(*) - count(DISTINCT path) FROM files").fetchone()[0]
        assert dupes == 0
        conn.close()

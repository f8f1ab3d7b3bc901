"""The catalog: SQLite file that holds every fact about folders, files and their vectors."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import NamedTuple

import numpy as np

from photofind.errors import CatalogError
from photofind.library import catalogfile, schema, sqlite
from photofind.library.metadata import PHOTO_DATE_SQL, ImageFacts
from photofind.library.mounts import MountIdentity
from photofind.library.records import (
    FileRecord,
    Folder,
    NewFile,
    ScanProblem,
    file_from_row,
    folder_from_row,
    kind_of,
    path_from_key,
    path_key,
    vector_blob,
    vectors_from_blobs,
)

__all__ = ["STATUSES", "Catalog", "FileRecord", "Folder", "NewFile"]

log = logging.getLogger(__name__)

STATUSES = ("ok", "pending", "error")
PAGE_SIZE = 16384
_CHUNK = 500  # ids per IN (...) list, well under SQLite's variable limit
_FOLDER_COLUMNS = "id, path, exclude, online, last_scan, mount, offline_reason"
_FILE_COLUMNS = (
    "f.id, f.folder_id, f.path, f.size, f.mtime_ns, f.quick_hash, f.width, f.height, "
    "f.taken_at, f.camera, f.kind, f.status, f.error"
)

# The covering model index holds seq (the rowid): this reads index entries, never vectors.
_NEWEST_SEQ = "SELECT max(seq) FROM embeddings WHERE model = ?"
_SKIPPED = "skipped:"  # settings key prefix: + folder id
SCAN_PROBLEMS_KEPT = 200  # per folder; the count says how many there were in all


def _chunks(ids: Sequence[int] | np.ndarray) -> Iterator[list[int]]:
    ids = [int(i) for i in ids]
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _marks(n: int) -> str:
    return ",".join("?" * n)


class StoredBatch(NamedTuple):
    """What `Catalog.store_batch` stored: the ids, and the model's change stamps around it;
    `failed` counts the photos it marked unreadable (a photo whose row went meanwhile, its
    folder removed mid-run, is neither stored nor failed: it is gone)."""

    ids: list[int]
    before: int
    after: int
    failed: int = 0


def file_conditions(
    *,
    folders: Sequence[int] = (),
    date_from: float | None = None,
    date_to: float | None = None,
    kinds: Sequence[str] = (),
    within: Sequence[str] = (),
) -> tuple[list[str], list[object]]:
    """SQL conditions on `files f`, with their values, for what narrows a search and the
    timeline alike: folder ids, a date range (a photo's date is its EXIF date taken, else its
    modification time, as the files_date index has it; both ends included), file kinds, and
    `within` (only files under one of these folder paths, any depth)."""
    where: list[str] = []
    params: list[object] = []
    if folders:
        where.append(f"f.folder_id IN ({_marks(len(folders))})")
        params += [int(f) for f in folders]
    if within:
        # "dir/" <= path < "dir0" ('0' follows the separator '/'): the paths under dir,
        # a range the UNIQUE index on path answers, and no LIKE wildcards to escape.
        where.append("(" + " OR ".join(["(f.path >= ? AND f.path < ?)"] * len(within)) + ")")
        for folder in within:
            base = str(folder).rstrip(os.sep)
            params += [base + os.sep, base + chr(ord(os.sep) + 1)]
    if kinds:
        where.append(f"f.kind IN ({_marks(len(kinds))})")
        params += [k.lower().lstrip(".") for k in kinds]
    date = PHOTO_DATE_SQL.format(t="f.")  # the files_date index expression
    if date_from is not None:
        where.append(f"{date} >= ?")
        params.append(date_from)
    if date_to is not None:
        where.append(f"{date} <= ?")
        params.append(date_to)
    return where, params


class Catalog:
    """Folders, files and vectors in one SQLite file (WAL): the library's source of truth.

    Any thread may call any method: each thread gets its own connection, writes are serialised
    by a lock and every write method is one transaction, so a kill at any moment keeps all that
    was committed and duplicates nothing. SQLite failures the user can act on (locked, corrupt,
    full, read-only, newer version) raise CatalogError.
    """

    def __init__(self, path: Path, *, timeout: float = 10.0) -> None:
        self.path = Path(path)
        self._write_lock = threading.RLock()
        self._closed = False
        self.read_only = False
        if not catalogfile.check_existing(self.path):  # refuses an empty or non-SQLite file
            catalogfile.create(self.path, self._initialise)
        file_writable, folder_writable = catalogfile.writable(self.path)
        self.read_only = not (file_writable and folder_writable)
        if self.read_only:
            uri = catalogfile.read_only_uri(self.path, folder_writable)
            self._conns = sqlite.ThreadConnections(uri, timeout=timeout, uri=True)
        else:
            self._conns = sqlite.ThreadConnections(self.path, timeout=timeout)
        try:
            with self._guard():
                conn = self._conn()
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # not a database?
                if self.read_only:
                    self._check_readable(conn)
                else:
                    self._initialise(conn)
        except BaseException:
            self.close()
            raise

    def _initialise(self, conn: sqlite3.Connection) -> None:
        # Only takes effect on a new file: 16 KiB pages hold seven 2 KiB vectors where
        # 4 KiB pages hold one (measured: 2.4 instead of 4.2 KB per 512-d vector).
        conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            log.warning("catalog %s: WAL unavailable, journal mode is %s", self.path, mode)
        schema.migrate(conn, name=str(self.path))

    def _check_readable(self, conn: sqlite3.Connection) -> None:
        """A read-only catalog cannot be migrated: it must already be this version's."""
        version = schema.user_version(conn)
        if version != schema.SCHEMA_VERSION:
            schema.migrate(conn, name=str(self.path))  # raises when it is newer
            raise CatalogError(
                f"the catalog {self.path} is read-only and was made by an older photofind; "
                "open it once where it can be written to upgrade it"
            )
        log.info("catalog %s is read-only: search works, changes are refused", self.path)

    # -- connections, transactions, errors ------------------------------------------------

    # The plumbing lives in library/sqlite.py (shared with the migrations in schema.py).

    def _conn(self) -> sqlite3.Connection:
        if self._closed:
            raise CatalogError(f"the catalog {self.path} is closed")
        return self._conns.get()

    def close(self) -> None:
        """Close every thread's connection; later calls raise CatalogError."""
        self._closed = True
        if hasattr(self, "_conns"):
            self._conns.close_all()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Map SQLite failures to CatalogError; integrity/programming errors stay bugs."""
        try:
            yield
        except (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError):
            if self._closed:  # closed by another thread while this one was using it
                raise CatalogError(f"the catalog {self.path} is closed") from None
            raise
        except sqlite3.Error as exc:
            log.error("catalog %s: %s", self.path, exc)
            raise sqlite.catalog_error(exc, self.path) from exc

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE ... COMMIT), serialised across threads."""
        with self._write_lock, self._guard(), sqlite.immediate(self._conn()) as conn:
            yield conn

    def _query(self, sql: str, params: Sequence = ()) -> list[tuple]:
        with self._guard():
            return self._conn().execute(sql, params).fetchall()

    # The catalog's other tables (labels, albums) have their own stores beside this class;
    # they read and write through these, so the catalog's rules (one connection per thread,
    # serialised writes, CatalogError for SQLite failures) hold for them too.

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE ... COMMIT), serialised across threads."""
        return self._write()

    def select(self, sql: str, params: Sequence = ()) -> list[tuple]:
        """The rows of one read query."""
        return self._query(sql, params)

    def fold_wal(self) -> None:
        """After a pass that wrote: fold the write-ahead log into the catalog and cut it to
        nothing, so no large `-wal` file stays beside a catalog another connection (the
        window) keeps open. Housekeeping: a failure, or a reader that stays, is only logged."""
        wal = self.path.with_name(self.path.name + "-wal")
        try:
            if self.read_only or wal.stat().st_size == 0:
                return
            with self._write_lock:
                if not sqlite.fold_wal(self._conn(), self._conns.timeout):
                    log.info("catalog %s: a reader kept the WAL; folded next time", self.path)
        except (OSError, sqlite3.Error, CatalogError) as exc:
            log.info("catalog %s: WAL not folded: %s", self.path, exc)

    # -- folders --------------------------------------------------------------------------

    def add_folder(self, path: Path, exclude: Sequence[str] = ()) -> Folder:
        """Add a folder (absolute path); adding it again updates its exclude patterns.

        Adding an offline folder again also forgets the mount it was scanned on: the user says
        the photos now live where the path leads (another drive, a copy on the internal disk).
        """
        key = path_key(Path(path).absolute())
        with self._write() as conn:
            conn.execute(
                "INSERT INTO folders (path, exclude, online, added_at) VALUES (?, ?, 1, ?) "
                "ON CONFLICT(path) DO UPDATE SET exclude = excluded.exclude, "
                "mount = CASE WHEN online = 1 THEN mount END",
                (key, json.dumps(list(exclude)), time.time()),
            )
            row = conn.execute(
                f"SELECT {_FOLDER_COLUMNS} FROM folders WHERE path = ?", (key,)
            ).fetchone()
        return folder_from_row(row)

    def remove_folder(self, folder_id: int) -> list[int]:
        """Forget a folder, its files and their vectors; returns the removed file ids."""
        with self._write() as conn:
            rows = conn.execute("SELECT id FROM files WHERE folder_id = ?", (folder_id,))
            ids = [r[0] for r in rows]
            conn.execute("DELETE FROM files WHERE folder_id = ?", (folder_id,))
            conn.execute("DELETE FROM folders WHERE id = ?", (folder_id,))
            conn.execute("DELETE FROM settings WHERE key = ?", (f"{_SKIPPED}{int(folder_id)}",))
        return ids

    def folders(self) -> list[Folder]:
        rows = self._query(f"SELECT {_FOLDER_COLUMNS} FROM folders ORDER BY id")
        return [folder_from_row(r) for r in rows]

    def get_folder(self, folder_id: int) -> Folder | None:
        rows = self._query(f"SELECT {_FOLDER_COLUMNS} FROM folders WHERE id = ?", (folder_id,))
        return folder_from_row(rows[0]) if rows else None

    def folder_for_path(self, path: Path) -> Folder | None:
        """The innermost catalogued folder that contains `path` (or is it)."""
        target = Path(path).absolute()
        best: Folder | None = None
        for folder in self.folders():
            inside = target == folder.path or folder.path in target.parents
            if inside and (best is None or len(folder.path.parts) > len(best.path.parts)):
                best = folder
        return best

    def set_folder_online(self, folder_id: int, online: bool, reason: str | None = None) -> None:
        """Mark a folder online, or offline with the reason the user is shown."""
        with self._write() as conn:
            conn.execute(
                "UPDATE folders SET online = ?, offline_reason = ? WHERE id = ?",
                (int(online), None if online else reason, folder_id),
            )

    def set_folder_scanned(
        self, folder_id: int, when: float, mount: MountIdentity | None = None
    ) -> None:
        """Record a finished walk and the mount it read (kept when `mount` is None)."""
        with self._write() as conn:
            conn.execute(
                "UPDATE folders SET last_scan = ?, mount = COALESCE(?, mount) WHERE id = ?",
                (when, mount.to_json() if mount is not None else None, folder_id),
            )

    def folder_has_files(self, folder_id: int) -> bool:
        rows = self._query("SELECT 1 FROM files WHERE folder_id = ? LIMIT 1", (folder_id,))
        return bool(rows)

    def folder_counts(self, model: str | None = None) -> dict[int, dict[str, int]]:
        """{folder_id: {"ok": n, "pending": n, "error": n}}, zeros included; with `model`,
        as `counts` says them for it."""
        counts = {f.id: dict.fromkeys(STATUSES, 0) for f in self.folders()}
        for folder_id, status, n in self._status_rows(model):
            counts.setdefault(folder_id, dict.fromkeys(STATUSES, 0))[status] = n
        return counts

    # What the last walk of each folder left out for its type, as a settings row per folder
    # ("skipped:<id>" -> {suffix: files}): a few bytes, where a table would cost the catalog
    # two more 16 KiB pages and a migration.

    def set_skipped(self, folder_id: int, counts: Mapping[str, int]) -> None:
        """What the last walk of a folder left out: {suffix: files} (replaces the last)."""
        kept = {suffix: int(n) for suffix, n in sorted(counts.items()) if n > 0}
        self.set_setting(f"{_SKIPPED}{int(folder_id)}", json.dumps(kept) if kept else None)

    def skipped_counts(self) -> dict[str, int]:
        """{suffix: files} left out by the last scans of the catalogued folders, most first."""
        rows = self._query(
            "SELECT s.value FROM settings s JOIN folders f ON s.key = ? || f.id", (_SKIPPED,)
        )
        total: dict[str, int] = {}
        for (value,) in rows:
            for suffix, n in json.loads(value).items():
                total[suffix] = total.get(suffix, 0) + int(n)
        return dict(sorted(total.items(), key=lambda item: (-item[1], item[0])))

    def set_scan_problems(self, folder_id: int, problems: Sequence[ScanProblem]) -> None:
        """What the latest scan of a folder could not open (replaces the last list): the
        first SCAN_PROBLEMS_KEPT by path, and how many there were in all."""
        unique = sorted({p.path: p for p in problems}.values())
        kept = [[str(p.path), p.reason] for p in unique[:SCAN_PROBLEMS_KEPT]]
        with self._write() as conn:  # ASCII escapes: a name not valid UTF-8 round-trips
            conn.execute(
                "UPDATE folders SET scan_problems = ?, scan_problem_count = ? WHERE id = ?",
                (json.dumps(kept) if kept else None, len(unique), folder_id),
            )

    def scan_problems(self) -> dict[int, tuple[int, list[ScanProblem]]]:
        """{folder id: (how many, the first few by path)} of the folders whose latest scan
        could not open something."""
        rows = self._query(
            "SELECT id, scan_problem_count, scan_problems FROM folders "
            "WHERE scan_problem_count > 0 ORDER BY id"
        )
        found: dict[int, tuple[int, list[ScanProblem]]] = {}
        for folder_id, count, value in rows:
            try:
                items = [ScanProblem(path_from_key(p), str(why)) for p, why in json.loads(value)]
            except (ValueError, TypeError):
                items = []  # damaged: the count still says there were some
            found[folder_id] = (int(count), items)
        return found

    # -- files ----------------------------------------------------------------------------

    def get_file(self, file_id: int) -> FileRecord | None:
        rows = self._query(f"SELECT {_FILE_COLUMNS} FROM files f WHERE f.id = ?", (file_id,))
        return file_from_row(rows[0]) if rows else None

    def get_files(self, ids: Sequence[int]) -> dict[int, FileRecord]:
        """Records of the ids that exist (missing ids are left out)."""
        found: dict[int, FileRecord] = {}
        for chunk in _chunks(ids):
            sql = f"SELECT {_FILE_COLUMNS} FROM files f WHERE f.id IN ({_marks(len(chunk))})"
            for row in self._query(sql, chunk):
                found[row[0]] = file_from_row(row)
        return found

    def file_by_path(self, path: Path) -> FileRecord | None:
        rows = self._query(
            f"SELECT {_FILE_COLUMNS} FROM files f WHERE f.path = ?", (path_key(path),)
        )
        return file_from_row(rows[0]) if rows else None

    def files_in_folder(self, folder_id: int) -> list[FileRecord]:
        sql = f"SELECT {_FILE_COLUMNS} FROM files f WHERE f.folder_id = ? ORDER BY f.id"
        return [file_from_row(r) for r in self._query(sql, (folder_id,))]

    def error_times(self, folder_id: int) -> dict[Path, float]:
        """{path: when its error was recorded} of a folder's files that could not be read."""
        rows = self._query(
            "SELECT path, updated_at FROM files WHERE folder_id = ? AND status = 'error'",
            (folder_id,),
        )
        return {path_from_key(path): float(when) for path, when in rows}

    def files_by_hash(self, quick_hash: str) -> list[FileRecord]:
        sql = f"SELECT {_FILE_COLUMNS} FROM files f WHERE f.quick_hash = ? ORDER BY f.id"
        return [file_from_row(r) for r in self._query(sql, (quick_hash,))]

    def add_files(self, rows: Sequence[NewFile]) -> list[int]:
        """Add files as 'pending', one transaction; returns their ids in order.

        A path already catalogued keeps its record (and id), which is returned instead. Rows
        of a folder removed meanwhile (by another thread, during a scan) are left out.
        """
        now = time.time()
        ids: list[int] = []
        with self._write() as conn:
            folders = {r[0] for r in conn.execute("SELECT id FROM folders")}
            for row in rows:
                if row.folder_id not in folders:
                    continue
                key = path_key(row.path)
                kind = row.kind if row.kind is not None else kind_of(row.path)
                got = conn.execute(
                    "INSERT INTO files (folder_id, path, size, mtime_ns, quick_hash, kind, "
                    "status, added_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?) "
                    "ON CONFLICT(path) DO NOTHING RETURNING id",
                    (row.folder_id, key, row.size, row.mtime_ns, row.quick_hash, kind, now, now),
                ).fetchone()
                if got is None:
                    got = conn.execute("SELECT id FROM files WHERE path = ?", (key,)).fetchone()
                ids.append(int(got[0]))
        return ids

    def mark_changed(self, file_id: int, size: int, mtime_ns: int, quick_hash: str | None) -> None:
        """The file's content changed: back to 'pending' and its vectors are dropped."""
        with self._write() as conn:
            conn.execute(
                "UPDATE files SET size = ?, mtime_ns = ?, quick_hash = ?, status = 'pending', "
                "error = NULL, updated_at = ? WHERE id = ?",
                (size, mtime_ns, quick_hash, time.time(), file_id),
            )
            conn.execute("DELETE FROM embeddings WHERE file_id = ?", (file_id,))

    def touch_file(self, file_id: int, size: int, mtime_ns: int) -> None:
        """New size/mtime for a file whose content hash did not change: keep its vectors."""
        with self._write() as conn:
            conn.execute(
                "UPDATE files SET size = ?, mtime_ns = ? WHERE id = ?", (size, mtime_ns, file_id)
            )

    def move_file(self, file_id: int, new_path: Path, folder_id: int) -> None:
        """The file was moved or renamed: same id, same vectors, new path.

        A record already at `new_path` is dropped: the move overwrote that file. When the
        target folder was removed meanwhile, the file has left the library: its record goes.
        """
        key = path_key(new_path)
        with self._write() as conn:
            if not conn.execute("SELECT 1 FROM folders WHERE id = ?", (folder_id,)).fetchone():
                conn.execute("DELETE FROM files WHERE id = ?", (file_id,))
                return
            conn.execute("DELETE FROM files WHERE path = ? AND id != ?", (key, file_id))
            conn.execute(
                "UPDATE files SET path = ?, folder_id = ?, kind = ?, updated_at = ? WHERE id = ?",
                (key, folder_id, kind_of(new_path), time.time(), file_id),
            )

    def delete_files(self, ids: Sequence[int]) -> None:
        with self._write() as conn:
            for chunk in _chunks(ids):
                conn.execute(f"DELETE FROM files WHERE id IN ({_marks(len(chunk))})", chunk)

    def pending_files(self, model: str, limit: int, after_id: int = 0) -> list[FileRecord]:
        """Files to encode for `model`, ordered by id: 'pending', or 'ok' without a vector for
        `model`. Files of offline folders wait until the folder is back."""
        sql = (
            f"SELECT {_FILE_COLUMNS} FROM files f JOIN folders d ON d.id = f.folder_id "
            "WHERE f.id > ? AND d.online = 1 AND (f.status = 'pending' OR (f.status = 'ok' AND "
            "NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.file_id = f.id AND e.model = ?))) "
            "ORDER BY f.id LIMIT ?"
        )
        return [file_from_row(r) for r in self._query(sql, (after_id, model, limit))]

    def pending_count(self, model: str) -> int:
        """How many files `pending_files` would hand out for `model` in total."""
        sql = (
            "SELECT count(*) FROM files f JOIN folders d ON d.id = f.folder_id "
            "WHERE d.online = 1 AND (f.status = 'pending' OR (f.status = 'ok' AND "
            "NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.file_id = f.id AND e.model = ?)))"
        )
        return int(self._query(sql, (model,))[0][0])

    def store_results(
        self,
        model: str,
        ok: Sequence[tuple[int, np.ndarray, ImageFacts | None]],
        failed: Sequence[tuple[int, str]],
    ) -> list[int]:
        """Record one encoded batch in one transaction; returns the ids stored as 'ok'.

        Ids deleted meanwhile are skipped (not returned), and so is a vector that is not
        finite, which marks its file as failed instead.
        """
        return self.store_batch(model, ok, failed).ids

    def store_batch(
        self,
        model: str,
        ok: Sequence[tuple[int, np.ndarray, ImageFacts | None]],
        failed: Sequence[tuple[int, str]],
    ) -> StoredBatch:
        """`store_results`, with the model's change stamps just before and after the batch,
        read in its transaction: a vector index that held the catalog's vectors as of
        `before` and adds the batch's ids holds them as of `after` (see VectorIndex.advance).
        """
        now = time.time()
        stored: list[int] = []
        errors = list(failed)
        with self._write() as conn:
            before = after = self._newest_seq(conn, model)
            for file_id, vector, facts in ok:
                vec = np.asarray(vector, dtype=np.float32).reshape(-1)
                if vec.size == 0 or not np.all(np.isfinite(vec)):
                    errors.append((file_id, "the encoder returned an invalid vector"))
                    continue
                facts = facts or ImageFacts()
                cur = conn.execute(
                    "UPDATE files SET width = ?, height = ?, taken_at = ?, camera = ?, "
                    "status = 'ok', error = NULL, updated_at = ? WHERE id = ?",
                    (facts.width, facts.height, facts.taken_at, facts.camera, now, int(file_id)),
                )
                if cur.rowcount == 0:
                    continue
                cur = conn.execute(
                    "INSERT OR REPLACE INTO embeddings (file_id, model, vector) VALUES (?, ?, ?)",
                    (int(file_id), model, vector_blob(vec)),
                )
                after = int(cur.lastrowid or after)  # seq is the rowid and only grows
                stored.append(int(file_id))
            failed_count = 0
            for file_id, message in errors:
                cur = conn.execute(
                    "UPDATE files SET status = 'error', error = ?, updated_at = ? WHERE id = ?",
                    (str(message)[:1000], now, int(file_id)),
                )
                failed_count += cur.rowcount
        return StoredBatch(stored, before, after, failed_count)

    @staticmethod
    def _newest_seq(conn: sqlite3.Connection, model: str) -> int:
        """`embedding_stamp` inside a transaction."""
        return int(conn.execute(_NEWEST_SEQ, (model,)).fetchone()[0] or 0)

    def errors(self) -> list[FileRecord]:
        sql = f"SELECT {_FILE_COLUMNS} FROM files f WHERE f.status = 'error' ORDER BY f.path"
        return [file_from_row(r) for r in self._query(sql)]

    def counts(self, model: str | None = None) -> dict[str, int]:
        """{"files": n, "ok": n, "pending": n, "error": n}; with `model`, an 'ok' photo it
        has no vector of counts as pending (after `model use`, the photos wait for an index
        run with it: "up to date" would be a lie while its searches find none of them)."""
        counts = {"files": 0, **dict.fromkeys(STATUSES, 0)}
        for _, status, n in self._status_rows(model):
            counts[status] += n
            counts["files"] += n
        return counts

    def _status_rows(self, model: str | None) -> list[tuple[int, str, int]]:
        """(folder_id, status, files) rows, the status as `model` sees it when given."""
        if model is None:
            # Grouping by (folder, status) walks the covering index in order: no sort, no table.
            return self._query("SELECT folder_id, status, count(*) FROM files GROUP BY 1, 2")
        return self._query(
            "SELECT folder_id, CASE WHEN status = 'ok' AND NOT EXISTS (SELECT 1 FROM embeddings "
            "e WHERE e.file_id = files.id AND e.model = ?) THEN 'pending' ELSE status END, "
            "count(*) FROM files GROUP BY 1, 2",
            (model,),
        )

    def filter_ids(
        self,
        *,
        folders: Sequence[int] = (),
        date_from: float | None = None,
        date_to: float | None = None,
        kinds: Sequence[str] = (),
        model: str | None = None,
        within: Sequence[str] = (),
    ) -> set[int]:
        """Ids of 'ok' files passing every given filter, for `VectorIndex.query(filter_ids=)`.

        A photo's date is its EXIF date taken, else its modification time; `date_to` is
        inclusive. With `model`, only files that have a vector for it. `within`: only files
        under one of these folder paths (any depth).
        """
        where, params = file_conditions(
            folders=folders, date_from=date_from, date_to=date_to, kinds=kinds, within=within
        )
        where.insert(0, "f.status = 'ok'")
        if model is not None:
            where.append("f.id IN (SELECT file_id FROM embeddings WHERE model = ?)")
            params.append(model)
        rows = self._query(f"SELECT f.id FROM files f WHERE {' AND '.join(where)}", params)
        return {r[0] for r in rows}

    # -- embeddings -----------------------------------------------------------------------

    def iter_embeddings(
        self, model: str, batch: int = 10000
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(ids int64[n], vectors float32[n, D]) chunks in id order; memory stays bounded."""
        last = -1
        while True:
            rows = self._query(
                "SELECT file_id, vector FROM embeddings WHERE model = ? AND file_id > ? "
                "ORDER BY file_id LIMIT ?",
                (model, last, batch),
            )
            if not rows:
                return
            ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            yield ids, vectors_from_blobs([r[1] for r in rows], model)
            last = int(ids[-1])

    def embedding_ids(self, model: str) -> np.ndarray:
        """Sorted int64 ids of the files that have a vector for `model`."""
        with self._guard():
            cur = self._conn().execute(
                "SELECT file_id FROM embeddings WHERE model = ? ORDER BY file_id", (model,)
            )
            return np.fromiter((r[0] for r in cur), dtype=np.int64)

    def get_embeddings(self, model: str, ids: Sequence[int]) -> dict[int, np.ndarray]:
        found_ids, vectors = self.get_embedding_matrix(model, ids)
        return {int(i): vectors[n] for n, i in enumerate(found_ids)}

    def get_embedding_matrix(
        self, model: str, ids: Sequence[int] | np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(ids found, vectors [n, D]) for the ids that have a vector, in the order asked."""
        found: list[int] = []
        blobs: list[bytes] = []
        for chunk in _chunks(ids):
            rows = self._query(
                f"SELECT file_id, vector FROM embeddings WHERE model = ? "
                f"AND file_id IN ({_marks(len(chunk))})",
                [model, *chunk],
            )
            got = dict(rows)
            for i in chunk:
                if i in got:
                    found.append(i)
                    blobs.append(got.pop(i))
        return np.asarray(found, dtype=np.int64), vectors_from_blobs(blobs, model)

    def embedding_count(self, model: str) -> int:
        return self._query("SELECT count(*) FROM embeddings WHERE model = ?", (model,))[0][0]

    def embedding_models(self) -> dict[str, int]:
        """{model: number of stored vectors}."""
        return dict(self._query("SELECT model, count(*) FROM embeddings GROUP BY model"))

    def embedding_stamp(self, model: str) -> int:
        """Change number of the newest stored vector of `model` (0 if none); it only grows."""
        return int(self._query(_NEWEST_SEQ, (model,))[0][0] or 0)

    def embedding_removals(self, model: str) -> int:
        """How many vectors of `model` were ever removed (a trigger counts them); with
        `embedding_stamp`, it moves on every change to the model's vectors."""
        key = f"vectors_removed:{model}"  # written by the v5 trigger (library/schema.py)
        rows = self._query("SELECT value FROM settings WHERE key = ?", (key,))
        return int(rows[0][0]) if rows else 0

    def embedding_ids_since(self, model: str, stamp: int) -> np.ndarray:
        """Sorted ids whose vector for `model` was stored after `embedding_stamp` gave `stamp`."""
        # A rowid range (seq is the rowid): "+model" keeps SQLite off the model index.
        rows = self._query(
            "SELECT file_id FROM embeddings WHERE seq > ? AND +model = ?", (stamp, model)
        )
        return np.sort(np.asarray([r[0] for r in rows], dtype=np.int64))

    def drop_model(self, model: str) -> None:
        """Forget every vector of `model` (its files go back to pending for it), and with
        them, in the same transaction, its label text vectors, cut-offs and tags."""
        with self._write() as conn:
            conn.execute("DELETE FROM embeddings WHERE model = ?", (model,))
            for table in ("file_labels", "label_cutoffs", "label_vectors"):
                conn.execute(f"DELETE FROM {table} WHERE model = ?", (model,))

    # -- settings -------------------------------------------------------------------------
    # Facts about this library that are not rows of their own: which label vocabulary was
    # synced (search/tags.py), what each folder's last scan skipped. They travel with the
    # library. A person's preferences are the window's (QSettings, gui/); the model in use
    # is the model store's (`ModelStore.use`): each kind of setting has one store.

    def get_setting(self, key: str, default: str | None = None) -> str | None:
        rows = self._query("SELECT value FROM settings WHERE key = ?", (key,))
        return rows[0][0] if rows else default

    def set_setting(self, key: str, value: str | None) -> None:
        """Store a setting; None deletes it."""
        with self._write() as conn:
            if value is None:
                conn.execute("DELETE FROM settings WHERE key = ?", (key,))
            else:
                conn.execute(
                    "INSERT INTO settings (key, value) VALUES (?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (key, str(value)),
                )

"""SQLite plumbing shared by the catalog and its migrations: one connection per thread, write
transactions, statements run one by one, and SQLite failures as CatalogError a person can act
on (locked, corrupt, full, read-only, unopenable, I/O).

Connections are in autocommit mode (`isolation_level=None`): every transaction is explicit,
`BEGIN IMMEDIATE` (the write lock taken at the start, so two writers wait for each other
instead of failing half-way) ... `COMMIT`, rolled back on any exception.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from photofind.errors import CatalogError

log = logging.getLogger(__name__)

# The catalog's pages are 16 KiB, so SQLite's automatic checkpoint (every 1,000 pages) lets the
# write-ahead log reach 16 MB, and a WAL file keeps its size while any connection stays open
# (the window's, all day): 16.5 MB stayed beside a 2.3 MB catalog after indexing 3,000 photos.
# An index pass folds the log away when it ends (`fold_wal`), and each connection cuts it back
# to WAL_SIZE_LIMIT whenever a checkpoint lets it start anew. (Checkpointing more often cost
# the tiny model's indexing 1.7 times its time.)
WAL_SIZE_LIMIT = 4 * 1024 * 1024
FOLD_WAIT = 0.5  # seconds `fold_wal` waits for readers to leave the log before giving up


def connect(target: Path | str, *, timeout: float, uri: bool = False) -> sqlite3.Connection:
    """One connection as the catalog uses them: autocommit, foreign keys, WAL-safe sync."""
    conn = sqlite3.connect(
        target, timeout=timeout, isolation_level=None, check_same_thread=False, uri=uri
    )
    conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = NORMAL")  # durable across crashes of the app in WAL
    conn.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")
    return conn


def fold_wal(conn: sqlite3.Connection, timeout: float) -> bool:
    """Copy the write-ahead log into the database and truncate it to nothing; True if done.

    A TRUNCATE checkpoint waits for readers to leave the log and holds other writers off
    meanwhile, so it waits FOLD_WAIT at most (then `timeout`, the connection's own, again):
    a reader that stays leaves the log for the next time, and nothing is lost either way."""
    conn.execute(f"PRAGMA busy_timeout = {int(FOLD_WAIT * 1000)}")
    try:
        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
    return not busy


class ThreadConnections:
    """One connection per thread to one database, opened on first use; a dead thread's
    connection is closed when another thread opens one. Any thread may call any method."""

    def __init__(self, target: Path | str, *, timeout: float, uri: bool = False) -> None:
        self.target, self.timeout, self.uri = target, timeout, uri
        self._local = threading.local()
        self._conns: dict[threading.Thread, sqlite3.Connection] = {}
        self._lock = threading.Lock()

    def get(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        conn = connect(self.target, timeout=self.timeout, uri=self.uri)
        self._local.conn = conn
        with self._lock:
            for thread in [t for t in self._conns if not t.is_alive()]:
                self._conns.pop(thread).close()
            self._conns[threading.current_thread()] = conn
        return conn

    def close_all(self) -> None:
        """Close every thread's connection (a thread that uses one again gets an error)."""
        with self._lock:
            conns, self._conns = list(self._conns.values()), {}
        for conn in conns:
            try:
                conn.close()
            except sqlite3.Error as exc:
                log.warning("closing %s: %s", self.target, exc)


@contextmanager
def immediate(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction on an autocommit connection: BEGIN IMMEDIATE ... COMMIT."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def run_script(conn: sqlite3.Connection, script: str) -> None:
    """Run statements one by one: `executescript` would COMMIT the open transaction."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            conn.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement: {statement.strip()[:60]}")


def catalog_error(exc: sqlite3.Error, path: Path | str) -> CatalogError:
    """The SQLite failure `exc` on the catalog `path`, said so a person can act on it."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc)
    low = text.lower()
    where = f"the catalog {path}"
    corrupt = ("malformed", "not a database")
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or any(c in low for c in corrupt):
        msg = f"{where} is corrupt ({text}); restore a backup or move it away to start over"
    elif name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in low:
        msg = f"{where} is locked by another program (is another photofind running?)"
    elif name.startswith("SQLITE_FULL") or "disk is full" in low:
        msg = (
            f"the disk holding {where} is full: free some space and run photofind again "
            "(what was saved before is kept)"
        )
    elif name.startswith("SQLITE_CANTOPEN") or "unable to open" in low:
        msg = f"cannot open {where}: check that its folder exists and is writable"
    elif name.startswith("SQLITE_READONLY") or "readonly" in low:
        msg = (
            f"{where} is read-only (read-only media or no write permission): searching "
            "works, but changing the library needs a writable library folder"
        )
    elif name.startswith("SQLITE_IOERR") or "i/o error" in low:
        msg = f"disk I/O error on {where} ({text})"
    else:
        msg = f"{where}: {text}"
    return CatalogError(msg)

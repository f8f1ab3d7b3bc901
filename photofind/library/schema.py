"""The catalog's SQL schema and its step-by-step migrations, versioned by PRAGMA user_version.

Never edit a released step: add a new function to MIGRATIONS instead, so every catalog ever
written walks the same path to the current version.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable

from photofind.errors import CatalogError
from photofind.library.sqlite import immediate
from photofind.library.sqlite import run_script as _run

log = logging.getLogger(__name__)


def _v1_tables(conn: sqlite3.Connection) -> None:
    """First release: folders, files, one vector per (file, model), settings."""
    _run(
        conn,
        """
        CREATE TABLE folders (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL UNIQUE,
            exclude TEXT NOT NULL DEFAULT '[]',
            online INTEGER NOT NULL DEFAULT 1,
            added_at REAL NOT NULL,
            last_scan REAL
        );
        -- AUTOINCREMENT: a deleted id is never reused, because ids are vector-index labels.
        CREATE TABLE files (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
            path TEXT NOT NULL UNIQUE,
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            quick_hash TEXT,
            width INTEGER,
            height INTEGER,
            taken_at REAL,
            camera TEXT,
            kind TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'ok', 'error')),
            error TEXT,
            added_at REAL NOT NULL,
            updated_at REAL NOT NULL
        );
        CREATE INDEX files_folder ON files(folder_id);
        CREATE INDEX files_hash ON files(quick_hash);
        CREATE TABLE embeddings (
            file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
            model TEXT NOT NULL,
            vector BLOB NOT NULL,
            PRIMARY KEY (file_id, model)
        );
        CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """,
    )


def _v2_embedding_seq(conn: sqlite3.Connection) -> None:
    """Number every stored vector (`seq`, never reused) so a vector-index file can tell which
    vectors changed after it was saved; index vectors by model for streaming and id lists,
    files by (folder, status) for counts and by date for search filters."""
    _run(
        conn,
        """
        CREATE TABLE embeddings_v2 (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
            model TEXT NOT NULL,
            vector BLOB NOT NULL,
            UNIQUE (file_id, model)
        );
        INSERT INTO embeddings_v2 (file_id, model, vector)
            SELECT file_id, model, vector FROM embeddings ORDER BY file_id, model;
        DROP TABLE embeddings;
        ALTER TABLE embeddings_v2 RENAME TO embeddings;
        CREATE INDEX embeddings_model ON embeddings(model, file_id);
        DROP INDEX files_folder;
        CREATE INDEX files_folder_status ON files(folder_id, status);
        CREATE INDEX files_date ON files(COALESCE(taken_at, mtime_ns / 1e9));
        """,
    )


def _v3_folder_mounts(conn: sqlite3.Connection) -> None:
    """Remember the mount each folder was scanned on and why a folder is offline, so an
    unmounted drive (its mount point left empty) goes offline instead of losing its photos."""
    _run(
        conn,
        """
        ALTER TABLE folders ADD COLUMN mount TEXT;
        ALTER TABLE folders ADD COLUMN offline_reason TEXT;
        """,
    )


def _v4_labels_and_albums(conn: sqlite3.Connection) -> None:
    """Zero-shot labels (built-in and the user's own), their text vectors and cut-offs per
    model, the labels each photo carries per model, and smart albums (saved queries)."""
    _run(
        conn,
        """
        CREATE TABLE labels (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            prompt TEXT NOT NULL,
            builtin INTEGER NOT NULL DEFAULT 0,
            hidden INTEGER NOT NULL DEFAULT 0
        );
        -- `source` = the prompt and templates the vector was made from; a change remakes it.
        CREATE TABLE label_vectors (
            label_id INTEGER NOT NULL REFERENCES labels(id) ON DELETE CASCADE,
            model TEXT NOT NULL,
            source TEXT NOT NULL,
            vector BLOB NOT NULL,
            PRIMARY KEY (label_id, model)
        );
        -- `photos` = how many photos had vectors when the cut-off was read off their scores.
        CREATE TABLE label_cutoffs (
            label_id INTEGER NOT NULL REFERENCES labels(id) ON DELETE CASCADE,
            model TEXT NOT NULL,
            cutoff REAL NOT NULL,
            photos INTEGER NOT NULL,
            PRIMARY KEY (label_id, model)
        );
        CREATE TABLE file_labels (
            label_id INTEGER NOT NULL REFERENCES labels(id) ON DELETE CASCADE,
            model TEXT NOT NULL,
            file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
            score REAL NOT NULL,
            PRIMARY KEY (label_id, model, file_id)
        );
        CREATE INDEX file_labels_file ON file_labels(file_id, model);
        -- `query` is a Query as JSON; `cutoff` the score read off the scores of
        -- `cutoff_photos` photos for `cutoff_model` when the query gives no minimum score.
        CREATE TABLE albums (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            query TEXT NOT NULL,
            cutoff REAL,
            cutoff_model TEXT,
            cutoff_photos INTEGER,
            created_at REAL NOT NULL
        );
        """,
    )


def _v5_embedding_removals(conn: sqlite3.Connection) -> None:
    """Count removed vectors per model (a trigger, so every way a vector goes counts: a file
    deleted, a folder removed, a photo changed, a model dropped), so a process that holds a
    vector index sees that another one removed vectors: a removal moves no `seq`.

    The counts are rows of `settings` (key "vectors_removed:<model>"), not a table of their
    own: a new table costs its own pages, and a library on a nearly full disk must still open.
    """
    _run(
        conn,
        """
        CREATE TRIGGER embeddings_removed AFTER DELETE ON embeddings BEGIN
            INSERT INTO settings (key, value) VALUES ('vectors_removed:' || OLD.model, '1')
                ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1;
        END;
        """,
    )


def _v6_folder_scan_problems(conn: sqlite3.Connection) -> None:
    """Keep, per folder, what its latest scan could not open (`scan_problems`: a JSON list of
    [path, reason], the first few hundred) and how many there were (`scan_problem_count`), so
    `photofind status` names them after the run that met them. Columns of `folders`, not a
    table: a folder's list is replaced as one value on each scan and goes with the folder,
    and a library on a nearly full disk still opens (no new pages)."""
    _run(
        conn,
        """
        ALTER TABLE folders ADD COLUMN scan_problems TEXT;
        ALTER TABLE folders ADD COLUMN scan_problem_count INTEGER NOT NULL DEFAULT 0;
        """,
    )


# MIGRATIONS[n] takes a catalog from version n to n + 1 (version 0 = empty file).
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _v1_tables,
    _v2_embedding_seq,
    _v3_folder_mounts,
    _v4_labels_and_albums,
    _v5_embedding_removals,
    _v6_folder_scan_problems,
]
SCHEMA_VERSION = len(MIGRATIONS)


def user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _check_not_newer(version: int, name: str) -> None:
    if version > SCHEMA_VERSION:
        raise CatalogError(
            f"the catalog {name} was made by a newer photofind (schema version "
            f"{version}, this one knows up to {SCHEMA_VERSION}); update photofind"
        )


def migrate(conn: sqlite3.Connection, target: int = SCHEMA_VERSION, *, name: str = "") -> None:
    """Bring the catalog to `target`, one transaction per step (a kill mid-way is harmless).

    `conn` must be in autocommit mode (isolation_level=None). Raises CatalogError when the
    file was made by a newer photofind.
    """
    _check_not_newer(user_version(conn), name)
    if user_version(conn) >= target:
        return  # the usual case: no write lock needed, so a busy catalog still opens
    while True:
        with immediate(conn):  # re-read the version under the write lock
            version = user_version(conn)
            _check_not_newer(version, name)
            if version >= target:
                return
            if version:
                log.info("migrating catalog %s from schema %d to %d", name, version, version + 1)
            MIGRATIONS[version](conn)
            conn.execute(f"PRAGMA user_version = {version + 1}")

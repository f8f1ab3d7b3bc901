"""The catalog's zero-shot label tables: labels, their text vectors and cut-offs, photo tags.

Plain storage; which photo carries which label is decided in `photofind.search.tags`. Every
write is one transaction through the catalog's own connection and write lock, so the rules
of `Catalog` (any thread, kill-safe) hold here too. Tags are kept per model: a model switch
never mixes one model's tags with another's.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from photofind.library.records import vector_blob, vectors_from_blobs

if TYPE_CHECKING:
    from photofind.library.catalog import Catalog


@dataclass(frozen=True)
class Label:
    """A label: built in (from the package vocabulary) or the user's own; hidden ones are
    built-in labels the user removed (kept so the vocabulary does not bring them back)."""

    id: int
    name: str
    prompt: str
    builtin: bool
    hidden: bool


class LabelStore:
    """Label tables of one catalog; any thread may call any method."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    # The catalog's public read and transaction helpers: the catalog's rules hold here.
    def _query(self, sql: str, params: Sequence = ()) -> list[tuple]:
        return self.catalog.select(sql, params)

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        return self.catalog.transaction()

    # -- labels ---------------------------------------------------------------------------

    def labels(self, *, hidden: bool = False) -> list[Label]:
        """Every label (hidden ones too with `hidden=True`), by name."""
        where = "" if hidden else "WHERE hidden = 0"
        rows = self._query(
            f"SELECT id, name, prompt, builtin, hidden FROM labels {where} ORDER BY name"
        )
        return [Label(r[0], r[1], r[2], bool(r[3]), bool(r[4])) for r in rows]

    def get(self, name: str) -> Label | None:
        rows = self._query(
            "SELECT id, name, prompt, builtin, hidden FROM labels WHERE name = ?", (name.strip(),)
        )
        return (
            Label(rows[0][0], rows[0][1], rows[0][2], bool(rows[0][3]), bool(rows[0][4]))
            if rows
            else None
        )

    def sync_builtin(self, labels: Iterable[tuple[str, str]]) -> None:
        """Add the vocabulary's labels that are missing and update changed prompts; labels
        the user hid stay hidden, the user's own labels of the same name stay theirs."""
        with self._write() as conn:
            for name, prompt in labels:
                conn.execute(
                    "INSERT INTO labels (name, prompt, builtin) VALUES (?, ?, 1) "
                    "ON CONFLICT(name) DO UPDATE SET prompt = excluded.prompt WHERE builtin = 1",
                    (name, prompt),
                )

    def add(self, name: str, prompt: str) -> Label:
        """The user's own label (or a hidden one shown again, with this prompt)."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO labels (name, prompt, builtin) VALUES (?, ?, 0) "
                "ON CONFLICT(name) DO UPDATE SET hidden = 0, prompt = excluded.prompt",
                (name, prompt),
            )
        found = self.get(name)
        assert found is not None
        return found

    def remove(self, label: Label) -> None:
        """Forget the user's own label; hide a built-in one. Its tags go either way."""
        with self._write() as conn:
            if label.builtin:
                conn.execute("UPDATE labels SET hidden = 1 WHERE id = ?", (label.id,))
                conn.execute("DELETE FROM file_labels WHERE label_id = ?", (label.id,))
                conn.execute("DELETE FROM label_cutoffs WHERE label_id = ?", (label.id,))
            else:
                conn.execute("DELETE FROM labels WHERE id = ?", (label.id,))

    # -- text vectors and cut-offs, per model ---------------------------------------------

    def vectors(self, model: str) -> dict[int, tuple[str, np.ndarray]]:
        """{label id: (source it was made from, unit text vector)} for `model`."""
        rows = self._query(
            "SELECT label_id, source, vector FROM label_vectors WHERE model = ?", (model,)
        )
        if not rows:
            return {}
        matrix = vectors_from_blobs([r[2] for r in rows], model)
        return {r[0]: (r[1], matrix[n]) for n, r in enumerate(rows)}

    def store_vectors(self, model: str, rows: Sequence[tuple[int, str, np.ndarray]]) -> None:
        with self._write() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO label_vectors (label_id, model, source, vector) "
                "VALUES (?, ?, ?, ?)",
                [(i, model, source, vector_blob(v)) for i, source, v in rows],
            )

    def cutoffs(self, model: str) -> dict[int, tuple[float, int]]:
        """{label id: (cut-off, photos it was read from)} for `model`."""
        rows = self._query(
            "SELECT label_id, cutoff, photos FROM label_cutoffs WHERE model = ?", (model,)
        )
        return {r[0]: (float(r[1]), int(r[2])) for r in rows}

    # -- tags -----------------------------------------------------------------------------

    def replace_labels(
        self,
        model: str,
        cutoffs: dict[int, float],
        photos: int,
        tags: Sequence[tuple[int, int, float]],
    ) -> None:
        """New cut-offs for some labels and all their tags [(label, file, score)], at once."""
        ids = list(cutoffs)
        with self._write() as conn:
            for label_id in ids:
                conn.execute(
                    "DELETE FROM file_labels WHERE label_id = ? AND model = ?", (label_id, model)
                )
            conn.executemany(
                "INSERT OR REPLACE INTO label_cutoffs (label_id, model, cutoff, photos) "
                "VALUES (?, ?, ?, ?)",
                [
                    (i, model, float(c) if np.isfinite(c) else 1e9, photos)
                    for i, c in cutoffs.items()
                ],
            )
            self._insert(conn, model, tags)

    def replace_files(
        self, model: str, file_ids: Sequence[int], tags: Sequence[tuple[int, int, float]]
    ) -> None:
        """The tags of some photos (newly indexed or re-encoded), replacing what they had."""
        with self._write() as conn:
            conn.executemany(
                "DELETE FROM file_labels WHERE file_id = ? AND model = ?",
                [(int(i), model) for i in file_ids],
            )
            self._insert(conn, model, tags)

    @staticmethod
    def _insert(conn, model: str, tags: Sequence[tuple[int, int, float]]) -> None:
        # A photo deleted meanwhile has no row to refer to: insert only existing files.
        conn.executemany(
            "INSERT OR REPLACE INTO file_labels (label_id, model, file_id, score) "
            "SELECT ?, ?, id, ? FROM files WHERE id = ?",
            [(int(lab), model, float(score), int(f)) for lab, f, score in tags],
        )

    def counts(self, model: str) -> dict[int, tuple[int, int]]:
        """{label id: (photos carrying it, the best-scoring one)} over 'ok' photos."""
        join = "FROM file_labels t JOIN files f ON f.id = t.file_id AND f.status = 'ok'"
        counts = self._query(
            f"SELECT t.label_id, count(*) {join} WHERE t.model = ? GROUP BY t.label_id", (model,)
        )
        # SQLite takes a bare column from the row that gave the only max(): the best photo.
        best = self._query(
            f"SELECT t.label_id, t.file_id, max(t.score) {join} WHERE t.model = ? "
            "GROUP BY t.label_id",
            (model,),
        )
        top = {r[0]: int(r[1]) for r in best}
        return {r[0]: (int(r[1]), top[r[0]]) for r in counts}

    def tagged(self, model: str, label_id: int) -> dict[int, float]:
        """{file id: score} of the photos carrying a label."""
        rows = self._query(
            "SELECT file_id, score FROM file_labels WHERE model = ? AND label_id = ?",
            (model, label_id),
        )
        return {int(r[0]): float(r[1]) for r in rows}

    def labels_of(self, model: str, file_ids: Sequence[int]) -> dict[int, list[str]]:
        """{file id: names of its visible labels, best first}."""
        out: dict[int, list[str]] = {int(i): [] for i in file_ids}
        ids = list(out)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._query(
                "SELECT t.file_id, l.name FROM file_labels t JOIN labels l ON l.id = t.label_id "
                f"WHERE t.model = ? AND l.hidden = 0 AND t.file_id IN ({marks}) "
                "ORDER BY t.score DESC",
                [model, *chunk],
            )
            for file_id, name in rows:
                out[int(file_id)].append(name)
        return out

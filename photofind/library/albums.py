"""The catalog's smart-album table: a name, a saved query (JSON) and its cut-off per model.

Plain storage; what an album holds is decided in `photofind.search.albums`.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from photofind.errors import LibraryError

if TYPE_CHECKING:
    from photofind.library.catalog import Catalog

_COLUMNS = "id, name, query, cutoff, cutoff_model, cutoff_photos, created_at"


@dataclass(frozen=True)
class AlbumRow:
    """A stored album: `query` is the Query's JSON data; `cutoff` the score read off the
    library for `cutoff_model` from `cutoff_photos` photos (None until read)."""

    id: int
    name: str
    query: dict[str, Any]
    cutoff: float | None
    cutoff_model: str | None
    cutoff_photos: int | None
    created_at: float


def _row(r: tuple) -> AlbumRow:
    return AlbumRow(r[0], r[1], json.loads(r[2]), r[3], r[4], r[5], r[6])


class AlbumStore:
    """Album rows of one catalog; any thread may call any method (the catalog's rules)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def albums(self) -> list[AlbumRow]:
        rows = self.catalog.select(f"SELECT {_COLUMNS} FROM albums ORDER BY name")
        return [_row(r) for r in rows]

    def get(self, name: str) -> AlbumRow | None:
        rows = self.catalog.select(f"SELECT {_COLUMNS} FROM albums WHERE name = ?", (name,))
        return _row(rows[0]) if rows else None

    def add(self, name: str, query: dict[str, Any]) -> AlbumRow:
        """A new album; LibraryError if the name is taken."""
        try:
            with self.catalog.transaction() as conn:
                conn.execute(
                    "INSERT INTO albums (name, query, created_at) VALUES (?, ?, ?)",
                    (name, json.dumps(query), time.time()),
                )
        except sqlite3.IntegrityError:
            raise LibraryError(f"there is already an album named {name!r}") from None
        found = self.get(name)
        assert found is not None
        return found

    def set_cutoff(self, album_id: int, cutoff: float | None, model: str, photos: int) -> None:
        with self.catalog.transaction() as conn:
            conn.execute(
                "UPDATE albums SET cutoff = ?, cutoff_model = ?, cutoff_photos = ? WHERE id = ?",
                (cutoff, model, photos, album_id),
            )

    def remove(self, album_id: int) -> None:
        with self.catalog.transaction() as conn:
            conn.execute("DELETE FROM albums WHERE id = ?", (album_id,))

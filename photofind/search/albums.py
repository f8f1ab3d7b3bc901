"""Smart albums: a saved search with a name, whose photos are whatever passes it today.

An album stores its `Query` (texts, images, negative terms, marks, filters), not a list of
photos, so it grows by itself as the watcher indexes new ones. Where it stops is the query's
minimum score if the user gave one; otherwise the score where `search` of the same query
cuts its matches (`photofind.search.cut`), so an album holds what its search shows. That
score is kept, so a new photo above it joins at once, and read again when the library has
grown by `thresholds.GROWTH` or the model changed. (The zero-shot labels' rule, tuned to tag
a few photos of a large library, had put a small library's album above every score.)
An album "taught by examples" is one whose query holds the user's marks: its classifier is
trained again from the stored vectors each time, so new photos are classified too.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from photofind.errors import CatalogError, LibraryError, PhotofindError
from photofind.library.albums import AlbumRow, AlbumStore
from photofind.search.query import MAX_K, Hit, Query, QueryError
from photofind.search.thresholds import NEVER, outgrown

if TYPE_CHECKING:
    from photofind.search.searcher import Searcher

log = logging.getLogger(__name__)

# The vector index returns float32 cosines (1 - distance); a cut-off exactly at a liked
# photo's score must not drop it by a rounding step.
SCORE_SLACK = 1e-4
EXPORT_MODES = ("link", "copy")


@dataclass(frozen=True)
class Export:
    """What an album export wrote, and the photos it could not copy (their drive is away)."""

    written: list[Path]
    away: list[Path]


@dataclass(frozen=True)
class Album:
    """An album as the front ends see it: its name, query and the cut-off in use (None when
    the library is still too small to read one off)."""

    id: int
    name: str
    query: Query
    cutoff: float | None
    problem: str | None = None  # why it cannot run now (a query picture that is gone...)

    @property
    def taught(self) -> bool:
        """Made from the user's marks ("taught by examples")."""
        return bool(self.query.like or self.query.unlike)


class Albums:
    """The smart albums of one library, answered by its `Searcher`. Any thread."""

    def __init__(self, searcher: Searcher) -> None:
        self.searcher = searcher
        self.store = AlbumStore(searcher.catalog)

    def add(self, name: str, query: Query) -> Album:
        """Save `query` as album `name`; QueryError if it looks for nothing, LibraryError if
        the name is taken. The query is tried once, so a bad image fails now, not later."""
        name = " ".join(name.split())
        if not name:
            raise QueryError("an album needs a name")
        if not query.has_target and not query.tag:
            raise QueryError("an album needs something to look for: words, images, marks or --tag")
        if query.has_target:
            self.searcher.query_vector(query)
        return self._album(self.store.add(name, query.to_json()))

    def albums(self) -> list[Album]:
        return [self._album(row) for row in self.store.albums()]

    def get(self, name: str) -> Album:
        row = self.store.get(" ".join(name.split()))
        if row is None:
            raise QueryError(f"there is no album {name!r} (see `photofind album list`)")
        return self._album(row)

    def remove(self, name: str) -> Album:
        album = self.get(name)
        self.store.remove(album.id)
        return album

    def photos(self, name: str | Album, k: int = MAX_K) -> list[Hit]:
        """The album's photos today, best first (at most `k`)."""
        album = self.get(name) if isinstance(name, str) else name
        if album.problem is not None:
            raise QueryError(f"the album {album.name!r} cannot run: {album.problem}")
        query = album.query
        if not query.has_target:  # a label, browsed
            return self.searcher.search(replace(query, k=k))
        if album.cutoff is None or album.cutoff == NEVER:
            return []
        return self.searcher.search(replace(query, k=k, min_score=album.cutoff, cut=None))

    def export(self, name: str, folder: Path, mode: str = "link") -> list[Path]:
        """Put the album's photos in `folder` as symbolic links or copies; returns the new
        files. Existing files are left alone (a second export adds only what is new)."""
        return self.export_to(name, folder, mode).written

    def export_to(self, name: str, folder: Path, mode: str = "link") -> Export:
        """`export`, with the photos a copy left out: those on a drive that is away (a link
        to them is made all the same: it works again when the drive is back)."""
        if mode not in EXPORT_MODES:
            raise QueryError(f"unknown export mode {mode!r}: use link or copy")
        folder = Path(folder).expanduser().absolute()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise LibraryError(f"{folder} is a file, not a folder to export into") from None
        except OSError as exc:
            raise LibraryError(f"cannot make the folder {folder}: {exc.strerror or exc}") from None
        done = Export([], [])
        for hit in self.photos(name):
            source = hit.file.path
            if mode == "copy" and (hit.offline or not source.exists()):
                done.away.append(source)
                continue
            target = folder / source.name
            if target.exists() or target.is_symlink():
                if target.is_symlink() and Path(os.readlink(target)) == source:
                    continue
                target = folder / f"{hit.file.id}-{source.name}"
                if target.exists() or target.is_symlink():
                    continue
            try:
                if mode == "link":
                    target.symlink_to(source)
                else:
                    shutil.copy2(source, target)
            except OSError as exc:
                raise LibraryError(f"cannot write {target}: {exc.strerror or exc}") from None
            done.written.append(target)
        return done

    # -- the cut-off ----------------------------------------------------------------------

    def _album(self, row: AlbumRow) -> Album:
        """The album of a row; one whose query cannot run now is still listed, with why."""
        query = Query.from_json(row.query)
        cutoff = query.min_score
        if cutoff is None and query.has_target:
            try:
                cutoff = self._cutoff(row, query)
            except PhotofindError as exc:
                return Album(row.id, row.name, query, None, str(exc))
        return Album(row.id, row.name, query, cutoff)

    def count(self, album: Album) -> tuple[int | None, str | None]:
        """(photos the album holds now, None) or (None, why it cannot run). Counted off the
        vector index (`Searcher.count`), without building the album's hits."""
        if album.problem is not None:
            return None, album.problem
        query = album.query
        if query.has_target and (album.cutoff is None or album.cutoff == NEVER):
            return 0, None
        try:
            return self.searcher.count(replace(query, min_score=album.cutoff)), None
        except PhotofindError as exc:
            return None, str(exc)

    def _boundary(self, query: Query, vector: np.ndarray) -> float:
        """Where marks put the edge when the scores show none: halfway between the weakest
        liked photo and the strongest rejected one (every liked photo stays in)."""
        liked = self.searcher.mark_vectors(query.like)[0] @ vector
        unliked = self.searcher.mark_vectors(query.unlike)[0] @ vector
        low = float(liked.min()) - SCORE_SLACK
        if unliked.size and float(unliked.max()) < low:
            return (low + float(unliked.max())) / 2
        return low

    def _cutoff(self, row: AlbumRow, query: Query) -> float | None:
        """The stored cut-off, or a new one if the model changed or the library grew."""
        model, vectors = self.searcher.library.active()
        if model is None or vectors is None:
            return row.cutoff
        photos = len(vectors)
        # A cut-off read as "none" is stored as NULL with the photos it was read from: it is
        # as fresh as a number, or every listing would stream every vector again.
        fresh = (
            (row.cutoff is None or -1.0 <= row.cutoff <= 1.0)
            and row.cutoff_model == model.name
            and row.cutoff_photos is not None
            and not outgrown(photos, row.cutoff_photos)
        )
        if fresh:
            return row.cutoff
        # Where the search of the same query cuts (search/cut.py, read off the scores of every
        # photo it searches), kept as a score: new photos above it join the album.
        found = self.searcher.find(replace(query, k=1, min_score=None, cut=query.cut or "normal"))
        cutoff = NEVER if found.threshold is None else found.threshold - SCORE_SLACK
        if query.like:  # taught by examples: the liked photos are in, whatever the scores say
            vector, _ = self.searcher.query_vector(query)
            boundary = self._boundary(query, vector)
            cutoff = boundary if cutoff == NEVER else min(cutoff, boundary)
        stored = None if cutoff == NEVER else float(cutoff)
        try:
            self.store.set_cutoff(row.id, stored, model.name, photos)
        except CatalogError as exc:  # a read-only library: use it now, read it again next time
            log.info("cannot keep the cut-off of album %r: %s", row.name, exc)
        return stored

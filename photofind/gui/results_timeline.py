"""The timeline in the grid: the library (narrowed by the filters in view), newest first, paged
in as the view scrolls.

`TimelineFeed` reads pages with `photofind.search.timeline` in the window's pool (no SQL on
the GUI thread) and hands them to the `ResultsModel`; the model's `more` hook is how the view
asks for the next page. A page that comes back after the grid moved on (a search started, the
timeline restarted) is dropped. GUI thread only.

Signals: `page_loaded` (rows of a page are in the model; tests and benchmarks wait on it).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence

from PySide6.QtCore import QObject, QThreadPool, Signal

from photofind.gui.results import ResultsModel
from photofind.gui.workers import run_task
from photofind.search import Hit, photo_date
from photofind.search.dates import Filters
from photofind.search.timeline import (
    PAGE,
    Cursor,
    Page,
    header_of,
    month_counts,
    timeline_count,
    timeline_page,
)

REFRESH_MAX = 3000  # rows a refresh reloads at most (where the person has scrolled to)


def date_headers(hits: Sequence[Hit]) -> list[str | None]:
    """Headers for results sorted by date: by day where the results are dense, else month."""
    dates = [photo_date(h.file) for h in hits]
    months = Counter(f"{t.tm_year:04}-{t.tm_mon:02}" for t in map(time.localtime, dates))
    return [header_of(date, months) for date in dates]


class TimelineFeed(QObject):
    page_loaded = Signal()

    def __init__(
        self, pool: QThreadPool, model: ResultsModel, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.pool = pool
        self.model = model
        self.active = False  # the grid shows the timeline (not a search)
        self._catalog = None
        self._filters: Filters | None = None
        self._serial = 0
        self._cursor: Cursor | None = None
        self._months: dict[str, int] = {}
        self._loading = False
        self.total = 0  # photos in the library, loaded or not

    def start(self, catalog, keep: int = 0, filters: Filters | None = None) -> None:
        """Show the timeline from its newest photo, narrowed by `filters` (the folders and
        dates in view); `keep` rows are loaded at once (a refresh keeps what the person had
        scrolled through, and the filters)."""
        self.active = True
        self._catalog = catalog
        self._filters = filters
        self._serial += 1
        serial = self._serial
        self._loading = True
        limit = max(PAGE, min(keep, REFRESH_MAX))

        def first() -> tuple[dict[str, int], Page, int]:
            return (
                month_counts(catalog, filters),
                timeline_page(catalog, None, limit, filters),
                timeline_count(catalog, filters),
            )

        run_task(self.pool, first, done=lambda got: self._first(serial, *got),
                 failed=lambda exc: self._failed(serial, exc))  # fmt: skip

    def stop(self) -> None:
        """A search takes the grid: pages still on their way are dropped."""
        self.active = False
        self._serial += 1
        self._loading = False

    def refresh(self) -> None:
        """New or changed photos (an index pass, the watcher): reload what is loaded."""
        if self.active and self._catalog is not None:
            self.start(self._catalog, keep=self.model.rowCount(), filters=self._filters)

    def _first(self, serial: int, months: dict[str, int], page: Page, total: int) -> None:
        if serial != self._serial:
            return
        self.total = total
        self._loading = False
        self._months = months
        self._cursor = page.after
        headers = [header_of(photo_date(h.file), months) for h in page.hits]
        self.model.set_hits(page.hits, headers, more=self._more if page.after else None)
        self.page_loaded.emit()

    def _more(self) -> bool:
        """The model's fetchMore: start reading the next page; False when there is none."""
        if self._loading:
            return True
        if self._cursor is None or self._catalog is None:
            return False
        self._loading = True
        serial = self._serial
        run_task(self.pool, timeline_page, self._catalog, self._cursor, PAGE, self._filters,
                 done=lambda page: self._next(serial, page),
                 failed=lambda exc: self._failed(serial, exc))  # fmt: skip
        return True

    def _next(self, serial: int, page: Page) -> None:
        if serial != self._serial:
            return
        self._loading = False
        self._cursor = page.after
        if page.after is None:
            self.model.more = None
        headers = [header_of(photo_date(h.file), self._months) for h in page.hits]
        self.model.append_hits(page.hits, headers)
        self.page_loaded.emit()

    def _failed(self, serial: int, exc: BaseException) -> None:
        if serial == self._serial:
            self._loading = False
            self.model.more = None
        import logging

        logging.getLogger(__name__).warning("timeline page: %s", exc)

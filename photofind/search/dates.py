"""Date presets and typed dates for the search filters, and `Filters`: what narrows a search.

Everything here is plain data and local time (EXIF dates carry no zone, so a photo taken at
23:30 on 31 December belongs to that year where the user lives). The window builds its date
menu from these (this month, this year, last year, one entry per year of the library, a custom
range typed or picked) and its one "clear filters" control from `Filters()`; the CLI shares
`parse_date`. No Qt: a `DateRange` holds unix seconds, as `Query.date_from`/`date_to` do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from photofind.search.query import Query, QueryError

if TYPE_CHECKING:
    from photofind.library.catalog import Catalog

# The forms people type, besides ISO (2023-05-01, 2023-05-01T10:00): day first with dots
# or slashes as in most of Europe, month names, a month alone, a year alone.
_DAY_FORMATS = ("%d.%m.%Y", "%d/%m/%Y", "%Y/%m/%d", "%d %B %Y", "%d %b %Y", "%B %d %Y", "%b %d %Y")
_MONTH_FORMATS = ("%Y-%m", "%Y/%m", "%m/%Y", "%m.%Y", "%B %Y", "%b %Y")
_YEAR = re.compile(r"^\d{4}$")


@dataclass(frozen=True)
class DateRange:
    """Photos dated from `start` to `end` inclusive (unix seconds, local time; either end may
    be open), with the `label` a menu or a chip shows ("2023", "This month", "1 May - 3 Jun").
    """

    start: float | None
    end: float | None
    label: str = ""

    def __post_init__(self) -> None:
        if self.start is not None and self.end is not None and self.start > self.end:
            raise QueryError("the date range is empty: its start is after its end")

    def contains(self, when: float) -> bool:
        return (self.start is None or when >= self.start) and (self.end is None or when <= self.end)


def _stamp(day: date, *, end: bool = False) -> float:
    """The first (or last) moment of a local day, as unix seconds."""
    return datetime.combine(day, time.max if end else time.min).timestamp()


def days(first: date, last: date, label: str = "") -> DateRange:
    """Whole local days from `first` to `last`, both included."""
    return DateRange(_stamp(first), _stamp(last, end=True), label or _label(first, last))


def _day(day: date, *, with_year: bool = True) -> str:
    """ "1 May 2023" (no %-d: Windows' strftime has none)."""
    return f"{day.day} {day:%b %Y}" if with_year else f"{day.day} {day:%b}"


def _label(first: date, last: date) -> str:
    if first == last:
        return _day(first)
    if first.year == last.year:
        return f"{_day(first, with_year=False)} – {_day(last)}"
    return f"{_day(first)} – {_day(last)}"


def year(number: int) -> DateRange:
    """One calendar year."""
    return days(date(number, 1, 1), date(number, 12, 31), str(number))


def this_month(today: date | None = None) -> DateRange:
    """From the 1st of this month to its last day."""
    today = today or date.today()
    first = today.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return days(first, following - timedelta(days=1), "This month")


def this_year(today: date | None = None) -> DateRange:
    return replace(year((today or date.today()).year), label="This year")


def last_year(today: date | None = None) -> DateRange:
    return replace(year((today or date.today()).year - 1), label="Last year")


def presets(today: date | None = None) -> list[DateRange]:
    """The fixed entries of a date menu, in the order photo apps list them."""
    return [this_month(today), this_year(today), last_year(today)]


def library_years(catalog: Catalog) -> list[int]:
    """The years the library's photos were taken in (else modified), newest first: the year
    list of a date menu. One query over the files that are indexed ('ok')."""
    rows = catalog.select(
        "SELECT DISTINCT CAST(strftime('%Y', COALESCE(taken_at, mtime_ns / 1e9), 'unixepoch', "
        "'localtime') AS INTEGER) FROM files WHERE status = 'ok'"
    )
    return sorted((int(r[0]) for r in rows if r[0] is not None), reverse=True)


def library_span(catalog: Catalog) -> DateRange | None:
    """The first and last photo dates of the library (where a calendar should open), or None
    for an empty library. One query."""
    rows = catalog.select(
        "SELECT MIN(COALESCE(taken_at, mtime_ns / 1e9)), MAX(COALESCE(taken_at, mtime_ns / 1e9)) "
        "FROM files WHERE status = 'ok'"
    )
    if not rows or rows[0][0] is None:
        return None
    return DateRange(float(rows[0][0]), float(rows[0][1]), "All dates")


def parse_day(text: str) -> tuple[date, date]:
    """The days a typed date means, as (first, last): "2023-05-01" one day, "May 2023" or
    "2023-05" a month, "2023" a year. ISO, "01.05.2023", "01/05/2023" (day first),
    "2023/05/01", "1 May 2023", "May 1 2023". QueryError for anything else."""
    cleaned = " ".join(text.replace(",", " ").split())
    if not cleaned:
        raise QueryError("an empty date: type one like 2023-05-01")
    if _YEAR.match(cleaned):
        number = int(cleaned)
        return date(number, 1, 1), date(number, 12, 31)
    try:
        day = datetime.fromisoformat(cleaned).date()
        return day, day
    except ValueError:
        pass
    for form in _DAY_FORMATS:
        try:
            day = datetime.strptime(cleaned, form).date()
            return day, day
        except ValueError:
            continue
    for form in _MONTH_FORMATS:
        try:
            first = datetime.strptime(cleaned, form).date()
        except ValueError:
            continue
        following = (first + timedelta(days=32)).replace(day=1)
        return first, following - timedelta(days=1)
    raise QueryError(f"not a date: {text!r} (type one like 2023-05-01, 1 May 2023 or 2023)")


def parse_range(start: str | None, end: str | None) -> DateRange:
    """A custom range from typed dates; an empty side stays open. "2023" to "2024" covers
    both years whole; "May 2023" alone (as start) runs from 1 May on."""
    first = parse_day(start)[0] if start and start.strip() else None
    last = parse_day(end)[1] if end and end.strip() else None
    if first is not None and last is not None:
        return days(first, last)
    return DateRange(
        _stamp(first) if first else None,
        _stamp(last, end=True) if last else None,
        f"from {_day(first)}" if first else f"until {_day(last)}" if last else "",
    )


@dataclass(frozen=True)
class Filters:
    """What narrows a search besides its words: folders and a date range. `Filters()`
    narrows nothing; "clear every filter" is going back to it. Immutable: a front end keeps
    the current one and replaces it (`with_folders`, `with_dates`, `cleared`)."""

    folders: tuple[int, ...] = ()
    dates: DateRange | None = None

    @property
    def active(self) -> bool:
        """Whether anything is narrowed (a front end shows a chip and a clear control)."""
        return bool(self.folders) or self.dates is not None

    def with_folders(self, *folders: int) -> Filters:
        return replace(self, folders=tuple(int(f) for f in folders))

    def with_dates(self, dates: DateRange | None) -> Filters:
        return replace(self, dates=dates)

    def cleared(self) -> Filters:
        return Filters()

    def apply(self, query: Query) -> Query:
        """`query` narrowed by these filters (and by nothing else: its own filters are
        replaced, so no hidden folder or date survives a change here)."""
        return replace(
            query,
            folders=self.folders,
            date_from=self.dates.start if self.dates else None,
            date_to=self.dates.end if self.dates else None,
        )

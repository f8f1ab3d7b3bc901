"""Date filter presets (this month, this year, last year) as plain values, no Qt.

A stand-in until the core's date filters (photofind/search/dates.py) land; the filter bar
only needs `DateRange` and `presets(today)`.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as dtime


@dataclass(frozen=True)
class DateRange:
    """Photos taken from `start` to `end`, both days included (None: open)."""

    start: date | None
    end: date | None
    label: str

    def timestamps(self) -> tuple[float | None, float | None]:
        """(date_from, date_to) as a `Query` takes them: local midnight to the day's end."""
        a = datetime.combine(self.start, dtime.min).timestamp() if self.start else None
        b = datetime.combine(self.end, dtime.max).timestamp() if self.end else None
        return a, b


def presets(today: date) -> list[DateRange]:
    last = calendar.monthrange(today.year, today.month)[1]
    return [
        DateRange(today.replace(day=1), today.replace(day=last), "This month"),
        DateRange(date(today.year, 1, 1), date(today.year, 12, 31), "This year"),
        DateRange(date(today.year - 1, 1, 1), date(today.year - 1, 12, 31), "Last year"),
    ]

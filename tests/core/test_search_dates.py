"""Date presets, typed dates, the library's years and `Filters` (no Qt, a real catalog)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from photofind.library.catalog import Catalog
from photofind.search import Query, QueryError
from photofind.search.dates import (
    DateRange,
    Filters,
    last_year,
    library_span,
    library_years,
    parse_day,
    parse_range,
    presets,
    this_month,
    this_year,
    year,
)


def local(*parts: int) -> float:
    return datetime(*parts).timestamp()


def test_presets_cover_whole_local_days() -> None:
    today = date(2024, 2, 10)
    month = this_month(today)
    assert month.contains(local(2024, 2, 1)) and month.contains(local(2024, 2, 29, 23, 59))
    assert not month.contains(local(2024, 3, 1)) and not month.contains(local(2024, 1, 31, 23))
    assert this_year(today).contains(local(2024, 12, 31, 23, 59, 59))
    assert not this_year(today).contains(local(2023, 12, 31, 23, 59))
    assert last_year(today).contains(local(2023, 6, 1)) and year(2023).label == "2023"
    assert [p.label for p in presets(today)] == ["This month", "This year", "Last year"]
    assert this_month(date(2023, 12, 5)).contains(local(2023, 12, 31, 12))


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("2023-05-01", date(2023, 5, 1), date(2023, 5, 1)),
        ("2023-05-01T10:30", date(2023, 5, 1), date(2023, 5, 1)),
        ("01.05.2023", date(2023, 5, 1), date(2023, 5, 1)),
        ("01/05/2023", date(2023, 5, 1), date(2023, 5, 1)),
        ("2023/05/01", date(2023, 5, 1), date(2023, 5, 1)),
        ("1 May 2023", date(2023, 5, 1), date(2023, 5, 1)),
        ("May 1, 2023", date(2023, 5, 1), date(2023, 5, 1)),
        ("May 2023", date(2023, 5, 1), date(2023, 5, 31)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        (" 2023 ", date(2023, 1, 1), date(2023, 12, 31)),
    ],
)
def test_typed_dates(text: str, first: date, last: date) -> None:
    assert parse_day(text) == (first, last)


@pytest.mark.parametrize("text", ["", "yesterday", "2023-13-01", "32.01.2023"])
def test_bad_dates_are_query_errors(text: str) -> None:
    with pytest.raises(QueryError):
        parse_day(text)


def test_custom_ranges() -> None:
    both = parse_range("2022", "May 2023")
    assert both.contains(local(2022, 1, 1)) and both.contains(local(2023, 5, 31, 22))
    assert not both.contains(local(2023, 6, 1))
    since = parse_range("1 May 2023", "")
    assert since.end is None and since.contains(local(2030, 1, 1)) and since.label
    with pytest.raises(QueryError, match="start is after its end"):
        parse_range("2024", "2023")


def test_library_years_and_span_come_from_the_photo_dates(tmp_path: Path) -> None:
    from photofind.library.records import NewFile

    catalog = Catalog(tmp_path / "catalog.sqlite")
    assert library_years(catalog) == [] and library_span(catalog) is None
    folder = catalog.add_folder(tmp_path)
    when = {"a": local(2019, 7, 1), "b": local(2023, 12, 31, 23, 30), "c": None}
    rows = [
        NewFile(folder.id, tmp_path / f"{n}.jpg", 1, int(local(2021, 3, 3) * 1e9), None)
        for n in when
    ]
    ids = catalog.add_files(rows)
    with catalog.transaction() as conn:
        for file_id, taken in zip(ids, when.values(), strict=True):
            conn.execute(
                "UPDATE files SET status = 'ok', taken_at = ? WHERE id = ?", (taken, file_id)
            )
    assert library_years(catalog) == [2023, 2021, 2019]  # c: its modification time
    span = library_span(catalog)
    assert span is not None and span.start == when["a"] and span.end == when["b"]
    catalog.close()


def test_filters_narrow_nothing_by_default_and_clear_at_once() -> None:
    query = Query(text="beach", folders=(3,), date_from=1.0)
    assert not Filters().active
    assert Filters().apply(query) == Query(text="beach")  # no hidden filter survives
    narrowed = Filters().with_folders(2).with_dates(year(2023))
    assert narrowed.active
    applied = narrowed.apply(Query(text="beach"))
    assert applied.folders == (2,) and applied.date_from == year(2023).start
    assert narrowed.cleared() == Filters()
    with pytest.raises(QueryError):
        DateRange(2.0, 1.0)

"""The timeline query and the exports of a selection, on a real catalog file (no Qt)."""

from __future__ import annotations

import csv
import math
import time
from pathlib import Path

import pytest

from photofind.library.catalog import Catalog
from photofind.library.records import NewFile
from photofind.search import Hit
from photofind.search.exports import ExportError, copy_files, write_list
from photofind.search.timeline import (
    DAY_HEADERS_FROM,
    header_of,
    headers,
    month_counts,
    timeline_count,
    timeline_page,
)

DAY = 86400


@pytest.fixture
def catalog(tmp_path: Path):
    with Catalog(tmp_path / "catalog.sqlite") as cat:
        yield cat


def add(catalog: Catalog, folder: Path, dates: list[float]) -> list[int]:
    record = catalog.add_folder(folder)
    rows = [NewFile(record.id, folder / f"{n:04}.jpg", 100, int(d * 1e9)) for n, d in
            enumerate(dates)]  # fmt: skip
    return catalog.add_files(rows)


def test_pages_walk_the_whole_library_newest_first_without_gaps(catalog, tmp_path) -> None:
    base = time.time() - 1000 * DAY
    # Ties (three photos a second apart and two at the same second) must page exactly.
    dates = [base + (n // 3) * DAY + (n % 2) for n in range(250)]
    ids = add(catalog, tmp_path / "photos", dates)
    with catalog.transaction() as conn:  # an EXIF date beats the mtime
        conn.execute("UPDATE files SET taken_at = ? WHERE id = ?", (base + 5000 * DAY, ids[7]))
    seen, cursor, pages = [], None, 0
    while True:
        page = timeline_page(catalog, cursor, limit=40)
        seen += page.hits
        pages += 1
        if page.after is None:
            break
        cursor = page.after
    assert pages == 7 and len(seen) == 250 == timeline_count(catalog)
    assert len({h.file.id for h in seen}) == 250, "no photo twice, none missing"
    assert seen[0].file.id == ids[7], "the EXIF date taken counts"
    order = [(h.date, h.file.id) for h in seen]
    assert order == sorted(order, reverse=True)
    assert all(math.isnan(h.score) and not h.offline for h in seen)


def test_offline_folders_and_unreadable_files_stay_in_the_timeline(catalog, tmp_path) -> None:
    ids = add(catalog, tmp_path / "drive", [time.time() - 10, time.time() - 20])
    folder = catalog.folders()[0]
    catalog.set_folder_online(folder.id, False, "unplugged")
    with catalog.transaction() as conn:
        conn.execute("UPDATE files SET status = 'error', error = 'truncated' WHERE id = ?",
                     (ids[1],))  # fmt: skip
    hits = timeline_page(catalog).hits
    assert [h.file.id for h in hits] == ids
    assert all(h.offline for h in hits) and hits[1].file.status == "error"


def test_busy_months_get_day_headers_and_quiet_months_one(catalog, tmp_path) -> None:
    busy = time.mktime((2024, 7, 10, 12, 0, 0, 0, 0, -1))
    quiet = time.mktime((2023, 3, 5, 12, 0, 0, 0, 0, -1))
    dates = [busy + (n % 3) * DAY for n in range(DAY_HEADERS_FROM + 5)] + [quiet, quiet + DAY]
    add(catalog, tmp_path / "photos", dates)
    months = month_counts(catalog)
    assert months == {"2024-07": DAY_HEADERS_FROM + 5, "2023-03": 2}
    labels = headers(timeline_page(catalog).hits, months)
    assert labels[0] == "Friday 12 July 2024" and labels[-1] == "March 2023"
    assert sorted(set(labels)) == sorted(
        {"Wednesday 10 July 2024", "Thursday 11 July 2024", "Friday 12 July 2024", "March 2023"}
    )
    assert header_of(quiet, {}) == "March 2023"


def test_copy_never_overwrites_and_lists_are_text_or_csv(catalog, tmp_path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for name in ("a.jpg", "b.jpg"):
        (src / name).write_bytes(name.encode())
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.jpg").write_bytes(b"already there")
    copied = copy_files([src / "a.jpg", src / "b.jpg"], out)
    assert [p.name for p in copied] == ["a (2).jpg", "b.jpg"]
    assert (out / "a.jpg").read_bytes() == b"already there"
    assert (out / "a (2).jpg").read_bytes() == b"a.jpg"
    with pytest.raises(ExportError, match="not a folder"):
        copy_files([src / "a.jpg"], tmp_path / "nowhere")

    add(catalog, src, [time.time()])
    hit = Hit(timeline_page(catalog).hits[0].file, 0.25)
    text = write_list([hit], tmp_path / "list.txt")
    assert text.read_text() == f"{hit.file.path}\n"
    listed = write_list([hit], tmp_path / "list.csv")
    with open(listed, encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:3] == ["path", "date", "width"] and rows[1][0] == str(hit.file.path)
    assert rows[1][-1] == "0.2500"
    with pytest.raises(ExportError, match="could not write"):
        write_list([hit], tmp_path / "nowhere" / "list.csv")

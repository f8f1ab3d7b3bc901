"""The photo date rule has one owner: Python and the catalog's SQL give the same dates."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from photofind.jsonfile import read_object
from photofind.library.metadata import PHOTO_DATE_SQL, photo_date


@pytest.mark.parametrize(("taken_at", "mtime_ns"), [(None, 1_700_000_000_123_000_000),
                                                    (1_500_000_000.5, 1_700_000_000_000_000_000),
                                                    (0.0, 5_000_000_000)])  # fmt: skip
def test_python_and_sql_agree(taken_at: float | None, mtime_ns: int) -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE files (taken_at REAL, mtime_ns INTEGER)")
    conn.execute("INSERT INTO files VALUES (?, ?)", (taken_at, mtime_ns))
    (sql,) = conn.execute(f"SELECT {PHOTO_DATE_SQL.format(t='f.')} FROM files f").fetchone()
    expected = taken_at if taken_at is not None else mtime_ns / 1e9
    assert photo_date(taken_at, mtime_ns) == pytest.approx(expected) == pytest.approx(sql)


BROKEN = [(None, "x.json is missing"), ("{not json", "x.json is unreadable ("),
          ("[1, 2]", "x.json is not a JSON object")]  # fmt: skip


@pytest.mark.parametrize(("content", "why"), BROKEN)
def test_a_json_file_fails_with_one_reason(tmp_path: Path, content: str | None, why: str) -> None:
    path = tmp_path / "x.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ValueError, match=r"^model: ") as caught:
        read_object(path, lambda reason: ValueError(f"model: {reason}"))
    assert str(caught.value).startswith(f"model: {why}")
    if content is None:
        assert read_object(path, ValueError, required=False) == {}

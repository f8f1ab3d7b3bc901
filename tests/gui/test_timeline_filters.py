"""With no words typed, the grid is the timeline, and the filters in view narrow it: a folder
chosen in the sidebar or a date range shows only those photos (and counts only those), as
they narrow a search; clearing them shows every photo again. Seen in the real window: the
chip said "B" while the grid still showed the whole library."""

from __future__ import annotations

from datetime import date

import pytest
from shell_fixtures import TIMEOUT, index_folder, model_window, names, photos

from photofind.search.dates import presets

A = [("red", "circle"), ("blue", "square")]
B = [("green", "triangle"), ("yellow", "star"), ("red", "star")]


@pytest.fixture
def window(qtbot, tmp_path, tiny_model_dir):
    win = model_window(qtbot, tmp_path, tiny_model_dir)
    index_folder(qtbot, win, photos(tmp_path / "A", A))
    index_folder(qtbot, win, photos(tmp_path / "B", B, start=2))
    yield win
    win.close()


def _shown(qtbot, window, change) -> set[str]:
    with qtbot.waitSignal(window.search_finished, timeout=TIMEOUT):
        change()
    return names(window)


def test_folder_and_dates_narrow_the_timeline_and_its_count(qtbot, window):
    everything = {"red-circle.jpg", "blue-square.jpg", "green-triangle.jpg", "yellow-star.jpg",
                  "red-star.jpg"}  # fmt: skip
    assert window.search_field.text() == ""
    assert _shown(qtbot, window, window.search_now) == everything
    assert window.hint.text() == "5 photos, newest first"

    lst = window.folder_list
    row = next(i for i in range(lst.count()) if lst.item(i).text().startswith("B"))
    assert _shown(qtbot, window, lambda: lst.setCurrentRow(row)) == {
        "green-triangle.jpg", "yellow-star.jpg", "red-star.jpg"
    }  # fmt: skip
    assert window.hint.text() == "3 photos, newest first"
    assert window.timeline.total == 3

    bar = window.search_bar.filters
    last_year = presets(date.today())[2]  # the photos were made today
    assert _shown(qtbot, window, lambda: bar.set_dates(last_year)) == set()
    assert window.hint.text() == "No photos match the filters"

    assert _shown(qtbot, window, lambda: bar.set_dates(presets(date.today())[1])) == {
        "green-triangle.jpg", "yellow-star.jpg", "red-star.jpg"
    }  # fmt: skip
    assert _shown(qtbot, window, bar.clear) == everything
    assert window.hint.text() == "5 photos, newest first"


def test_a_refresh_of_the_narrowed_timeline_keeps_its_filters(qtbot, window):
    """An index pass or the watcher reloads the timeline in view: still only the folder's."""
    lst = window.folder_list
    row = next(i for i in range(lst.count()) if lst.item(i).text().startswith("A"))
    assert _shown(qtbot, window, lambda: lst.setCurrentRow(row)) == {
        "red-circle.jpg", "blue-square.jpg"
    }  # fmt: skip
    with qtbot.waitSignal(window.timeline.page_loaded, timeout=TIMEOUT):
        window.timeline.refresh()
    assert names(window) == {"red-circle.jpg", "blue-square.jpg"}
    assert window.timeline.total == 2

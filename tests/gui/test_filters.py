"""Filters in view: a folder chosen in the sidebar shows as a chip and re-runs the search,
"All photos" and the chip's × widen it, date presets and a custom range, one Clear control."""

from __future__ import annotations

from datetime import date

import pytest
from shell_fixtures import TIMEOUT, index_folder, model_window, names, photos, search

from photofind.gui.filter_bar import CustomRangeDialog
from photofind.search.dates import days, presets

A = [("red", "circle"), ("blue", "square")]
B = [("green", "triangle"), ("yellow", "star")]


@pytest.fixture
def window(qtbot, tmp_path, tiny_model_dir):
    win = model_window(qtbot, tmp_path, tiny_model_dir)
    win.search_bar.rank_everything()  # every photo ranked: what the filters let through shows
    index_folder(qtbot, win, photos(tmp_path / "A", A))
    index_folder(qtbot, win, photos(tmp_path / "B", B, start=2))
    yield win
    win.close()


def _choose_folder(qtbot, window, name: str) -> None:
    lst = window.folder_list
    row = next(i for i in range(lst.count()) if lst.item(i).text().startswith(name))
    with qtbot.waitSignal(window.search_finished, timeout=TIMEOUT):
        lst.setCurrentRow(row)  # a click in the sidebar


def test_a_chosen_folder_shows_as_a_chip_and_reruns_the_search(qtbot, window):
    everything = {"red-circle.jpg", "blue-square.jpg", "green-triangle.jpg", "yellow-star.jpg"}
    assert search(qtbot, window, "a photo of a red circle") == everything
    bar = window.search_bar.filters
    assert window.folders.all_button.isChecked() and not bar.folder_chip.isVisible()

    _choose_folder(qtbot, window, "B")  # the search runs again, narrowed, and says so
    assert names(window) == {"green-triangle.jpg", "yellow-star.jpg"}
    assert bar.folder_chip.isVisible() and "B" in bar.folder_chip.text()
    assert not window.folders.all_button.isChecked() and bar.clear_button.isVisible()

    with qtbot.waitSignal(window.search_finished, timeout=TIMEOUT):
        bar.folder_chip.click()  # the chip's ×: every folder again
    assert names(window) == everything
    assert window.folders.all_button.isChecked() and not bar.folder_chip.isVisible()
    assert window.folders.chosen_folder() is None

    _choose_folder(qtbot, window, "A")
    with qtbot.waitSignal(window.search_finished, timeout=TIMEOUT):
        window.folders.all_button.click()  # "All photos" in the sidebar
    assert names(window) == everything and not bar.folder_chip.isVisible()


def test_dates_presets_library_years_and_one_control_clears_every_filter(qtbot, window):
    bar = window.search_bar.filters
    qtbot.waitUntil(lambda: bar.span is not None, timeout=TIMEOUT)
    today = date.today()
    assert today.year in bar.years, "the year list comes from the library's photos"
    assert search(qtbot, window, "a photo of a red circle")
    this_year, last_year = presets(today)[1], presets(today)[2]
    with qtbot.waitSignal(window.search_finished, timeout=TIMEOUT):
        bar.set_dates(last_year)  # the photos were made today
    assert names(window) == set() and window.hint.text() == "No photos match"
    assert "Last year" in bar.date_button.text()
    bar._fill_menu()  # the menu as it opens: Any date, presets, the library's years, custom
    labels = [a.text() for a in bar.date_menu.actions() if a.text()]
    assert labels[:4] == ["Any date", "This month", "This year", "Last year"]
    assert labels[-2:] == [str(today.year), "Custom range…"]
    with qtbot.waitSignal(window.search_finished, timeout=TIMEOUT):
        next(a for a in bar.date_menu.actions() if a.text() == str(today.year)).trigger()
    assert len(names(window)) == 4 and bar.date_button.text() == f"Dates: {today.year}"
    with qtbot.waitSignal(window.search_finished, timeout=TIMEOUT):
        bar.set_dates(this_year)
    assert len(names(window)) == 4
    _choose_folder(qtbot, window, "A")
    assert names(window) == {"red-circle.jpg", "blue-square.jpg"}
    with qtbot.waitSignal(window.search_finished, timeout=TIMEOUT):
        bar.set_dates(last_year)
    assert names(window) == set()

    with qtbot.waitSignal(window.search_finished, timeout=TIMEOUT):
        bar.clear_button.click()  # one control: dates and folder both go
    assert len(names(window)) == 4
    assert bar.dates is None and "Any date" in bar.date_button.text()
    assert not bar.filters.active
    assert window.folders.chosen_folder() is None and not bar.folder_chip.isVisible()
    assert not bar.clear_button.isVisible()


def test_the_custom_range_opens_at_the_library_dates_and_takes_typed_dates(qtbot, window):
    span = days(date(2019, 6, 1), date(2021, 3, 4))
    dialog = CustomRangeDialog(span, None)
    qtbot.addWidget(dialog)
    assert dialog.start.day() == date(2019, 6, 1) and dialog.end.day() == date(2021, 3, 4)
    calendar = dialog.end.open_calendar()
    assert calendar.selectedDate().toPython() == date(2021, 3, 4), "opens at the library's"
    dialog.start.edit.selectAll()
    qtbot.keyClicks(dialog.start.edit, "2020-02-03")  # typed, as a person types it
    dialog.end.edit.selectAll()
    qtbot.keyClicks(dialog.end.edit, "May 2020")  # a month typed as the end: its last day
    chosen = dialog.chosen()
    assert chosen == days(date(2020, 2, 3), date(2020, 5, 31))
    assert "3 Feb" in chosen.label and "31 May 2020" in chosen.label
    dialog.end.edit.setText("not a date")
    assert dialog.chosen() == days(date(2020, 2, 3), date(2020, 5, 31)), "the last good date"


def test_the_library_span_and_years_reach_the_bar(qtbot, window):
    bar = window.search_bar.filters
    qtbot.waitUntil(lambda: bar.span is not None, timeout=TIMEOUT)
    dialog = CustomRangeDialog(bar.span, None)
    qtbot.addWidget(dialog)
    assert dialog.start.day() == dialog.end.day() == date.today()

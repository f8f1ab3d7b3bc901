"""The filters under the search field, always in view: folder, dates, and one "Clear filters".

Nothing narrows a search unless it shows here (issue 11: no hidden filter). The bar holds
the one current `Filters` value (photofind/search/dates.py) that every query goes through:
choosing a folder in the sidebar puts it there and shows a folder chip, a date choice shows
as the date button's text, and "Clear filters" goes back to `Filters()`. GUI thread only.
Signals: `changed()` whenever a filter changes; `folder_cleared()` when the folder goes (the
chip's × or Clear filters; the sidebar then shows "All photos").
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCalendarWidget,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QMenu,
    QToolButton,
    QWidget,
    QWidgetAction,
)

from photofind.errors import PhotofindError
from photofind.search.dates import DateRange, Filters, days, parse_day, presets, year


def typed_day(text: str, last: bool = False) -> date | None:
    """The first (or `last`) day a typed date means ("2023-05-01", "1 May 2023", "May
    2023", "2023"), or None while it is not a date yet."""
    try:
        first, end = parse_day(text)
    except PhotofindError:
        return None
    return end if last else first


class DateField(QWidget):
    """A date typed as text, or picked from a calendar that opens at the field's date.
    `last`: a typed month or year means its last day (the end of a range)."""

    def __init__(self, day: date, parent: QWidget | None = None, last: bool = False) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.edit = QLineEdit(day.isoformat())
        self.edit.setPlaceholderText("YYYY-MM-DD")
        self.edit.textChanged.connect(self._check)
        self.pick = QToolButton()
        self.pick.setText("…")
        self.pick.setToolTip("Pick from a calendar")
        self.pick.clicked.connect(self.open_calendar)
        row.addWidget(self.edit, 1)
        row.addWidget(self.pick)
        self.calendar: QCalendarWidget | None = None
        self._good = day
        self._end = last

    def day(self) -> date:
        """The typed date, or the last good one while the text is not a date."""
        return typed_day(self.edit.text(), self._end) or self._good

    def _check(self, text: str) -> None:
        day = typed_day(text, self._end)
        if day is not None:
            self._good = day
        self.edit.setToolTip("" if day else "Type a date: 2023-05-01, 1 May 2023, May 2023, 2023")

    def open_calendar(self) -> QCalendarWidget:
        menu = QMenu(self)
        calendar = QCalendarWidget(menu)
        d = self.day()
        calendar.setSelectedDate(QDate(d.year, d.month, d.day))  # opens at this date

        def picked(q: QDate) -> None:
            self.edit.setText(_day(q).isoformat())
            menu.close()

        calendar.clicked.connect(picked)
        action = QWidgetAction(menu)
        action.setDefaultWidget(calendar)
        menu.addAction(action)
        self.calendar = calendar
        menu.popup(self.pick.mapToGlobal(self.pick.rect().bottomLeft()))
        return calendar


class CustomRangeDialog(QDialog):
    """Two dates, typed or picked; the calendars open at the library's own dates."""

    def __init__(self, span: DateRange | None, current: DateRange | None, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Photos taken between")
        start, end = date.today().replace(month=1, day=1), date.today()
        for shown in (span, current):  # the chosen range, else the library's, else this year
            if shown is not None and shown.start is not None and shown.end is not None:
                start, end = date.fromtimestamp(shown.start), date.fromtimestamp(shown.end)
        self.start = DateField(start)
        self.end = DateField(end, last=True)
        form = QFormLayout(self)
        form.addRow("From", self.start)
        form.addRow("To", self.end)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def chosen(self) -> DateRange:
        a, b = self.start.day(), self.end.day()
        return days(min(a, b), max(a, b))


def _day(q: QDate) -> date:
    return date(q.year(), q.month(), q.day())


CHIP_TEXT = 140  # pixels of folder name on the chip; the rest is in its tooltip


class FilterBar(QWidget):
    changed = Signal()
    folder_cleared = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.filters = Filters()  # what narrows every search now
        self.folder_name: str | None = None  # the chosen folder's name, for its chip
        self.span: DateRange | None = None  # the library's first and last photo
        self.years: list[int] = []
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.date_button = QToolButton()
        self.date_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.date_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.date_button.setAccessibleName("Date filter")
        self.date_menu = QMenu(self.date_button)
        self.date_menu.aboutToShow.connect(self._fill_menu)
        self.date_button.setMenu(self.date_menu)
        layout.addWidget(self.date_button)
        self.folder_chip = QToolButton()
        self.folder_chip.setAccessibleName("Folder filter")
        self.folder_chip.setToolTip("Searching this folder only; click to search every folder")
        self.folder_chip.clicked.connect(self._drop_folder)
        self.folder_chip.hide()
        layout.addWidget(self.folder_chip)
        self.clear_button = QToolButton()
        self.clear_button.setText("Clear filters")
        self.clear_button.clicked.connect(self.clear)
        layout.addWidget(self.clear_button)
        layout.addStretch(1)
        self._show()

    # -- what the filters are -------------------------------------------------------------

    @property
    def dates(self) -> DateRange | None:
        return self.filters.dates

    def active(self) -> bool:
        return self.filters.active

    def set_library_dates(self, span: DateRange | None, years: list[int]) -> None:
        """The library's first and last photo dates and its years (the menu's year list)."""
        self.span, self.years = span, sorted(set(years), reverse=True)

    def set_dates(self, dates: DateRange | None) -> None:
        if dates != self.filters.dates:
            self.filters = self.filters.with_dates(dates)
            self._show()
            self.changed.emit()

    def set_folder(self, folder_id: int | None, name: str | None) -> None:
        """The sidebar chose a folder (or "All photos"); the caller runs the search."""
        self.filters = self.filters.with_folders(*(() if folder_id is None else (folder_id,)))
        self.folder_name = name if folder_id is not None else None
        self._show()

    def clear(self) -> None:
        """Every filter off, one search."""
        had_folder = bool(self.filters.folders)
        self.filters = self.filters.cleared()
        self.folder_name = None
        self._show()
        if had_folder:
            self.folder_cleared.emit()
        self.changed.emit()

    # -- drawing --------------------------------------------------------------------------

    def _show(self) -> None:
        dates = self.filters.dates
        self.date_button.setText(f"Dates: {dates.label}" if dates else "Any date")
        name = self.folder_name or ""
        short = self.fontMetrics().elidedText(name, Qt.TextElideMode.ElideMiddle, CHIP_TEXT)
        self.folder_chip.setText(f"Folder: {short}  ×" if name else "")
        self.folder_chip.setToolTip(f"Searching {name} only; click to search every folder")
        self.folder_chip.setVisible(bool(self.filters.folders))
        self.clear_button.setVisible(self.active())

    def _drop_folder(self) -> None:
        self.filters = self.filters.with_folders()
        self.folder_name = None
        self._show()
        self.folder_cleared.emit()
        self.changed.emit()

    def _fill_menu(self) -> None:
        menu = self.date_menu
        menu.clear()
        self._add(menu, "Any date", None)
        for preset in presets(date.today()):
            self._add(menu, preset.label, preset)
        if self.years:
            menu.addSeparator()
            for number in self.years:
                self._add(menu, str(number), year(number))
        menu.addSeparator()
        custom = menu.addAction("Custom range…")
        custom.triggered.connect(self.ask_custom_range)

    def _add(self, menu: QMenu, label: str, dates: DateRange | None) -> QAction:
        action = menu.addAction(label)
        action.setCheckable(True)
        action.setChecked(dates == self.dates)
        action.triggered.connect(lambda _=False, d=dates: self.set_dates(d))
        return action

    def ask_custom_range(self) -> None:
        dialog = CustomRangeDialog(self.span, self.dates, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.set_dates(dialog.chosen())

"""The filters under the search field, always in view: folder, dates, and one "Clear filters".

Nothing narrows a search unless it shows here (issue 11: no hidden filter): choosing a folder
in the sidebar puts a folder chip in this bar, a date choice shows as the date button's
text, and "Clear filters" drops every one of them. GUI thread only.
Signals: `changed()` whenever a filter changes; `folder_cleared()` when the folder chip's ×
is pressed (the sidebar then shows "All photos").
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

from photofind.gui.date_presets import DateRange, presets


def parse_day(text: str) -> date | None:
    """A typed date: 2024-03-05, 2024/3/5 or 2024.3.5 (year first, as the field shows)."""
    parts = [p for p in text.strip().replace("/", "-").replace(".", "-").split("-") if p]
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    try:
        return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        return None


class DateField(QWidget):
    """A date typed as text, or picked from a calendar that opens at the field's date."""

    def __init__(self, day: date, parent: QWidget | None = None) -> None:
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
        self._last = day

    def day(self) -> date:
        """The typed date, or the last good one while the text is not a date."""
        return parse_day(self.edit.text()) or self._last

    def _check(self, text: str) -> None:
        day = parse_day(text)
        if day is not None:
            self._last = day
        self.edit.setToolTip("" if day else "Type a date as YYYY-MM-DD")

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

    def __init__(self, span: tuple[date, date] | None, current: DateRange | None, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Photos taken between")
        start, end = span or (date.today().replace(month=1, day=1), date.today())
        if current is not None and current.start and current.end:
            start, end = current.start, current.end
        self.start = DateField(start)
        self.end = DateField(end)
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
        a, b = min(a, b), max(a, b)
        return DateRange(a, b, f"{a:%d %b %Y} – {b:%d %b %Y}")


def _day(q: QDate) -> date:
    return date(q.year(), q.month(), q.day())


CHIP_TEXT = 140  # pixels of folder name on the chip; the rest is in its tooltip


class FilterBar(QWidget):
    changed = Signal()
    folder_cleared = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.dates: DateRange | None = None
        self.folder_name: str | None = None
        self.span: tuple[date, date] | None = None  # the library's first and last photo
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

    def active(self) -> bool:
        return self.dates is not None or self.folder_name is not None

    def set_library_dates(self, span: tuple[date, date] | None, years: list[int]) -> None:
        """The library's first and last photo dates and its years (the menu's year list)."""
        self.span, self.years = span, sorted(set(years), reverse=True)

    def set_dates(self, dates: DateRange | None) -> None:
        if dates != self.dates:
            self.dates = dates
            self._show()
            self.changed.emit()

    def set_folder(self, name: str | None) -> None:
        """Shown when the sidebar narrows the search to a folder (the sidebar owns which)."""
        self.folder_name = name
        self._show()

    def clear(self) -> None:
        """Every filter off, one search."""
        had_folder = self.folder_name is not None
        self.dates = None
        self.folder_name = None
        self._show()
        if had_folder:
            self.folder_cleared.emit()
        self.changed.emit()

    # -- drawing --------------------------------------------------------------------------

    def _show(self) -> None:
        self.date_button.setText(f"Dates: {self.dates.label}" if self.dates else "Any date")
        name = self.folder_name or ""
        short = self.fontMetrics().elidedText(name, Qt.TextElideMode.ElideMiddle, CHIP_TEXT)
        self.folder_chip.setText(f"Folder: {short}  ×" if name else "")
        self.folder_chip.setToolTip(f"Searching {name} only; click to search every folder")
        self.folder_chip.setVisible(self.folder_name is not None)
        self.clear_button.setVisible(self.active())

    def _drop_folder(self) -> None:
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
            for year in self.years:
                self._add(
                    menu, str(year), DateRange(date(year, 1, 1), date(year, 12, 31), str(year))
                )
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

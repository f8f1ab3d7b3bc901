"""The search bar: focus at start, a short debounce, find-similar as a chip with the photo's
thumbnail that combines with the typed text."""

from __future__ import annotations

import time

from PySide6.QtWidgets import QApplication
from shell_fixtures import TIMEOUT, index_folder, model_window, photos, search

from photofind.gui.search_bar import DEBOUNCE_MS, SearchBar


def test_typing_pauses_briefly_before_the_search(qtbot):
    bar = SearchBar()
    qtbot.addWidget(bar)
    assert DEBOUNCE_MS < 150, "first results must land under 150 ms after typing stops"
    fired: list[float] = []
    typed: list[float] = []  # when each key changed the text (the debounce starts there)
    bar.search_requested.connect(lambda: fired.append(time.monotonic()))
    bar.field.textChanged.connect(lambda _text: typed.append(time.monotonic()))
    qtbot.keyClicks(bar.field, "red")
    qtbot.waitUntil(lambda: bool(fired), timeout=2000)
    assert len(fired) == 1, "one search for the whole word, not one per key"
    assert len(typed) == 3 and fired[0] - typed[-1] >= DEBOUNCE_MS / 1000 * 0.9


def test_find_similar_keeps_the_text_and_shows_the_photo(qtbot, tmp_path, tiny_model_dir):
    win = model_window(qtbot, tmp_path, tiny_model_dir)
    win.search_bar.rank_everything()
    index_folder(qtbot, win, photos(tmp_path / "p", [("red", "circle"), ("blue", "square"),
                                                     ("red", "square")]))  # fmt: skip
    assert QApplication.focusWidget() is win.search_field, "the library page: keys go to it"
    search(qtbot, win, "a photo of a square")
    source = next(h for h in win.results.hits if h.file.path.name == "red-circle.jpg")
    with qtbot.waitSignal(win.search_finished, timeout=TIMEOUT):
        win.find_similar(source)
    query = win.current_query()
    assert query.image == source.file.id and query.text == "a photo of a square"
    chip = win.image_chip
    assert chip.isVisible() and "red-circle.jpg" in chip.text() and not chip.icon().isNull()
    names = [h.file.path.name for h in win.results.hits]
    assert "red-circle.jpg" not in names and names[0] == "red-square.jpg", names
    with qtbot.waitSignal(win.search_finished, timeout=TIMEOUT):
        chip.click()  # the chip's ×: back to the text alone
    assert win.current_query().image is None and not chip.isVisible()
    win.close()

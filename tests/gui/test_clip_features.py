"""Things, albums, chips and marks in the window (pytest-qt, offscreen, the tiny model)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDropEvent

from photofind.gui.app import create_app
from photofind.gui.main_window import MainWindow
from photofind.gui.preview import PreviewDialog
from photofind.search import Term
from photofind.session import open_session
from photofind.testing.synthetic import make_photo

TIMEOUT = 60_000
COLOURS = ("red", "blue", "green")
SHAPES = ("circle", "square", "triangle")


@pytest.fixture
def window(qtbot, tmp_path, tiny_model_dir):
    create_app([])
    from PySide6.QtCore import QSettings

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "qs"))
    photos = tmp_path / "photos"
    for n, (colour, shape, seed) in enumerate(
        (c, s, seed) for c in COLOURS for s in SHAPES for seed in (0, 1)
    ):
        make_photo(photos / f"{colour}-{shape}-{seed}.jpg", colour, shape, seed=n)
    win = MainWindow(lambda: open_session(tmp_path / "lib", tiny_model_dir))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.session is not None, timeout=TIMEOUT)
    win.search_bar.rank_everything()  # these tests follow whole rankings, not the cut
    win.add_folder(photos)
    qtbot.waitUntil(lambda: len(win.session.library.vectors or ()) == 18, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: not win.indexing, timeout=TIMEOUT)
    yield win
    win.close()


def names(window: MainWindow) -> list[str]:
    return [h.file.path.stem for h in window.results.hits]


def search(qtbot, window: MainWindow, text: str) -> list[str]:
    with qtbot.waitSignal(window.search_finished, timeout=TIMEOUT):
        window.search_field.setText(text)
        window.search_now()
    return names(window)


def click_item(qtbot, widget, name: str) -> None:
    items = [widget.item(i) for i in range(widget.count())]
    item = next(i for i in items if i.data(Qt.ItemDataRole.UserRole) == name)
    rect = widget.visualItemRect(item)
    qtbot.mouseClick(widget.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_things_list_a_new_label_and_a_click_browses_it(qtbot, window) -> None:
    panel = window.features.panel
    panel.add_label_requested.emit("reds=a red shape")

    def counted() -> bool:  # the label is listed at once; its count once it is tagged
        names = panel.names(panel.things)
        return "reds" in names and not panel.things.item(names.index("reds")).text().endswith("(0)")

    qtbot.waitUntil(counted, timeout=TIMEOUT)
    row = panel.names(panel.things).index("reds")
    tagged = window.session.library.catalog.get_files(list(window.session.tags.tagged("reds")))
    reds = sorted(f.path.stem for f in tagged.values())
    assert len(reds) >= 4 and all(n.startswith("red-") for n in reds)
    assert panel.things.item(row).text() == f"reds  ★  ({len(reds)})"
    sampled = lambda: panel.things.item(row).icon().cacheKey() != panel._blank.cacheKey()  # noqa: E731
    qtbot.waitUntil(sampled, timeout=TIMEOUT)  # the sample thumbnail arrived
    with qtbot.waitSignal(window.search_finished, timeout=TIMEOUT):
        click_item(qtbot, panel.things, "reds")
    assert sorted(names(window)) == reds
    # Tags reach the tooltips once they are loaded.
    qtbot.waitUntil(lambda: bool(window.results.labels), timeout=TIMEOUT)
    tip = window.results.data(window.results.index(0), Qt.ItemDataRole.ToolTipRole)
    assert "tags:" in tip and "reds" in tip
    # Words and the label together: the label filters, the words rank.
    assert search(qtbot, window, "a photo of a triangle")[0].startswith("red-triangle")
    assert all(n.startswith("red") for n in names(window))
    # Another refresh may already be on its way (the add's): wait for the one that hides it.
    panel.hide_label_requested.emit("reds")
    qtbot.waitUntil(lambda: "reds" not in panel.names(panel.things), timeout=TIMEOUT)
    assert window.features.tag is None


def test_a_dropped_photo_becomes_a_chip_that_adds_or_subtracts(qtbot, window, tmp_path) -> None:
    base = search(qtbot, window, "a photo of a square")
    picture = tmp_path / "drop" / "green.jpg"
    make_photo(picture, "green", "circle", seed=77)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(picture))])
    event = QDropEvent(QPoint(5, 5), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)  # fmt: skip
    with qtbot.waitSignal(window.search_finished, timeout=TIMEOUT):
        window.features.chips.dropEvent(event)
    (chip,) = window.features.chips.chips
    assert window.current_query().terms == (Term(1.0, image=picture),)
    plus = names(window)
    assert all(n.startswith("green") for n in plus[:3]) and plus != base
    with qtbot.waitSignal(window.search_finished, timeout=TIMEOUT):
        chip.sign.click()  # now "-": green goes down
    minus = names(window)
    assert window.current_query().terms[0].weight == -1.0
    assert max(minus.index(n) for n in minus if n.startswith("green")) >= len(minus) - 6
    with qtbot.waitSignal(window.search_finished, timeout=TIMEOUT):
        chip.weight.setValue(3.0)
    assert window.current_query().terms[0].weight == -3.0
    # Typed arithmetic works in the search field as on the command line.
    typed = search(qtbot, window, "a photo of a circle + 3:a photo of something blue")
    assert window.current_query().terms[-2:-1] == (Term(3.0, text="a photo of something blue"),)
    assert typed[0].startswith("blue")


def test_marks_move_the_results_and_save_an_album(qtbot, window, tmp_path) -> None:
    found = search(qtbot, window, "a photo of a circle")
    assert len(found) == 18
    view = window.view
    liked = next(
        r for r, h in enumerate(window.results.hits) if h.file.path.stem == "blue-square-0"
    )
    view.setCurrentIndex(window.results.index(liked))
    liked_id = window.hit_at(liked).file.id
    with qtbot.waitSignal(window.search_finished, timeout=TIMEOUT):
        qtbot.keyClick(view, Qt.Key.Key_Plus)
    assert window.features.marks.like == [liked_id]
    assert window.current_query().like == (liked_id,)
    moved = names(window)
    assert moved.index("blue-square-0") < liked and moved[0].startswith("blue")
    view.setCurrentIndex(window.results.index(1))
    rejected = window.hit_at(1).file.id
    with qtbot.waitSignal(window.search_finished, timeout=TIMEOUT):
        qtbot.keyClick(view, Qt.Key.Key_Minus)
    assert rejected not in {h.file.id for h in window.results.hits}
    assert "More like 1 · not like 1" in window.features.marks.summary.text()
    panel = window.features.panel
    with qtbot.waitSignal(window.things_refreshed, timeout=TIMEOUT):
        window.features.marks.save_requested.emit("blue-ish")
    qtbot.waitUntil(lambda: "blue-ish" in panel.names(panel.albums), timeout=TIMEOUT)
    assert "★" in panel.albums.item(0).text()  # taught by examples
    with qtbot.waitSignal(window.search_finished, timeout=TIMEOUT):
        window.features.marks.clear()
    window.search_field.clear()
    with qtbot.waitSignal(window.search_finished, timeout=TIMEOUT):
        click_item(qtbot, panel.albums, "blue-ish")
    shown = names(window)
    assert (
        "blue-square-0" in shown
        and window.session.library.catalog.get_file(rejected).path.stem not in shown
    )
    with qtbot.waitSignal(window.album_exported, timeout=TIMEOUT):
        window.features.export_album("blue-ish", tmp_path / "out")
    links = sorted(p.stem for p in (tmp_path / "out").iterdir() if p.is_symlink())
    assert links == sorted(shown) and str(tmp_path / "out") in window.hint.text()
    # Not the next things_refreshed: the window's poll of the catalog may refresh the
    # sidebar too, with what it read before the removal (seen once in 30 runs).
    panel.remove_album_requested.emit("blue-ish")
    qtbot.waitUntil(lambda: panel.names(panel.albums) == [], timeout=TIMEOUT)


def test_the_preview_shows_tags_and_takes_the_mark_keys(qtbot, window) -> None:
    search(qtbot, window, "a photo of a red circle")
    hit = window.hit_at(0)
    dialog = PreviewDialog(hit, window, **window.features.preview_options(hit))
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(window.search_finished, timeout=TIMEOUT):
        qtbot.keyClick(dialog, Qt.Key.Key_Minus)
    assert window.features.marks.unlike == [hit.file.id]
    window.features.labels = {hit.file.id: ["circle", "red"]}
    dialog = PreviewDialog(hit, window, **window.features.preview_options(hit))
    qtbot.addWidget(dialog)
    assert dialog.tags.text() == "tags: circle, red"


def test_hover_buttons_on_a_result_mark_it(qtbot, window) -> None:
    from photofind.gui.mark_delegate import MarkDelegate

    search(qtbot, window, "a photo of a square")
    view = window.view
    cell = view.visualRect(window.results.index(2))
    plus, _ = MarkDelegate.buttons(cell)
    second = window.hit_at(2).file.id
    with qtbot.waitSignal(window.search_finished, timeout=TIMEOUT):
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=plus.center())
    assert window.features.marks.like == [second]
    row = next(r for r, h in enumerate(window.results.hits) if h.file.id != second)
    cell = view.visualRect(window.results.index(row))
    first = window.hit_at(row).file.id
    with qtbot.waitSignal(window.search_finished, timeout=TIMEOUT):
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                         pos=MarkDelegate.buttons(cell)[1].center())  # fmt: skip
    assert window.features.marks.unlike == [first]
    assert first not in {h.file.id for h in window.results.hits}
    # A click elsewhere in a cell selects it, as before.
    cell = view.visualRect(window.results.index(1))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=cell.center())
    assert view.currentIndex().row() == 1
    assert window.features.marks.like == [second] and window.features.marks.unlike == [first]

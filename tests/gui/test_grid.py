"""The photo grid: justified rows of whole photos, selection, paging, actions (pytest-qt)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, QPoint, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from photofind.gui.grid.layout import JustifiedLayout
from photofind.gui.results_actions import ResultActions
from photofind.gui.results_timeline import TimelineFeed
from photofind.gui.workers import run_task  # noqa: F401 - the pool the actions use
from photofind.library.catalog import Catalog
from photofind.library.records import NewFile
from photofind.search.timeline import PAGE
from tests.gui.grid_fixtures import (
    BLUE,
    RED,
    framed_photo,
    hit_of,
    load_thumbnails,
    make_grid,
    render,
    tile,
)

SIZES = [(1200, 800), (600, 900), (700, 700), (2400, 600), (800, 1200), (1000, 750)]


def close(colour: QColor, rgb: tuple[int, int, int], tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in
               zip((colour.red(), colour.green(), colour.blue()), rgb, strict=True))  # fmt: skip


def test_justified_rows_have_one_height_fill_the_width_and_keep_each_aspect() -> None:
    aspects = [w / h for w, h in SIZES] * 7
    layout = JustifiedLayout(width=1000, row_height=180, spacing=4)
    layout.set_items(aspects, None)
    rows: dict[int, list[int]] = {}
    for i, (_, y, _, _) in enumerate(layout.rects):
        rows.setdefault(y, []).append(i)
    assert len(rows) > 3
    for n, items in enumerate(rows.values()):
        heights = {layout.rects[i][3] for i in items}
        assert len(heights) == 1, "one height per row"
        height = heights.pop()
        for i in items:
            assert abs(layout.rects[i][2] - aspects[i] * height) <= 1.5, "width ∝ aspect ratio"
        x, _, w, _ = layout.rects[items[-1]]
        if n < len(rows) - 1:
            assert x + w == 1000, "a full row ends at the right edge"
            assert 120 <= height <= 270, "rows stay near the target height"
    # Appending a page lays out the same as laying out everything at once.
    paged = JustifiedLayout(width=1000, row_height=180, spacing=4)
    paged.set_items(aspects[:10], ["a"] * 10)
    paged.append(aspects[10:], ["a"] * 5 + ["b"] * (len(aspects) - 15))
    whole = JustifiedLayout(width=1000, row_height=180, spacing=4)
    whole.set_items(aspects, ["a"] * 15 + ["b"] * (len(aspects) - 15))
    assert paged.rects == whole.rects and paged.headers == whole.headers
    assert [h.label for h in whole.headers] == ["a", "b"] and whole.headers[1].first == 15
    assert whole.rects[15][1] >= whole.headers[1].y + whole.headers[1].height


def test_tiles_show_whole_photos_and_selection_frames_without_tint(qtbot, tmp_path) -> None:
    hits = []
    for n, size in enumerate(SIZES):
        rotate = n == 4  # stored landscape, shown portrait (EXIF orientation 6)
        path = framed_photo(tmp_path / f"{n}.jpg", size, rotate)
        hits.append(hit_of(path, n + 1, size))
    grid, model, _ = make_grid(qtbot, tmp_path, height=1000)
    model.set_hits(hits)
    load_thumbnails(qtbot, grid, model)
    image = render(grid)
    for row in range(len(hits)):
        r = tile(grid, row)
        assert abs(r.width() / r.height() - SIZES[row][0] / SIZES[row][1]) < 0.03
        # The red frame shows on every edge (nothing cropped), blue in the middle.
        for x, y in ((r.left() + 1, r.center().y()), (r.right() - 1, r.center().y()),
                     (r.center().x(), r.top() + 1), (r.center().x(), r.bottom() - 1)):  # fmt: skip
            assert close(image.pixelColor(x, y), RED), f"tile {row} cropped at {x},{y}"
        assert close(image.pixelColor(r.center()), BLUE)
    grid.selectionModel().select(model.index(2), QItemSelectionModel.SelectionFlag.Select)
    image = render(grid)
    r = tile(grid, 2)
    highlight = grid.palette().color(QPalette.ColorRole.Highlight)
    assert close(image.pixelColor(r.left() + 1, r.center().y()), highlight.getRgb()[:3], 10)
    assert close(image.pixelColor(r.center()), BLUE, 25), "no tint over the selected photo"
    assert close(image.pixelColor(r.left() + 10, r.center().y()), RED), "still whole inside"


def test_error_tiles_and_offline_badges(qtbot, tmp_path) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not really a jpeg")
    good = framed_photo(tmp_path / "good.jpg", (800, 600))
    grid, model, _ = make_grid(qtbot, tmp_path)
    model.set_hits([hit_of(broken, 1, (800, 600)), hit_of(good, 2, (800, 600), offline=True)])
    load_thumbnails(qtbot, grid, model)
    assert model.state(model.hits[0]) == "error" and model.state(model.hits[1]) == "offline"
    image = render(grid)
    error_tile = image.pixelColor(tile(grid, 0).topLeft() + QPoint(3, 3))
    assert error_tile.red() > error_tile.blue(), "the error tile is tinted red"
    assert "cannot" not in (model.data(model.index(1), Qt.ItemDataRole.ToolTipRole) or "")
    assert "offline" in model.data(model.index(1), Qt.ItemDataRole.ToolTipRole)


@pytest.fixture
def catalog(tmp_path: Path):
    with Catalog(tmp_path / "catalog.sqlite") as cat:
        folder = cat.add_folder(tmp_path / "photos")
        base = time.time() - 5000 * 3600
        cat.add_files([NewFile(folder.id, tmp_path / "photos" / f"{n:04}.jpg", 10,
                               int((base + n * 3600) * 1e9)) for n in range(1000)])  # fmt: skip
        yield cat


def test_the_timeline_pages_in_as_the_grid_scrolls(qtbot, tmp_path, catalog) -> None:
    from PySide6.QtCore import QThreadPool

    grid, model, _ = make_grid(qtbot, tmp_path, height=500)
    feed = TimelineFeed(QThreadPool.globalInstance(), model)
    with qtbot.waitSignal(feed.page_loaded, timeout=10_000):
        feed.start(catalog)
    assert model.rowCount() == PAGE
    dates = [h.date for h in model.hits]
    assert dates == sorted(dates, reverse=True), "newest first"
    assert grid.grid.headers and grid.grid.headers[0].label == model.headers[0]
    bar = grid.verticalScrollBar()
    deadline = time.monotonic() + 20
    while model.rowCount() < 1000 and time.monotonic() < deadline:
        bar.setValue(bar.maximum())
        qtbot.wait(20)
    assert model.rowCount() == 1000 and model.more is None
    assert len({h.file.id for h in model.hits}) == 1000
    assert len(grid.grid) == 1000, "the layout followed every page"
    # A search taking the grid drops a page still on its way.
    feed.start(catalog)
    feed.stop()
    model.set_hits([])
    qtbot.wait(300)
    assert model.rowCount() == 0


class FakeLibrary:
    def __init__(self) -> None:
        self.forgotten: list[int] = []

    def forget_files(self, ids: list[int]) -> None:
        self.forgotten += ids


@pytest.fixture
def selection(qtbot, tmp_path):
    hits = [hit_of(framed_photo(tmp_path / "photos" / f"{n}.jpg", s), n + 1, s)
            for n, s in enumerate(SIZES)]  # fmt: skip
    grid, model, _ = make_grid(qtbot, tmp_path)
    model.set_hits(hits)
    library = FakeLibrary()
    from PySide6.QtCore import QThreadPool

    actions = ResultActions(grid, QThreadPool.globalInstance(), lambda: library, grid)
    actions.trashed.connect(lambda ids: model.remove_ids(set(ids)))
    return grid, model, actions, library, hits


def click(qtbot, grid, row: int, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, modifier,
                     tile(grid, row).center())  # fmt: skip


def test_ctrl_shift_click_ctrl_a_and_the_rubber_band_select(qtbot, selection) -> None:
    grid, _, actions, _, hits = selection
    click(qtbot, grid, 1)
    click(qtbot, grid, 3, Qt.KeyboardModifier.ControlModifier)
    assert [h.file.id for h in actions.selected()] == [2, 4]
    click(qtbot, grid, 5, Qt.KeyboardModifier.ShiftModifier)
    assert [h.file.id for h in actions.selected()] == [4, 5, 6]
    grid.setFocus()
    qtbot.keyClick(grid, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert len(actions.selected()) == len(hits)
    click(qtbot, grid, 0)
    # Drag a band from the margin across the first two tiles of the first row.
    first, second = tile(grid, 0), tile(grid, 1)
    start = QPoint(2, first.top() + 5)
    qtbot.mousePress(grid.viewport(), Qt.MouseButton.LeftButton, pos=start)
    from PySide6.QtCore import QEvent, QPointF
    from PySide6.QtGui import QMouseEvent

    end = QPointF(second.center())
    move = QMouseEvent(QEvent.Type.MouseMove, end, grid.viewport().mapToGlobal(end),
                       Qt.MouseButton.NoButton, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)  # fmt: skip
    QApplication.sendEvent(grid.viewport(), move)
    qtbot.mouseRelease(grid.viewport(), Qt.MouseButton.LeftButton, pos=second.center())
    assert [h.file.id for h in actions.selected()] == [1, 2]


def test_actions_on_all_selected_photos(qtbot, selection, tmp_path, monkeypatch) -> None:
    grid, model, actions, library, hits = selection
    for row in (0, 2, 4):
        grid.selectionModel().select(model.index(row), QItemSelectionModel.SelectionFlag.Select)
    chosen = [hits[r].file.path for r in (0, 2, 4)]
    actions.copy_paths()
    assert QApplication.clipboard().text().splitlines() == [str(p) for p in chosen]

    mime = model.mimeData(grid.selectionModel().selectedIndexes())
    assert [u.toLocalFile() for u in mime.urls()] == [str(p) for p in chosen], "drag as files"

    out = tmp_path / "out"
    out.mkdir()
    with qtbot.waitSignal(actions.done, timeout=10_000):
        actions.copy_to(out)
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in chosen)
    with qtbot.waitSignal(actions.done, timeout=10_000):
        actions.export(tmp_path / "list.txt")
    assert (tmp_path / "list.txt").read_text().splitlines() == [str(p) for p in chosen]

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))  # the test's own trash
    asked: list[str] = []
    monkeypatch.setattr(actions, "confirm", lambda q: asked.append(q) or False)
    actions.ask_trash()
    assert asked == ["Move 3 photos to the trash? You can restore them from the trash."]
    assert all(p.exists() for p in chosen), "a 'No' keeps every file"
    monkeypatch.setattr(actions, "confirm", lambda q: True)
    with qtbot.waitSignal(actions.done, timeout=10_000):
        actions.ask_trash()
    assert not any(p.exists() for p in chosen)
    trash = tmp_path / "xdg" / "Trash" / "files"
    assert sorted(p.name for p in trash.iterdir()) == sorted(p.name for p in chosen)
    assert sorted(library.forgotten) == [1, 3, 5]
    assert [h.file.id for h in model.hits] == [2, 4, 6]

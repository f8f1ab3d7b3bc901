"""A search shows the photos that match, counted as such; fewer / more results move the cut
in words, and "show weaker matches" adds the rest below it."""

from __future__ import annotations

from shell_fixtures import TIMEOUT, index_folder, model_window, names, search

from photofind.testing.synthetic import COLORS, SHAPES, make_photo


def test_the_cut_counts_matches_and_weaker_ones_follow(qtbot, tmp_path, tiny_model_dir):
    folder = tmp_path / "photos"
    kinds = [(c, s) for c in list(COLORS)[:4] for s in SHAPES[:3]]
    for n, (colour, shape) in enumerate(kinds * 2):
        make_photo(folder / f"{colour}-{shape}-{n}.jpg", colour, shape, seed=n)
    win = model_window(qtbot, tmp_path, tiny_model_dir)
    index_folder(qtbot, win, folder)
    total = len(kinds) * 2
    found = search(qtbot, win, "a photo of a red circle")
    assert 0 < len(found) < total, "a search returns its matches, not the library"
    assert all(n.startswith("red-") for n in found), found
    assert win.hint.text().startswith(f"{len(found):,} matching photos")
    assert win.weaker_button.isVisible()

    box = win.search_bar.strictness
    counts = {}
    for value in ("fewer", "more", "normal"):
        with qtbot.waitSignal(win.search_finished, timeout=TIMEOUT):
            box.setCurrentIndex(box.findData(value))
        counts[value] = len(names(win))
    assert counts["fewer"] <= counts["normal"] <= counts["more"], counts
    assert "score" not in " ".join(box.itemText(i) for i in range(box.count())).lower()

    before = [h.file.path.name for h in win.results.hits]
    win.weaker_button.click()
    after = [h.file.path.name for h in win.results.hits]
    assert after[: len(before)] == before and len(after) > len(before)
    assert not win.weaker_button.isVisible() and "weaker" in win.hint.text()
    win.close()


def test_one_match_and_one_weaker_photo_are_counted_in_the_singular(
    qtbot, tmp_path, tiny_model_dir
):
    folder = tmp_path / "photos"
    make_photo(folder / "red-circle.jpg", "red", "circle", seed=1)
    make_photo(folder / "blue-square.jpg", "blue", "square", seed=2)
    win = model_window(qtbot, tmp_path, tiny_model_dir)
    index_folder(qtbot, win, folder)
    found = search(qtbot, win, "a photo of a red circle")
    assert set(found) == {"red-circle.jpg"}, found
    assert win.hint.text() == "1 matching photo"
    assert win.weaker_button.text() == "Show 1 weaker match"
    win.weaker_button.click()
    assert win.hint.text().startswith("1 matching photo"), win.hint.text()
    win.close()

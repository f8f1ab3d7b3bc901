"""Removing a model in the window's Models dialog takes its cache files with it, as
`photofind model remove` does (tests/e2e/test_model_remove_caches_journey.py): the library is
built with the console script, then the real window removes one of its two models."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QTimer

from photofind.gui.model_dialog import ModelDialog, NameRole
from photofind.session import open_session
from tests.e2e.library_journey import photofind, two_model_library
from tests.gui.shell_fixtures import open_window


def caches(library: Path) -> set[str]:
    cache = library / "cache"
    return {str(p.relative_to(cache)) for p in cache.rglob("*") if p.is_file()}


def test_remove_in_the_models_dialog_takes_the_models_caches(
    qtbot, tmp_path: Path, tiny_model_dir: Path, tiny_immich_dir: Path
) -> None:
    library = tmp_path / "lib"
    two_model_library(library, tmp_path / "photos", tiny_model_dir, tiny_immich_dir)
    made: dict[str, set[str]] = {}
    for name in ("tiny-clip", "tiny-clip-immich"):
        before = caches(library)
        photofind(library, "--model", name, "index")
        hits = photofind(library, "--model", name, "search", "a red circle", "--json").stdout
        assert json.loads(hits)["hits"], hits
        made[name] = caches(library) - before
        assert any(f.startswith("tokenizer-tables/") for f in made[name]), made
    photofind(library, "model", "use", "tiny-clip-immich")

    win = open_window(qtbot, tmp_path, lambda: open_session(library))
    seen: list[str] = []

    def remove_tiny_clip() -> None:
        dialog = next(d for d in win.findChildren(ModelDialog) if d.isVisible())
        rows = [dialog.installed.item(r) for r in range(dialog.installed.count())]
        dialog.installed.setCurrentItem(next(i for i in rows if i.data(NameRole) == "tiny-clip"))
        dialog.remove_button.click()
        listed = dialog.installed
        seen.extend(listed.item(r).data(NameRole) for r in range(listed.count()))
        dialog.reject()

    QTimer.singleShot(0, remove_tiny_clip)
    win.show_models()
    assert seen == ["tiny-clip-immich"]
    left = caches(library)
    assert not left & made["tiny-clip"], "the removed model's caches are gone"
    assert made["tiny-clip-immich"] <= left, "the other model's are kept"
    assert win.session is not None and win.session.model.name == "tiny-clip-immich"

"""The Models dialog says which models are multilingual and, for a system language other
than English, preselects the recommended multilingual model (pytest-qt, offscreen)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QLocale

from photofind.gui.app import create_app
from photofind.gui.model_dialog import ModelDialog, NameRole
from photofind.modelstore import ModelStore, registry


def _dialog(qtbot, tmp_path, locale: QLocale) -> ModelDialog:
    create_app([])
    dialog = ModelDialog(ModelStore(tmp_path / "models"), lambda name: None, locale=locale)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


@pytest.mark.parametrize(
    ("language", "word"),
    [
        (QLocale.Language.German, "German"),
        (QLocale.Language.Russian, "Russian"),
        (QLocale.Language.Chinese, "Chinese"),
    ],
)
def test_another_language_preselects_a_multilingual_model(qtbot, tmp_path, language, word):
    dialog = _dialog(qtbot, tmp_path, QLocale(language))
    chosen = dialog.catalog.currentItem().data(NameRole)
    assert chosen == registry.recommended_multilingual()
    assert registry.find_entry(chosen)["multilingual"]
    assert dialog.language_note.isVisible()
    assert word in dialog.language_note.text() and chosen in dialog.language_note.text()


def test_english_keeps_the_default_and_says_nothing(qtbot, tmp_path):
    dialog = _dialog(qtbot, tmp_path, QLocale(QLocale.Language.English))
    assert dialog.catalog.currentItem().data(NameRole) == registry.recommended()
    assert not dialog.language_note.isVisible()


def test_every_multilingual_model_is_marked_and_no_other(qtbot, tmp_path):
    dialog = _dialog(qtbot, tmp_path, QLocale(QLocale.Language.English))
    for row in range(dialog.catalog.count()):
        item = dialog.catalog.item(row)
        entry = registry.find_entry(item.data(NameRole))
        assert ("many languages" in item.text()) == entry["multilingual"], entry["name"]

"""About > Licences lists photofind and what it runs on, with the full texts."""

from __future__ import annotations

from photofind.gui.about import AboutDialog
from photofind.gui.app import create_app


def test_the_licences_tab_shows_each_components_text(qtbot):
    create_app([])
    dialog = AboutDialog(None, "tiny-clip")
    qtbot.addWidget(dialog)
    dialog.show()
    assert [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())] == ["About", "Licences"]
    page = dialog.licences
    rows = [page.list.item(i).text() for i in range(page.list.count())]
    assert rows[0].startswith("photofind ") and rows[0].endswith("MIT")
    assert "Permission is hereby granted" in page.text.toPlainText()
    qt = next(i for i, row in enumerate(rows) if row.lower().startswith("pyside6"))
    page.list.setCurrentRow(qt)
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in page.text.toPlainText()

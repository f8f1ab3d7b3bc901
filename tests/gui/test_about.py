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


def test_the_windows_about_button_opens_it(qtbot, tmp_path, tiny_model_dir, monkeypatch):
    from photofind.gui import main_window
    from photofind.session import open_session

    opened = []
    monkeypatch.setattr(main_window.AboutDialog, "exec", lambda self: opened.append(self))
    win = main_window.MainWindow(lambda: open_session(tmp_path / "lib", tiny_model_dir))
    qtbot.addWidget(win)
    qtbot.waitUntil(lambda: win.session is not None, timeout=60_000)
    win.about_button.click()
    assert opened and opened[0].tabs.tabText(1) == "Licences"
    assert "tiny-clip" in opened[0].tabs.widget(0).text()
    win.close()

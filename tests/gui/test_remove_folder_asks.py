"""Remove in the folder list (and in Preferences) asks first: removing a folder forgets every
photo of it with its vector and labels, and adding it back encodes them all again (minutes
to hours with a real model). The button sits beside "Add…"; one slip used to do it at once.
The question is the real QMessageBox, answered by clicking its button."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from tests.gui.shell_fixtures import TIMEOUT, index_folder, model_window, photos

KINDS = [("red", "circle"), ("blue", "square"), ("green", "star")]


def answer(button: QMessageBox.StandardButton, asked: list[str]) -> None:
    """Click `button` of the question the window is about to ask (it runs a modal loop)."""

    tries = [250]  # 5 s at most, then the test's own assertion says nothing was asked

    def press() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            tries[0] -= 1
            if tries[0]:
                QTimer.singleShot(20, press)  # not shown yet
            return
        keeps = box.defaultButton() is box.button(QMessageBox.StandardButton.No)
        asked.append(box.text() if keeps else "Enter would remove: " + box.text())
        box.button(button).click()

    QTimer.singleShot(20, press)


def test_remove_asks_and_no_keeps_the_folder(qtbot, tmp_path, tiny_model_dir) -> None:
    window = model_window(qtbot, tmp_path, tiny_model_dir)
    folder = photos(tmp_path / "photos", KINDS)
    index_folder(qtbot, window, folder)
    panel = window.folders
    panel.folder_list.setCurrentRow(0)
    asked: list[str] = []
    answer(QMessageBox.StandardButton.No, asked)
    qtbot.mouseClick(panel.remove_button, Qt.MouseButton.LeftButton)
    assert len(asked) == 1 and str(folder) in asked[0] and "3 photos" in asked[0]
    assert not asked[0].startswith("Enter would remove")  # No is the default button
    qtbot.wait(200)  # a removal would run in a worker
    assert window.folder_list.count() == 1
    assert window.session.library.status()["files"] == 3

    answer(QMessageBox.StandardButton.Yes, asked)
    qtbot.mouseClick(panel.remove_button, Qt.MouseButton.LeftButton)
    assert len(asked) == 2
    qtbot.waitUntil(lambda: window.folder_list.count() == 0, timeout=TIMEOUT)
    assert window.session.library.status()["files"] == 0


def test_preferences_remove_asks_and_no_keeps_the_folder(qtbot, tmp_path, tiny_model_dir):
    window = model_window(qtbot, tmp_path, tiny_model_dir)
    folder = photos(tmp_path / "photos", KINDS)
    index_folder(qtbot, window, folder)
    dialog = window.show_preferences()
    assert dialog is not None
    try:
        dialog.folder_list.setCurrentRow(0)
        asked: list[str] = []
        answer(QMessageBox.StandardButton.No, asked)
        dialog._remove_folder()
        assert len(asked) == 1
        assert dialog.folder_list.count() == 1  # still listed: it was not removed
        qtbot.wait(200)
        assert window.session.library.status()["files"] == 3
    finally:
        dialog.reject()

"""The window at 640x480, at 2x scale and in a dark palette: no clipped text, readable colours."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication
from shell_fixtures import TIMEOUT, index_folder, model_window, open_window, photos

from photofind.gui import palette
from photofind.gui.fit import clipped
from photofind.session import open_session

ROOT = Path(__file__).resolve().parents[2]


def _settle(qtbot, win, width: int, height: int) -> None:
    win.resize(width, height)
    qtbot.wait(50)
    QApplication.processEvents()


def test_the_library_page_at_640x480_clips_no_text(qtbot, tmp_path, tiny_model_dir):
    win = model_window(qtbot, tmp_path, tiny_model_dir)
    index_folder(qtbot, win, photos(tmp_path / "photos", [("red", "circle"), ("blue", "square")]))
    win.folders.folder_list.setCurrentRow(0)  # the folder chip shows too
    _settle(qtbot, win, 640, 480)
    assert win.width() <= 660 and win.height() <= 500, "the window can be made this small"
    assert clipped(win) == []
    win.close()


def test_the_first_run_page_at_640x480_clips_no_text(qtbot, tmp_path):
    win = open_window(qtbot, tmp_path, lambda: open_session(tmp_path / "lib", None))
    _settle(qtbot, win, 640, 480)
    assert win.stack.currentWidget() is win.welcome
    assert clipped(win) == []
    win.close()


def test_a_dark_system_gets_a_dark_palette(qtbot, monkeypatch):
    app = QApplication.instance()
    before = app.palette()
    monkeypatch.setenv(palette.THEME_ENV, "dark")
    palette.apply_scheme(app)
    window, text = (app.palette().color(r) for r in (QPalette.ColorRole.Window,
                                                      QPalette.ColorRole.WindowText))  # fmt: skip
    assert window.lightness() < 80 and text.lightness() > 180, "light text on a dark window"
    monkeypatch.setenv(palette.THEME_ENV, "light")
    palette.apply_scheme(app)
    assert not palette.is_dark(app.palette())
    app.setPalette(before)


FIT_AT_2X = """
import sys
from PySide6.QtCore import QSettings
from photofind.gui.app import create_app
from photofind.gui.fit import clipped
from photofind.gui.main_window import MainWindow
from photofind.session import open_session
app = create_app([])
QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, sys.argv[2])
win = MainWindow(lambda: open_session(sys.argv[1], None))
win.show()
while win.session is None:
    app.processEvents()
win.resize(640, 480)
for _ in range(50):
    app.processEvents()
print(app.devicePixelRatio(), "|".join(clipped(win)))
win.close()
"""


def test_at_2x_scale_no_text_is_clipped(tmp_path):
    env = {**os.environ, "QT_SCALE_FACTOR": "2", "QT_QPA_PLATFORM": "offscreen",
           "PYTHONPATH": str(ROOT)}  # fmt: skip
    done = subprocess.run([sys.executable, "-c", FIT_AT_2X, str(tmp_path / "lib"),
                           str(tmp_path / "qs")], env=env, capture_output=True, text=True,
                          timeout=TIMEOUT / 1000)  # fmt: skip
    assert done.returncode == 0, done.stderr
    ratio, problems = (
        done.stdout.strip().split(" ", 1)
        if " " in done.stdout.strip()
        else (done.stdout.strip(), "")
    )
    assert float(ratio) == 2.0
    assert problems == "", problems


def test_the_fit_check_sees_a_clipped_label(qtbot):
    from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

    root = QWidget()
    qtbot.addWidget(root)
    label = QLabel("a label much too long for the fifty pixels it gets")
    QVBoxLayout(root).addWidget(label)
    root.show()
    label.setFixedWidth(50)
    assert clipped(root) and "too long" in clipped(root)[0]

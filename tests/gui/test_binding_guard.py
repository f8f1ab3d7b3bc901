"""The Qt binding must not free None: the installed one, and the guard for a broken one.

Each check runs in a subprocess: the failure it looks for is the interpreter aborting
("deallocating None"), which would end the test run itself.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CALLS = 50_000  # ten times the references None has in a fresh interpreter


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
        timeout=120, cwd=ROOT, env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip


def test_the_installed_binding_keeps_none_alive_through_many_void_calls():
    done = _python(f"""
        import sys
        from PySide6.QtWidgets import QApplication, QLineEdit
        app = QApplication([])
        field = QLineEdit()
        before = sys.getrefcount(None)
        for n in range({CALLS}):
            field.setText("x")
            app.processEvents()
        print(before - sys.getrefcount(None))
    """)
    assert done.returncode == 0, f"a void Qt call freed None:\n{done.stderr[-2000:]}"
    assert int(done.stdout) < 1000, f"{done.stdout.strip()} references to None lost"


# A stand-in for the broken binding: a call that releases one reference to None.
LOSES_NONE = """
    import ctypes
    release = ctypes.pythonapi.Py_DecRef
    release.argtypes = [ctypes.c_void_p]
    def broken_call():
        release(id(None))
"""


def test_without_the_guard_the_broken_binding_kills_the_process():
    done = _python(
        LOSES_NONE
        + f"""
    for n in range({CALLS}):
        broken_call()
    """
    )
    assert done.returncode != 0 and "None" in done.stderr, "the stand-in must reproduce it"


def test_the_guard_detects_the_loss_and_keeps_the_process_alive():
    done = _python(
        LOSES_NONE
        + f"""
    import sys
    from photofind.gui.binding_guard import guard_none
    needed = guard_none(broken_call)
    for n in range({CALLS}):
        broken_call()
    print(needed or sys.version_info >= (3, 12))
    """
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "True"


def test_the_guard_leaves_a_sound_binding_alone():
    done = _python("""
    from photofind.gui.binding_guard import guard_none
    print(guard_none())
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"

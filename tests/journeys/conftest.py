"""A real X display for the journeys: the window under Xvfb with Qt's xcb platform.

The offscreen platform the other GUI tests use never reproduced the crash a new user hit
(the window died under X, 5 launches in 10); a journey runs the window the way a desktop
does. Xvfb is installed by `.ci/run`; without it these tests fail, they do not skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def x_display() -> Iterator[dict[str, str]]:
    """Environment variables that put a Qt app on a fresh Xvfb screen (xcb platform)."""
    if shutil.which("Xvfb") is None:
        pytest.fail("Xvfb is missing: apt-get install xvfb libxcb-cursor0 (see .ci/run)")
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()  # Xvfb writes the display it chose once it is ready
    if not number:
        server.kill()
        pytest.fail("Xvfb did not start")
    try:
        yield {"DISPLAY": f":{number}", "QT_QPA_PLATFORM": "xcb"}
    finally:
        server.terminate()
        server.wait(10)

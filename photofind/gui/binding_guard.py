"""A guard against a Qt binding that drops a reference to None on every call.

PySide6 6.12.0 on Python 3.10 and 3.11 releases one reference to `None` each time Python
calls a Qt method that returns nothing (`setText`, `processEvents`, `setValue`, ...). After a
few thousand such calls `None` itself is freed and the process dies wherever the next
reference goes: inside numpy, the vector library, the thread-state code or the event loop,
so the crash looks like anyone's fault but the binding's. Python 3.12 made `None` immortal,
which is why the binding's own tests never see it. pyproject.toml keeps that release out of
installs; this guard protects a process that has it anyway (a distribution's package, an
old bundle): it measures the drift once at start and, if there is one, gives `None` the
same immortality Python 3.12 gives it. Called by `create_app`, before any window exists.
"""

from __future__ import annotations

import ctypes
import logging
import sys
from collections.abc import Callable

from PySide6.QtCore import QObject

log = logging.getLogger(__name__)

PROBE_CALLS = 64
# Far more releases than a process makes in its life; the count stays positive.
IMMORTAL_REFERENCES = 1 << 40


def _void_qt_call() -> Callable[[], None]:
    probe = QObject()
    return lambda: probe.setObjectName("photofind-probe")


def none_references_lost(call: Callable[[], object] | None = None) -> int:
    """How many references to None `PROBE_CALLS` calls of a void Qt method lose."""
    call = call or _void_qt_call()
    before = sys.getrefcount(None)
    for _ in range(PROBE_CALLS):
        call()
    return before - sys.getrefcount(None)


def guard_none(call: Callable[[], object] | None = None) -> bool:
    """Make None immortal if the Qt binding loses references to it; True if it had to."""
    if sys.version_info >= (3, 12):
        return False  # None is immortal already
    lost = none_references_lost(call)
    if lost < PROBE_CALLS // 2:
        return False
    ctypes.c_ssize_t.from_address(id(None)).value += IMMORTAL_REFERENCES
    from PySide6 import __version__ as pyside_version

    log.warning(
        "PySide6 %s loses a reference to None on every call (%d in %d calls); photofind "
        "works around it, but install another PySide6 release (pip install "
        "'PySide6-Essentials!=%s')",
        pyside_version, lost, PROBE_CALLS, pyside_version,
    )  # fmt: skip
    return True

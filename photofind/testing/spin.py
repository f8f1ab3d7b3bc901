"""Waiting in a script that drives the real window in a subprocess test: the event loop runs
until a condition holds, or the script ends saying what it waited for (no Qt import here:
the caller passes its application's processEvents)."""

from __future__ import annotations

import time
from collections.abc import Callable


def spin(process_events: Callable[[], object], until: Callable[[], bool], what: str,
         timeout: float) -> None:  # fmt: skip
    """Run `process_events` every 5 ms until `until()` holds; SystemExit after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not until():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        process_events()
        time.sleep(0.005)

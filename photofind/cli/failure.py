"""How a failed command reads: exit codes, one line for people, the cause chain with --debug.

Exit codes (as `photofind.cli` promises): 0 done, 1 a runtime error (a missing file, a locked
catalog, no model), 2 bad usage (argparse's own errors, and ours: `UsageError`), 130 cancelled.
"""

from __future__ import annotations

import argparse
import traceback
from collections.abc import Callable
from typing import TextIO

from photofind.errors import PhotofindError


class UsageError(PhotofindError):
    """The command line asks for something that cannot be: exit 2, like argparse's errors
    (an empty query, -k 0, a date that is not one, a threshold outside 0..1)."""


def bounded_int(low: int, high: int) -> Callable[[str], int]:
    """An argparse `type=` for a whole number in [low, high]; anything else is a usage error
    (exit 2, with argparse's "argument -k: ..." line)."""

    def number(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}, not {value}")
        return value

    return number


def first_line(exc: BaseException) -> str:
    """What a person reads: the message's first line, or the exception's name."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def os_error_text(exc: OSError) -> str:
    """ "Permission denied: /x/y" — the reason, then the file, each once. An OSError made
    without an errno has no strerror and its text may already name the file: kept as is."""
    if not exc.strerror:
        return first_line(exc)
    files = " -> ".join(str(f) for f in (exc.filename, exc.filename2) if f is not None)
    return f"{exc.strerror}: {files}" if files else exc.strerror


def print_chain(exc: BaseException, stream: TextIO) -> None:
    """The traceback of `exc` and of every exception behind it, for --debug.

    Core code raises its one-line errors `from None` so people see no chained tracebacks;
    Python keeps the hidden exception in `__context__` all the same, and this shows it.
    """
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        link.__suppress_context__ = False
        link = link.__cause__ or link.__context__
    traceback.print_exception(exc, file=stream)

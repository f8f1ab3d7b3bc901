"""The CLI's progress renderer: a redrawn bar on a terminal, periodic plain lines elsewhere."""

from __future__ import annotations

import io

import pytest

from photofind.cli.progress import ProgressPrinter, describe, format_duration
from photofind.tasks import Progress


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "?"), (0, "0:00"), (7.4, "0:07"), (754, "12:34"), (3723, "1:02:03")],
)
def test_format_duration(seconds, text) -> None:
    assert format_duration(seconds) == text


def test_describe() -> None:
    line = describe(Progress("index", 120, 480, rate=12.34, eta=29.2, errors=2))
    assert line == "index: 120/480 (25%), 12.3/s, ETA 0:29, 2 errors"
    assert describe(Progress("scan", 5000, 0, rate=0.0)) == "scan: 5,000, -/s"


def test_plain_lines_are_periodic_and_end_each_phase() -> None:
    out, clock = io.StringIO(), Clock()
    printer = ProgressPrinter(out, tty=False, interval=5.0, clock=clock)
    for done in range(0, 101):
        clock.now = done * 0.1  # 10 s in all
        printer(Progress("index", done, 100, rate=10.0, eta=(100 - done) / 10))
    printer(Progress("scan", 1, 0))
    printer.finish()
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("index: 0/100 (0%)")
    assert "index: 50/100 (50%)" in lines[1]
    assert lines[2].startswith("index: 100/100 (100%)")
    assert lines[3] == "scan: 1, -/s"
    assert len(lines) == 4  # the phase change and finish() print nothing twice


def test_terminal_bar_redraws_one_line() -> None:
    out, clock = io.StringIO(), Clock()
    printer = ProgressPrinter(out, tty=True, redraw=10.0, clock=clock)
    for done in range(0, 11):
        clock.now = done * 0.05
        printer(Progress("index", done, 10, rate=20.0, eta=(10 - done) / 20, current="/p/x.jpg"))
    printer.finish()
    text = out.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n")
    frames = text.rstrip("\n").split("\r")[1:]
    assert 3 <= len(frames) <= 8  # throttled to 10 redraws per second
    assert "[" + "#" * 24 + "]" in frames[-1] and "10/10 100%" in frames[-1]
    assert "20.0/s" in frames[-1] and "ETA 0:00" in frames[-1]

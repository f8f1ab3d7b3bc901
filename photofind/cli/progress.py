"""Progress on stderr: a redrawn bar on a terminal, plain periodic lines otherwise (logs, CI)."""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Callable
from typing import Any, TextIO

from photofind.errors import Cancelled
from photofind.tasks import (
    Progress,
    TaskControl,
    describe,
    format_amount,
    format_duration,
    format_rate,
)

__all__ = ["ProgressPrinter", "describe", "format_duration", "run_with_progress"]

BAR_WIDTH = 24


class ProgressPrinter:
    """A `Progress` callback that draws on `stream`; thread-safe (workers may call it).

    On a terminal it redraws one line (at most `redraw` times a second) with a bar, counts,
    rate and ETA; elsewhere it prints a line every `interval` seconds and one when a phase
    ends. Call `finish()` when the work is over.
    """

    def __init__(
        self,
        stream: TextIO,
        *,
        tty: bool | None = None,
        interval: float = 5.0,
        redraw: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.tty = stream.isatty() if tty is None else tty
        self._interval = interval
        self._min_gap = 1.0 / redraw
        self._clock = clock
        self._lock = threading.Lock()
        self._last: Progress | None = None
        self._last_shown = -float("inf")
        self._drawn = 0  # width of the line on screen (tty)
        self._displayed: Progress | None = None

    def __call__(self, progress: Progress) -> None:
        with self._lock:
            last = self._last
            if last is not None and last.phase != progress.phase:
                self._end_line(last)
            now = self._clock()
            done = progress.total > 0 and progress.done >= progress.total
            gap = self._min_gap if self.tty else self._interval
            if (
                last is None
                or last.phase != progress.phase
                or done
                or now - self._last_shown >= gap
            ):
                self._show(progress)
                self._last_shown = now
            self._last = progress

    def finish(self) -> None:
        """End the current line (the final counts stay visible)."""
        with self._lock:
            if self._last is not None:
                self._end_line(self._last)
            self._last = None

    def _end_line(self, last: Progress) -> None:
        if last is not self._displayed:
            self._show(last)
        if self.tty:
            self.stream.write("\n")
            self._drawn = 0
        self.stream.flush()
        self._displayed = None

    def _show(self, progress: Progress) -> None:
        self._displayed = progress
        if not self.tty:
            self.stream.write(describe(progress) + "\n")
            self.stream.flush()
            return
        width = shutil.get_terminal_size((80, 24)).columns - 1
        line = self._bar_line(progress)
        if progress.current and len(line) + 3 < width:
            room = width - len(line) - 2
            current = progress.current
            if len(current) > room:
                current = "…" + current[-(room - 1) :]
            line += "  " + current
        line = line[:width]
        pad = max(0, self._drawn - len(line))
        self.stream.write("\r" + line + " " * pad)
        self.stream.flush()
        self._drawn = len(line)

    @staticmethod
    def _bar_line(progress: Progress) -> str:
        fraction = progress.fraction
        if fraction is None:
            bar = "[" + "·" * BAR_WIDTH + "]"
            counts = format_amount(progress.done, progress.unit)
        else:
            filled = int(fraction * BAR_WIDTH)
            bar = "[" + "#" * filled + "-" * (BAR_WIDTH - filled) + "]"
            done, total = (format_amount(n, progress.unit) for n in (progress.done, progress.total))
            counts = f"{done}/{total} {100 * fraction:3.0f}%"
        rate = format_rate(progress.rate, progress.unit)
        line = f"{progress.phase:<6} {bar} {counts}  {rate}"
        if fraction is not None:
            line += f"  ETA {format_duration(progress.eta)}"
        if progress.errors:
            line += f"  {progress.errors:,} err"
        return line


def progress_json(progress: Progress) -> dict[str, Any]:
    """One report as `--json` prints it on stderr, a JSON object per line: phase, done, total
    (0 while unknown), unit ("items" or "bytes"), rate per second, eta in seconds (null when
    unknown), errors and current (the file being worked on, or null)."""
    return {
        "phase": progress.phase,
        "done": progress.done,
        "total": progress.total,
        "unit": progress.unit,
        "rate": round(progress.rate, 3),
        "eta": None if progress.eta is None else round(progress.eta, 1),
        "errors": progress.errors,
        "current": progress.current,
    }


class JsonProgressPrinter(ProgressPrinter):
    """Progress as JSON lines (`progress_json`) for programs: one when a phase starts, one at
    most every `interval` seconds, one when it ends. Thread-safe, like its parent."""

    def __init__(self, stream: TextIO, *, interval: float = 1.0, **options: Any) -> None:
        super().__init__(stream, tty=False, interval=interval, **options)

    def _show(self, progress: Progress) -> None:
        self._displayed = progress
        self.stream.write(json.dumps(progress_json(progress), ensure_ascii=True) + "\n")
        self.stream.flush()


def run_with_progress(
    work: Callable[[TaskControl, ProgressPrinter], Any],
    err: TextIO,
    cancelled: str = "cancelled",
    *,
    json_lines: bool = False,
) -> Any:
    """Run work(control, progress) in a thread so Ctrl+C reaches us; cancel it cleanly then.

    Progress is drawn on `err` (as JSON lines with `json_lines`). On Ctrl+C the work is
    cancelled through `control`, saves what it finished and stops; we wait for that and raise
    Cancelled(`cancelled`).
    """
    control = TaskControl()
    printer = JsonProgressPrinter(err) if json_lines else ProgressPrinter(err)
    outcome: dict[str, Any] = {}
    finished = threading.Event()  # not Thread.join: an interrupted join breaks is_alive()

    def target() -> None:
        try:
            outcome["result"] = work(control, printer)
        except BaseException as exc:  # handed to the main thread
            outcome["error"] = exc
        finally:
            finished.set()

    threading.Thread(target=target, name="photofind-work", daemon=True).start()
    try:
        while not finished.wait(0.2):
            pass
    except KeyboardInterrupt:
        printer.finish()
        err.write("cancelling: saving what is done...\n")
        control.cancel()
        finished.wait()
        raise Cancelled(cancelled) from None
    finally:
        printer.finish()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("result")

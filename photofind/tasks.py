"""The task vocabulary every layer shares: progress reports, their text, pause/resume/cancel.

A leaf module beside `errors` (nothing here imports the rest of photofind but `errors`), so
the library, the model store's downloads and both front ends speak one type: a scan, an index
pass and a model download all report `Progress`, take a `TaskControl`, and the CLI printer and
the GUI draw any of them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from photofind.errors import Cancelled
from photofind.wording import counted

ITEMS, BYTES = "items", "bytes"


@dataclass(frozen=True)
class Progress:
    """One progress report; immutable so it can cross threads (the GUI wraps it in a signal).

    phase: "scan" | "index" | "labels" (reading the zero-shot tags' cut-offs after a pass) |
    "rebuild" | "duplicates" | "download"; `unit` says what done and total count ("items", or
    "bytes" for a download); rate in units per second; eta in seconds (None when unknown);
    current names the item (the file, for a download) being worked on.
    """

    phase: str
    done: int
    total: int
    rate: float = 0.0
    eta: float | None = None
    current: str | None = None
    errors: int = 0
    unit: str = ITEMS

    @property
    def fraction(self) -> float | None:
        """done / total in [0, 1], or None while the total is unknown (0)."""
        if self.total <= 0:
            return None
        return min(1.0, max(0.0, self.done / self.total))


ProgressCallback = Callable[[Progress], None]
"""Receives each report. Long work calls it from its own (worker) thread: a GUI callback must
hand the report to the GUI thread (a queued signal), a CLI one must be thread-safe."""


class TaskControl:
    """Pause, resume and cancel handed to long work; every method is thread-safe.

    The GUI or CLI thread calls pause/resume/cancel; the worker calls `checkpoint()` between
    items, which blocks while paused and raises `Cancelled` once cancelled.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._cond = threading.Condition()
        self._paused = False
        self._cancelled = False
        self._paused_since: float | None = None
        self._paused_total = 0.0

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    @property
    def paused_seconds(self) -> float:
        """Time spent paused so far, so rates and ETAs can leave it out."""
        with self._cond:
            extra = 0.0 if self._paused_since is None else self._clock() - self._paused_since
            return self._paused_total + extra

    def pause(self) -> None:
        with self._cond:
            if not self._paused and not self._cancelled:
                self._paused = True
                self._paused_since = self._clock()

    def resume(self) -> None:
        with self._cond:
            self._end_pause()
            self._cond.notify_all()

    def cancel(self) -> None:
        """Ask the work to stop; a paused worker wakes up and raises `Cancelled`."""
        with self._cond:
            self._cancelled = True
            self._end_pause()
            self._cond.notify_all()

    def checkpoint(self) -> None:
        """Block while paused; raise `Cancelled` when cancelled. Call it between items."""
        with self._cond:
            while self._paused and not self._cancelled:
                self._cond.wait()
            if self._cancelled:
                raise Cancelled("cancelled")

    def sleep(self, seconds: float) -> None:
        """Wait up to `seconds`, returning early (with `Cancelled`) if cancelled meanwhile."""
        deadline = self._clock() + seconds
        with self._cond:
            while not self._cancelled:
                left = deadline - self._clock()
                if left <= 0:
                    break
                self._cond.wait(left)
        self.checkpoint()

    def _end_pause(self) -> None:
        if self._paused and self._paused_since is not None:
            self._paused_total += self._clock() - self._paused_since
        self._paused = False
        self._paused_since = None


class ProgressMeter:
    """Turns (done, total) counts into `Progress` with a smoothed rate and an ETA.

    The rate is an exponential moving average of the rate over sampling windows of at least
    `window` seconds, so a slow file does not make the ETA jump. Time spent paused (read from
    `control`) is left out. Use from one thread (the worker that reports).
    """

    def __init__(
        self,
        phase: str,
        total: int = 0,
        *,
        control: TaskControl | None = None,
        unit: str = ITEMS,
        done: int = 0,
        smoothing: float = 0.3,
        window: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 0.0 < smoothing <= 1.0:
            raise ValueError("smoothing must be in (0, 1]")
        self.phase = phase
        self.unit = unit
        self.total = total
        self.done = done  # work found already done (a resumed download) is not in the rate
        self.errors = 0
        self._control = control
        self._alpha = smoothing
        self._window = window
        self._clock = clock
        self._rate: float | None = None
        self._start = self._now()
        self._mark_time = self._start
        self._start_done = done
        self._mark_done = done

    def _now(self) -> float:
        paused = self._control.paused_seconds if self._control is not None else 0.0
        return self._clock() - paused

    @property
    def rate(self) -> float:
        """Smoothed items per second (0 until the first window has passed)."""
        return self._rate or 0.0

    def advance(self, n: int = 1, *, errors: int = 0, current: str | None = None) -> Progress:
        """Count `n` more items (and `errors` more failures) done; return the report."""
        return self.update(self.done + n, errors=self.errors + errors, current=current)

    def update(
        self,
        done: int,
        *,
        total: int | None = None,
        errors: int | None = None,
        current: str | None = None,
    ) -> Progress:
        """Set absolute counts; return the report."""
        if total is not None:
            self.total = total
        if errors is not None:
            self.errors = errors
        self.done = done
        now = self._now()
        span = now - self._mark_time
        if span >= self._window and done >= self._mark_done:
            sample = (done - self._mark_done) / span
            if self._rate is None:
                # First sample: the average since the start is steadier than one window.
                elapsed = now - self._start
                self._rate = (done - self._start_done) / elapsed if elapsed > 0 else sample
            else:
                self._rate = self._alpha * sample + (1.0 - self._alpha) * self._rate
            self._mark_time, self._mark_done = now, done
        return self.progress(current)

    def progress(self, current: str | None = None) -> Progress:
        """The report for the current counts, without taking a new rate sample."""
        eta: float | None = None
        if self._rate and self.total > 0:
            eta = max(0.0, (self.total - self.done) / self._rate)
        elif self.total > 0 and self.done >= self.total:
            eta = 0.0
        return Progress(
            phase=self.phase,
            done=self.done,
            total=self.total,
            rate=self.rate,
            eta=eta,
            current=current,
            errors=self.errors,
            unit=self.unit,
        )


# -- text for people (the CLI printer and the GUI status lines share it) --------------------


def format_duration(seconds: float | None) -> str:
    """0:07, 12:34, 1:02:03; "?" when unknown."""
    if seconds is None or seconds != seconds or seconds == float("inf"):
        return "?"
    total = round(max(0.0, seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_size(n: float) -> str:
    """Bytes in decimal units, as download pages show them: 812 B, 4.0 MB, 1.21 GB."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:.{2 if unit == 'GB' else 1}f} {unit}"
    return f"{n:.0f} B"


def format_amount(n: int, unit: str = ITEMS) -> str:
    return format_size(n) if unit == BYTES else f"{n:,}"


def format_rate(rate: float, unit: str = ITEMS) -> str:
    if rate <= 0:
        return "-/s"
    if unit == BYTES:
        return f"{format_size(rate)}/s"
    return f"{rate:.1f}/s" if rate < 100 else f"{rate:,.0f}/s"


def format_counts(progress: Progress) -> str:
    """ "120/480 (25%)", "4.0 MB/12.3 MB (33%)", or the bare count while the total is unknown."""
    text = format_amount(progress.done, progress.unit)
    if progress.total > 0:
        text += f"/{format_amount(progress.total, progress.unit)}"
        text += f" ({100 * (progress.fraction or 0):.0f}%)"
    return text


def describe(progress: Progress) -> str:
    """One plain line: "index: 120/480 (25%), 12.3/s, ETA 0:29, 2 errors"."""
    parts = [f"{progress.phase}: {format_counts(progress)}"]
    parts.append(format_rate(progress.rate, progress.unit))
    if progress.total > 0:
        parts.append(f"ETA {format_duration(progress.eta)}")
    if progress.errors:
        parts.append(counted(progress.errors, "error"))
    if progress.unit == BYTES and progress.current:
        parts.append(progress.current)
    return ", ".join(parts)


# What each phase is doing, in the words of a status bar (the window's and the CLI's alike).
_DOING = {
    "scan": "Looking for photos",
    "index": "Indexing",
    "labels": "Tagging photos",
    "rebuild": "Rebuilding the search index",
    "duplicates": "Looking for duplicates",
    "download": "Downloading",
}


def status_text(progress: Progress) -> str:
    """One sentence for a status bar: "Indexing 120 / 480 · 12.3/s · 0:29 left",
    "Looking for photos… 1,204 found", "Downloading 4.0 MB / 12.3 MB (33%) · 1.2 MB/s ·
    0:07 left · visual.onnx". The window's status bar and model dialog show this; the CLI
    prints `describe` (terse, greppable) for the same reports."""
    if progress.phase == "wait":  # another photofind process is indexing this library
        return progress.current or "Waiting for another photofind to finish indexing…"
    doing = _DOING.get(progress.phase, progress.phase.capitalize())
    if progress.total <= 0:
        found = format_amount(progress.done, progress.unit)
        return f"{doing}… {found} found" if progress.unit == ITEMS else f"{doing}… {found}"
    parts = [f"{doing} {format_amount(progress.done, progress.unit)} / "
             f"{format_amount(progress.total, progress.unit)}"]  # fmt: skip
    if progress.unit == BYTES or progress.phase == "labels":
        parts[0] += f" ({100 * (progress.fraction or 0):.0f}%)"
    if progress.rate > 0:
        parts.append(format_rate(progress.rate, progress.unit))
    if progress.eta is not None and progress.done < progress.total:
        parts.append(f"{format_duration(progress.eta)} left")
    if progress.errors:
        parts.append(f"{progress.errors:,} unreadable")
    if progress.unit == BYTES and progress.current:
        parts.append(progress.current)
    return " · ".join(parts)

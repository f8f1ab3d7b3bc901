"""Running core calls off the GUI thread and getting their results back as signals.

A `Task` wraps any callable; its signals are delivered on the GUI thread (queued
connections), so slots may touch widgets. Progress from the core arrives in a worker
thread and is forwarded the same way.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)

_running: set[Task] = set()  # alive until their result has been delivered
_CLOSED = "photofind_closed"  # a pool's dynamic property, set by close_pool


class TaskSignals(QObject):
    done = Signal(object)
    failed = Signal(object)  # the exception
    progress = Signal(object)


class Task(QRunnable):
    """`fn(*args, progress=emit)` when `with_progress`, else `fn(*args)`."""

    def __init__(self, fn: Callable[..., Any], *args: Any, with_progress: bool = False) -> None:
        super().__init__()
        self.fn = fn
        self.args = args
        self.with_progress = with_progress
        self.signals = TaskSignals()
        self.pool: QThreadPool | None = None  # the pool it runs on (close_pool takes it back)
        # Python owns the task: Qt deleting it after run() could take the signals object
        # with it before its queued results reach the GUI thread.
        self.setAutoDelete(False)

    def run(self) -> None:
        try:
            if self.with_progress:
                result = self.fn(*self.args, progress=self.signals.progress.emit)
            else:
                result = self.fn(*self.args)
        except BaseException as exc:  # reported to the GUI, never lost in a thread
            if not isinstance(exc, Exception):
                log.debug("task ended: %r", exc)
            self.signals.failed.emit(exc)
            return
        self.signals.done.emit(result)


def run_task(
    pool: QThreadPool,
    fn: Callable[..., Any],
    *args: Any,
    done: Callable[[Any], None] | None = None,
    failed: Callable[[BaseException], None] | None = None,
    progress: Callable[[Any], None] | None = None,
) -> Task:
    task = Task(fn, *args, with_progress=progress is not None)
    task.pool = pool
    # A window's pool is its Qt child: once the window is deleted, its callbacks' owners are
    # gone too (a search answered after the close met a deleted controller), so what the task
    # reports after that is dropped (and after close_pool). The global pool never goes.
    for signal, slot in ((task.signals.done, done), (task.signals.failed, failed),
                         (task.signals.progress, progress)):  # fmt: skip
        if slot is not None:
            signal.connect(functools.partial(_if_alive, pool, slot))
    _running.add(task)
    task.signals.done.connect(lambda _result: _delivered(task))
    task.signals.failed.connect(lambda _exc: _delivered(task))
    pool.start(task)
    return task


def close_pool(pool: QThreadPool) -> None:
    """The pool's owner is closing for good (a dialog): its tasks not yet started never start,
    the running ones are waited for, and what any of them reports from now on is dropped,
    as if the pool were gone. On the GUI thread; hide the owner first, so the wait is not
    shown frozen."""
    pool.setProperty(_CLOSED, True)
    for task in [t for t in _running if t.pool is pool]:
        if pool.tryTake(task):
            _delivered(task)  # never runs: its signals go now
    pool.waitForDone()


def _if_alive(pool: QThreadPool, slot: Callable[[Any], None], value: Any) -> None:
    if shiboken6.isValid(pool) and not pool.property(_CLOSED):
        slot(value)


def _delivered(task: Task) -> None:
    """Its result reached the GUI thread: the signals object goes there too. Its connections
    hold the task (and the slots' owners) from C++, out of Python's sight, so without this
    the pair would live on after its window; deleted here, it never reaches Python's
    collector, which may run in any thread."""
    _running.discard(task)
    task.signals.deleteLater()

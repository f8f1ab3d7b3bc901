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
    # A window's pool is its Qt child: once the window is deleted, its callbacks' owners are
    # gone too (a search answered after the close met a deleted controller), so what the task
    # reports after that is dropped. The global pool never goes (dialogs: TaskGroup).
    for signal, slot in ((task.signals.done, done), (task.signals.failed, failed),
                         (task.signals.progress, progress)):  # fmt: skip
        if slot is not None:
            signal.connect(functools.partial(_if_alive, pool, slot))
    _running.add(task)
    task.signals.done.connect(lambda _result: _delivered(task))
    task.signals.failed.connect(lambda _exc: _delivered(task))
    pool.start(task)
    return task


class TaskGroup:
    """The tasks one owner (a dialog) starts on a pool that outlives it (its window's).

    `close()` (the owner closing, on the GUI thread): tasks not yet started never start,
    and what the running ones report from then on is dropped. It does not wait for them,
    so closing is instant even while a 48 MP PNG decodes; the pool's owner waits for
    them when it closes (a window's pool is waited for before the window goes)."""

    def __init__(self, pool: QThreadPool) -> None:
        self.pool = pool
        self.closed = False
        self._started: set[Task] = set()

    def run(
        self,
        fn: Callable[..., Any],
        *args: Any,
        done: Callable[[Any], None] | None = None,
        failed: Callable[[BaseException], None] | None = None,
        progress: Callable[[Any], None] | None = None,
    ) -> Task:
        """`run_task` on the group's pool; the slots are called only while it is open."""
        open_ = self._while_open
        task = run_task(self.pool, fn, *args, done=open_(done), failed=open_(failed),
                        progress=open_(progress))  # fmt: skip
        self._started.add(task)
        task.signals.done.connect(lambda _result: self._started.discard(task))
        task.signals.failed.connect(lambda _exc: self._started.discard(task))
        return task

    def close(self) -> None:
        self.closed = True
        for task in list(self._started):
            if self.pool.tryTake(task):
                self._started.discard(task)
                _delivered(task)  # never runs: its signals go now

    def _while_open(self, slot: Callable[[Any], None] | None) -> Callable[[Any], None] | None:
        if slot is None:
            return None

        def deliver(value: Any) -> None:
            if not self.closed:
                slot(value)

        return deliver


def _if_alive(pool: QThreadPool, slot: Callable[[Any], None], value: Any) -> None:
    if shiboken6.isValid(pool):
        slot(value)


def _delivered(task: Task) -> None:
    """Its result reached the GUI thread: the signals object goes there too. Its connections
    hold the task (and the slots' owners) from C++, out of Python's sight, so without this
    the pair would live on after its window; deleted here, it never reaches Python's
    collector, which may run in any thread."""
    _running.discard(task)
    task.signals.deleteLater()

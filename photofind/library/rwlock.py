"""A readers-writer lock: the vector index allows parallel searches but none during a change."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class RWLock:
    """Many readers at once, or one writer alone; a waiting writer goes before new readers.

    Not reentrant: a thread holding it must not take it again.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._waiting = 0

    @contextmanager
    def read(self) -> Iterator[None]:
        acquired = False
        try:
            with self._cond:
                while self._writer or self._waiting:
                    self._cond.wait()
                self._readers += 1
                acquired = True
            yield
        finally:
            if acquired:  # released even when Ctrl+C lands between acquiring and the body
                with self._cond:
                    self._readers -= 1
                    if not self._readers:
                        self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        acquired = False
        try:
            with self._cond:
                self._waiting += 1
                try:
                    while self._writer or self._readers:
                        self._cond.wait()  # Ctrl+C may raise KeyboardInterrupt in here
                    self._writer = acquired = True
                finally:
                    # Interrupted or not, this writer no longer waits: readers held back for
                    # it must not wait for it forever.
                    self._waiting -= 1
                    if not acquired:
                        self._cond.notify_all()
            yield
        finally:
            if acquired:
                with self._cond:
                    self._writer = False
                    self._cond.notify_all()

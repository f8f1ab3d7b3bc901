"""RWLock: a writer interrupted while it waits (Ctrl+C) must not leave readers blocked."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from photofind.library.rwlock import RWLock

ROOT = Path(__file__).resolve().parents[2]


def _read_in_thread(lock: RWLock) -> bool:
    """Whether another thread gets the read lock within a few seconds."""
    got = threading.Event()

    def reader() -> None:
        with lock.read():
            got.set()

    threading.Thread(target=reader, daemon=True).start()
    return got.wait(5)


def test_writer_interrupted_in_wait_lets_readers_in(monkeypatch: pytest.MonkeyPatch) -> None:
    lock = RWLock()
    real_wait = lock._cond.wait

    def interrupted(timeout: float | None = None) -> bool:
        raise KeyboardInterrupt  # what a SIGINT raises inside Condition.wait

    with lock.read():  # a search in progress: the writer has to wait
        monkeypatch.setattr(lock._cond, "wait", interrupted)
        with pytest.raises(KeyboardInterrupt), lock.write():
            pass
        monkeypatch.setattr(lock._cond, "wait", real_wait)
    assert _read_in_thread(lock), "a reader blocks behind a writer that is gone"
    with lock.write():  # and writers still work
        pass
    assert _read_in_thread(lock)


def test_writer_waiting_gets_in_after_the_readers() -> None:
    lock = RWLock()
    order: list[str] = []
    with lock.read():

        def write() -> None:
            with lock.write():
                order.append("w")

        writer = threading.Thread(target=write)
        writer.start()
        writer.join(0.2)
        assert not order  # waits for the reader
    writer.join(5)
    assert order == ["w"]


_SIGINT_SCRIPT = textwrap.dedent(
    """
    import os, signal, sys, threading, time
    sys.path.insert(0, sys.argv[1])
    from photofind.library.rwlock import RWLock

    lock = RWLock()
    holding, release = threading.Event(), threading.Event()

    def search():
        with lock.read():
            holding.set()
            release.wait()

    threading.Thread(target=search, daemon=True).start()
    holding.wait()
    threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()
    try:
        with lock.write():  # waits for the search; Ctrl+C arrives meanwhile
            print("writer got in", flush=True)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
    release.set()
    got = threading.Event()

    def later_search():
        with lock.read():
            got.set()

    threading.Thread(target=later_search, daemon=True).start()
    print("reader got in" if got.wait(5) else "reader blocked", flush=True)
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_real_sigint_while_a_writer_waits() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _SIGINT_SCRIPT, str(ROOT)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.stdout.split("\n")[:2] == ["interrupted", "reader got in"], done

"""Ending the `photofind` process without the interpreter's teardown, once a command is done.

After `photofind index` has closed what it opened (the catalog committed and closed, the
vector index saved), the interpreter's own exit still frees every object one by one: the
image session's packed weights, the decoder threads' memory arenas, every module. That took
60-120 ms after a 48-photo run (strace: the munmaps, then a long stretch of plain CPU),
and the operating system takes the whole address space back at once anyway.

A command that has closed everything calls `request()`; the program's own entry
(`photofind.cli.main` with no argv: the console script, `python -m photofind`) then calls
`finish(code)`, which waits for the threads the interpreter would have waited for (the
non-daemon ones), flushes stdout, stderr and the log file, and ends the process with that
code. A caller of `main([...])` in-process (a test) gets its exit code back as before.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading

_requested = False


def request() -> None:
    """Ask to leave without the teardown: everything the command opened is closed."""
    global _requested
    _requested = True


def finish(code: int) -> int:
    """End the process with `code` if a command asked to (`request`), else return `code`."""
    if not _requested:
        return code
    current = threading.current_thread()
    for thread in threading.enumerate():  # what the interpreter's exit would wait for
        if thread is not current and not thread.daemon and thread.is_alive():
            thread.join()
    logging.shutdown()  # flushes and closes the log file
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed pipe: the reader went away
            stream.flush()
    os._exit(code)

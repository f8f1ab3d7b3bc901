"""The log file the window and the command line both write: warnings by default, rotated.

What goes there is what a person (or whoever helps them) needs after the fact: an execution
provider that fell back to the CPU, a vector index rebuilt, a folder the watcher could not
watch, photos that failed to read. The terminal stays quiet (the CLI prints its own one-line
errors); `--debug` or PHOTOFIND_LOG_LEVEL=INFO|DEBUG writes more.

The file is opened only when the first record arrives, so a run with nothing to say writes
nothing. A file that cannot be written (read-only library) turns the handler off instead of
printing logging's own error to stderr. Two processes may write the same file (a window and
`photofind index`): lines stay whole (append mode), and a rotation by one of them only makes
the other finish its lines in the renamed file.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from photofind.library.home import LibraryPaths

LEVEL_ENV = "PHOTOFIND_LOG_LEVEL"
MAX_BYTES = 2 * 1024 * 1024
BACKUPS = 3
FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"

_handler: _LogFile | None = None


class _LogFile(logging.Handler):
    """A rotating file whose folder is made at the first record; off after a write error.

    The rotating handler (and `logging.handlers`, which brings socket, pickle and queue:
    ~10-20 ms of every start) is made at the first record, so a run with nothing to log,
    such as most searches, never imports it."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.broken = False
        self._file: logging.Handler | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if self.broken:
            return
        try:
            if self._file is None:
                import logging.handlers

                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._file = logging.handlers.RotatingFileHandler(
                    self.path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
                )
                self._file.handleError = self.handleError  # type: ignore[method-assign]
            self._file.setFormatter(self.formatter)
            self._file.emit(record)  # under this handler's lock (Handler.handle)
        except OSError:
            self.broken = True

    def handleError(self, record: logging.LogRecord) -> None:
        self.broken = True  # never logging's "--- Logging error ---" on the user's terminal

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        super().close()


def file_level(debug: bool = False) -> int:
    """DEBUG with --debug, else PHOTOFIND_LOG_LEVEL (a level name), else WARNING."""
    if debug:
        return logging.DEBUG
    level = logging.getLevelName(os.environ.get(LEVEL_ENV, "WARNING").strip().upper())
    return level if isinstance(level, int) else logging.WARNING


def setup(library: Path | None = None, *, debug: bool = False, console: int | None = None) -> Path:
    """Send this process's log records to the library's log file (`LibraryPaths.log_file`).

    `library` is --library (None: $PHOTOFIND_HOME or the platform's folders). `console` is a
    level for stderr too (None: nothing on stderr). Calling it again replaces what an earlier
    call installed. Returns the log file's path.
    """
    global _handler
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler is _handler or getattr(handler, "_photofind_console", False):
            root.removeHandler(handler)
            handler.close()
    path = LibraryPaths.locate(library).log_file
    level = file_level(debug)
    _handler = _LogFile(path)
    _handler.setLevel(level)
    _handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(_handler)
    levels = [level]
    if console is not None:
        stream = logging.StreamHandler()
        stream.setLevel(console)
        stream.setFormatter(logging.Formatter("photofind: %(levelname)s: %(name)s: %(message)s"))
        stream._photofind_console = True  # type: ignore[attr-defined]
        root.addHandler(stream)
        levels.append(console)
    root.setLevel(min(levels))
    return path


def log_file() -> Path:
    """The file this process logs to (what "Show log" opens); where it would be when `setup`
    has not run. It may not exist yet: it is made at the first warning."""
    if _handler is not None:
        return _handler.path
    return LibraryPaths.locate().log_file

"""The CLI's error handling in-process: one line and an exit code, never a stray traceback."""

from __future__ import annotations

import _thread
import io
import threading
import time

import pytest

from photofind import cli
from photofind.cli import commands, query_args
from photofind.cli.progress import run_with_progress
from photofind.errors import Cancelled, CatalogError


def fail_with(exc: BaseException):
    def run(args) -> int:
        raise exc

    return run


@pytest.mark.parametrize(
    ("exc", "code", "message"),
    [
        (CatalogError("the catalog x is locked by another program"), 1, "is locked"),
        (Cancelled("cancelled"), 130, "cancelled"),
        (KeyboardInterrupt(), 130, "interrupted"),
        (PermissionError(13, "Permission denied", "/x/y"), 1, "Permission denied: /x/y"),
        (FileNotFoundError(2, "No such file", "/a", None, "/b"), 1, "No such file: /a -> /b"),
        (OSError("cannot map /x/y: out of memory"), 1, ": cannot map /x/y: out of memory"),
        (RuntimeError("boom\nsecond line"), 1, "unexpected error: RuntimeError: boom"),
    ],
)
def test_errors_are_one_line_with_an_exit_code(monkeypatch, capsys, exc, code, message) -> None:
    monkeypatch.setattr(commands, "cmd_status", fail_with(exc))
    assert cli.main(["status"]) == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("photofind: ")
    assert message in err
    assert "Traceback" not in err


def test_unexpected_errors_hint_at_debug_which_shows_the_traceback(monkeypatch, capsys) -> None:
    monkeypatch.setattr(commands, "cmd_status", fail_with(RuntimeError("boom")))
    assert cli.main(["status"]) == 1
    assert "--debug" in capsys.readouterr().err
    assert cli.main(["status", "--debug"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "RuntimeError: boom" in err


def test_global_options_work_before_and_after_the_command(monkeypatch) -> None:
    seen = []
    monkeypatch.setattr(commands, "cmd_status", lambda args: seen.append(args) or 0)
    assert cli.main(["--library", "/a", "status", "--model", "/m"]) == 0
    assert cli.main(["status"]) == 0
    assert (seen[0].library, seen[0].model, seen[1].library, seen[1].model) == (
        "/a", "/m", None, None
    )  # fmt: skip


def test_usage_errors_exit_2(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["search", "-k", "many"])
    assert info.value.code == 2


def test_no_display_is_one_line(monkeypatch, capsys) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("sys.platform", "linux")
    assert cli.main([]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "photofind --help" in err


def test_bad_dates_are_refused() -> None:
    assert query_args.parse_day("2023-05-01", "--after") == pytest.approx(
        time.mktime((2023, 5, 1, 0, 0, 0, 0, 0, -1))
    )
    with pytest.raises(Exception, match="--after needs a date like 2023-05-01"):
        query_args.parse_day("yesterday", "--after")


def test_ctrl_c_cancels_the_work_which_finishes_cleanly() -> None:
    """Ctrl+C reaches the main thread; the worker sees the cancel and stops at a checkpoint."""
    stopped = threading.Event()

    def work(control, progress) -> None:
        from photofind.tasks import Progress

        try:
            for n in range(1000):
                control.checkpoint()
                progress(Progress("index", n, 1000))
                time.sleep(0.01)
        finally:
            stopped.set()

    threading.Timer(0.2, _thread.interrupt_main).start()
    with pytest.raises(Cancelled):
        run_with_progress(work, io.StringIO())
    assert stopped.is_set()


def test_worker_errors_reach_the_caller() -> None:
    def work(control, progress):
        raise CatalogError("disk full")

    with pytest.raises(CatalogError, match="disk full"):
        run_with_progress(work, io.StringIO())
    assert run_with_progress(lambda c, p: 42, io.StringIO()) == 42

"""The `photofind` command: argument parsing, error messages and exit codes.

Each command lives in `photofind.cli.commands` (library and search), `model_commands`,
`tag_commands`, `album_commands` or `completion`, as `photofind.cli.command_table` lists
them; `photofind` alone starts the GUI.
Exit codes: 0 done, 1 error, 2 bad usage, 130 cancelled (Ctrl+C).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from photofind.appinfo import APP_NAME, DESCRIPTION, VERSION
from photofind.cli.failure import UsageError, first_line, os_error_text, print_chain
from photofind.errors import Cancelled, PhotofindError

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_CANCELLED = 0, 1, 2, 130


def _global_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """Options accepted before or after the command (`photofind --library X search ...` and
    `photofind search ... --library X`); SUPPRESS keeps a later parser from resetting them."""
    default = None if top else argparse.SUPPRESS
    group = parser.add_argument_group("global options")
    group.add_argument(
        "--library",
        metavar="DIR",
        default=default,
        help="library folder (default: $PHOTOFIND_HOME or the user data folder)",
    )
    group.add_argument(
        "--model",
        metavar="DIR",
        default=default,
        help="model folder or installed model name (default: $PHOTOFIND_MODEL or the active one)",
    )
    group.add_argument(
        "--debug",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="show debug logs and tracebacks",
    )
    group.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="show what photofind is doing",
    )


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser of the `photofind` command line.

    With `argv`, only the command it names gets its arguments (the rest are listed by name
    and summary: `photofind/cli/command_table.py`); without, every command is built (shell
    completion walks the whole tree).
    """
    import importlib

    from photofind.cli.command_table import COMMANDS, invoked_command

    wanted = invoked_command(argv) if argv is not None else None
    parser = argparse.ArgumentParser(
        prog=APP_NAME,
        description=f"{DESCRIPTION} Without a command, the app window opens.",
    )
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {VERSION}")
    _global_options(parser, top=True)
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, top=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, info in COMMANDS.items():
        if argv is not None and name != wanted:
            sub.add_parser(name, help=info.summary)  # listed; never parses (not invoked)
            continue
        command = sub.add_parser(name, parents=[common], help=info.summary)
        module = importlib.import_module(f"photofind.cli.{info.module}")
        getattr(module, info.adder)(command, [common])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (the console script exits with it).
    Without `argv` (the program itself), a command that closed everything may end the
    process at once instead (`quickexit`)."""
    _tolerant_output()
    program = argv is None
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(argv)
    args = parse_arguments(parser, argv)
    _setup_logging(args)
    if args.command is None:
        return _start_gui(args)
    try:
        code = int(args.run(args) or EXIT_OK)
        if program:
            from photofind.cli import quickexit

            quickexit.finish(code)
        return code
    except Cancelled:
        _fail("cancelled")
        return EXIT_CANCELLED
    except KeyboardInterrupt:
        _fail("interrupted")
        return EXIT_CANCELLED
    except UsageError as exc:
        _fail(first_line(exc))
        return EXIT_USAGE
    except PhotofindError as exc:
        if args.debug:
            print_chain(exc, sys.stderr)
        _fail(first_line(exc))
        return EXIT_ERROR
    except BrokenPipeError:
        # The reader went away (`photofind search x | head`): not an error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except OSError as exc:
        if args.debug:
            print_chain(exc, sys.stderr)
        _fail(os_error_text(exc))
        return EXIT_ERROR
    except Exception as exc:
        if args.debug:
            print_chain(exc, sys.stderr)
            return EXIT_ERROR
        _fail(
            f"unexpected error: {type(exc).__name__}: {exc} "
            f"(run again with --debug to see the traceback)"
        )
        return EXIT_ERROR


def parse_arguments(parser: argparse.ArgumentParser, argv: Sequence[str]) -> argparse.Namespace:
    """Parse, letting query words come between options (`search red -k 5 - fruit`).

    argparse fills a `nargs="*"` positional once; words after a later option come back as
    extras, which a query command takes as more of its words, in order.
    """
    from photofind.cli.query_args import shield_negatives

    args, extra = parser.parse_known_args(shield_negatives(argv, parser))
    words = [w for w in extra if w == "-" or not w.startswith("-")]
    if extra and (len(words) < len(extra) or not isinstance(getattr(args, "text", None), list)):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if words:
        args.text = [*args.text, *words]
    return args


def _tolerant_output() -> None:
    """File names that are not valid UTF-8 print as their original bytes, never crash."""
    errors = "surrogateescape" if os.name == "posix" else "backslashreplace"
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors=errors)


def _fail(message: str) -> None:
    first = message.strip().splitlines()[0] if message.strip() else "error"
    print(f"{APP_NAME}: {first}", file=sys.stderr)


def _setup_logging(args: argparse.Namespace) -> None:
    """Warnings to the library's log file; the terminal stays quiet (errors reach the user as
    one line, not as log records) unless --debug or --verbose asks for records there too."""
    from photofind import logs

    console = logging.DEBUG if args.debug else logging.INFO if args.verbose else None
    library = Path(args.library).expanduser() if args.library else None
    logs.setup(library, debug=args.debug, console=console)


def _start_gui(args: argparse.Namespace) -> int:
    """Open the app window; the chosen library and model reach it through the environment."""
    from photofind.library.home import HOME_ENV
    from photofind.session import MODEL_ENV

    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY")
        or os.environ.get("WAYLAND_DISPLAY")
        or os.environ.get("QT_QPA_PLATFORM")
    ):
        _fail(f"no display to open the app window on; run `{APP_NAME} --help` for the commands")
        return EXIT_ERROR
    if args.library:
        os.environ[HOME_ENV] = os.path.abspath(args.library)
    if args.model:
        os.environ[MODEL_ENV] = str(args.model)
    try:
        from photofind.gui.app import main as gui_main
    except ImportError as exc:
        if args.debug:
            traceback.print_exc()
        _fail(
            f"cannot start the app window ({exc}); the commands still work: run `{APP_NAME} --help`"
        )
        return EXIT_ERROR
    return int(gui_main() or EXIT_OK)

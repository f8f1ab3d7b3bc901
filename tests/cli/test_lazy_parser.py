"""The parser built for one command reads, helps and fails exactly like the full tree.

`build_parser(argv)` gives only the command `argv` names its arguments (command_table.py);
these tests hold every help text and usage error of that parser to the full parser's.
"""

from __future__ import annotations

import argparse
import contextlib
import io

import pytest

from photofind.cli import build_parser, parse_arguments
from photofind.cli.command_table import COMMANDS, command_position, invoked_command


def _children(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _walk(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """(path, parser) for the parser and every command and action below it."""
    yield path, parser
    for name, child in _children(parser).items():
        yield from _walk(child, (*path, name))


def _at(parser: argparse.ArgumentParser, path: tuple[str, ...]) -> argparse.ArgumentParser:
    for name in path:
        parser = _children(parser)[name]
    return parser


FULL = dict(_walk(build_parser()))


def test_the_full_tree_has_every_command_of_the_table() -> None:
    assert list(_children(build_parser())) == list(COMMANDS)
    assert len(FULL) > 2 * len(COMMANDS)  # actions (folders add, model install...) too


@pytest.mark.parametrize("path", sorted(FULL), ids=lambda p: " ".join(p) or "top")
def test_help_is_the_same_as_the_full_parsers(path: tuple[str, ...]) -> None:
    lazy = build_parser([*path, "--help"])
    assert _at(lazy, path).format_help() == FULL[path].format_help()
    assert lazy.format_help() == FULL[()].format_help()  # the command list, with summaries


def test_commands_not_invoked_are_listed_but_not_built() -> None:
    lazy = build_parser(["search", "red"])
    built = {name for name, p in _children(lazy).items() if _children(p) or len(p._actions) > 1}
    assert built == {"search"}
    assert build_parser(["serch"]).format_help() == FULL[()].format_help()


def _outcome(parser: argparse.ArgumentParser, argv: list[str]) -> tuple[object, str, str]:
    """What parsing `argv` gives: the arguments (and the command run) or the exit code, and
    what it printed."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            args = vars(parse_arguments(parser, argv))
        except SystemExit as exc:
            return exc.code, out.getvalue(), err.getvalue()
    run = args.pop("run", None)
    return (sorted(args.items()), getattr(run, "__name__", None)), out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    "argv",
    [
        ["serch", "red"],
        ["--lib", "/l", "serch"],
        ["folders"],
        ["folders", "nope"],
        ["model"],
        ["album", "add"],
        ["search", "red", "-k", "0"],
        ["search", "red", "-k", "lots"],
        ["search", "red", "--all", "--fewer"],
        ["search", "red", "--bogus"],
        ["status", "extra"],
        ["completion", "tcsh"],
        ["duplicates", "--threshold", "x"],
        ["--library"],
        ["--bogus"],
        ["search", "beach", "-people", "-k", "5", "--not", "cars"],
        ["--lib", "/l", "--mod", "/m", "search", "red", "-circle"],
        ["--library=/l", "search", "red", "-kids", "--after", "2023"],
        ["--debug", "-v", "album", "add", "Beach", "beach", "-people"],
        ["tags", "add", "my car=a red hatchback"],
        ["similar", "12", "--more", "--json"],
        ["-v", "index", "--fast", "--json"],
        ["model", "install", "ViT-B-32__openai", "--library", "/l"],
        ["--", "status"],  # 3.11's argparse reads "--" as the command; later ones may not
        [],
    ],
)
def test_usage_and_errors_are_the_same_as_the_full_parsers(argv: list[str]) -> None:
    assert _outcome(build_parser(argv), argv) == _outcome(build_parser(), argv)


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["search", "red"], "search"),
        (["--library", "search", "status"], "status"),  # a library folder named "search"
        (["--lib", "/l", "--mo", "/m", "search"], "search"),  # argparse takes prefixes
        (["--model=/m", "-v", "--debug", "index"], "index"),
        (["-h"], None),
        (["serch", "red"], None),
        (["--library", "/l"], None),
    ],
)
def test_the_invoked_command_is_the_word_argparse_reads_as_it(argv, command) -> None:
    assert invoked_command(argv) == command
    if command is not None:
        position = command_position(argv)
        assert position is not None and argv[position] == command
        args, _ = build_parser().parse_known_args(argv)
        assert args.command == command

"""The top-level commands: each one's summary and the function that defines its arguments.

A cold `photofind search` used to build the argparse tree of every command, and import what
every definition imported, before doing anything: a quarter of a second. `build_parser`
now builds in full only the command a command line names; the others are listed by name and
summary, so `photofind --help` and argparse's "invalid choice" messages read as before, and
`photofind completion` still walks the whole tree. pip names its commands the same way
(`pip/_internal/commands/__init__.py`: module, class and summary per command, imported on
use). The modules named here import only argparse and photofind's light modules at the top;
what a command runs, it imports when it runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple


class CommandInfo(NamedTuple):
    """Where a command's arguments are defined, and the line `photofind --help` shows."""

    module: str  # under photofind.cli
    adder: str  # add_X(parser, parents): the command's arguments and its `run`
    summary: str


# In the order `photofind --help` lists them.
COMMANDS: dict[str, CommandInfo] = {
    "folders": CommandInfo("commands", "add_folders", "add, remove or list photo folders"),
    "index": CommandInfo("commands", "add_index", "scan the folders and index new photos"),
    "search": CommandInfo("commands", "add_search", "find photos by describing them"),
    "similar": CommandInfo("commands", "add_similar", "photos that look like a given one"),
    "duplicates": CommandInfo("commands", "add_duplicates", "groups of near-identical photos"),
    "status": CommandInfo("commands", "add_status", "photos, folders, model and errors"),
    "model": CommandInfo("model_commands", "add_model", "install, choose and check models"),
    "tags": CommandInfo(
        "tag_commands",
        "add_tags",
        "labels found in the photos (things, scenes, documents...) and their counts",
    ),
    "album": CommandInfo(
        "album_commands", "add_album", "smart albums: saved searches that fill themselves"
    ),
    "completion": CommandInfo("completion", "add_completion", "print a shell completion script"),
}

# The options of the top-level parser that take a value (argparse also accepts any
# unambiguous prefix of them: `--lib DIR`).
VALUED_GLOBALS = ("--library", "--model")


def command_position(argv: Sequence[str]) -> int | None:
    """The index of the word argparse reads as the command (None when there is none).

    Mirrors the top-level parser: options before the command, `--library DIR` and
    `--model DIR` (or a prefix, or `--library=DIR`) with their values, `--` ending them.
    """
    n = 0
    while n < len(argv):
        token = argv[n]
        if token == "--":
            return n + 1 if n + 1 < len(argv) else None
        if token.startswith("-") and len(token) > 1:
            name = token.split("=", 1)[0]
            takes_value = (
                name.startswith("--")
                and len(name) > 2
                and "=" not in token
                and any(option.startswith(name) for option in VALUED_GLOBALS)
            )
            n += 2 if takes_value else 1
            continue
        return n
    return None


def invoked_command(argv: Sequence[str]) -> str | None:
    """The command `argv` runs, if it names one of COMMANDS (else None: a typo, or none)."""
    position = command_position(argv)
    if position is None:
        return None
    word = argv[position]
    return word if word in COMMANDS else None

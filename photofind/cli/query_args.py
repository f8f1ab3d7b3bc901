"""The query options `search` and `album add` share, and unquoted `-word` negative terms.

argparse reads `photofind search beach -people` as an unknown option `-people` (and
`-kids` as `-k ids`). `shield_negatives` runs before argparse: a word after the command
that starts with `-` and is not one of the command's options gets a leading space, which
argparse takes for a positional word and the query parser strips again. A word starting
with `--` is left to argparse: it is a misspelt option (`--jsn`), never a word to leave out.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from photofind.cli.command_table import command_position
from photofind.cli.failure import UsageError, bounded_int

if TYPE_CHECKING:
    from photofind.search import Query
    from photofind.session import Session

# Commands whose positional words are a query, as (command, sub-action or None).
QUERY_COMMANDS = (("search", None), ("album", "add"))


def add_query_arguments(p: argparse.ArgumentParser) -> None:
    """TEXT words, images, marks, negatives and filters: one query syntax for every command."""
    p.add_argument(
        "text",
        nargs="*",
        metavar="TERM",
        help='what to look for: words, -word to exclude, "2:words" to weigh, a picture path, '
        "+ and - between terms to add and subtract them",
    )
    p.add_argument("--image", metavar="PATH", help="a photo to look like (path or library id)")
    p.add_argument(
        "--image-weight",
        type=float,
        default=0.5,
        metavar="W",
        help="weight of --image against TEXT, 0 to 1 (0.5)",
    )
    p.add_argument(
        "--not", dest="negative", action="append", default=[], metavar="WORD", help="exclude this"
    )
    p.add_argument(
        "--like", action="append", default=[], metavar="ID|PATH", help="more like this photo"
    )
    p.add_argument(
        "--unlike", action="append", default=[], metavar="ID|PATH", help="not like this photo"
    )
    p.add_argument("--tag", metavar="LABEL", help="only photos with this label (see `tags`)")
    p.add_argument(
        "--folder", action="append", default=[], metavar="PATH", help="only in this folder"
    )
    p.add_argument(
        "--after", metavar="DATE", help="taken on or after this day (2023-05-01, May 2023, 2023)"
    )
    p.add_argument("--before", metavar="DATE", help="taken before this day (or month, or year)")
    p.add_argument(
        "--type", action="append", default=[], metavar="EXT", help="only this file type (jpg)"
    )
    p.add_argument("--min-score", type=float, metavar="S", help="leave out weaker matches")


def _result_count(text: str) -> int:
    """-k N: a whole number up to Query's MAX_K, imported only when -k is given (defining the
    option must not import the search package: `photofind/cli/command_table.py`)."""
    from photofind.search.query import MAX_K

    return bounded_int(1, MAX_K)(text)


def add_cut_arguments(p: argparse.ArgumentParser) -> None:
    """-k and how many of the ranked photos count as matches (`photofind.search.cut`)."""
    p.add_argument(
        "-k",
        type=_result_count,
        default=20,
        metavar="N",
        help="show at most N matches (20)",
    )
    group = p.add_mutually_exclusive_group()
    for flag, value, text in (
        ("--fewer", "fewer", "only the closest matches"),
        ("--more", "more", "weaker matches too"),
        ("--all", None, "no cut: every photo, best first (at most N)"),
    ):
        group.add_argument(flag, dest="cut", action="store_const", const=value, help=text)
    p.set_defaults(cut="normal")


def cut_from_args(args: argparse.Namespace) -> str | None:
    """The Query.cut the options ask for ("normal" unless --fewer, --more or --all)."""
    return args.cut


def parse_day(text: str, option: str) -> float:
    """A local date and time ("2023-05-01", "2023-05-01T10:00") as unix seconds, or the first
    moment of a typed day, month or year ("1 May 2023", "May 2023", "2023": the forms
    `photofind.search.dates.parse_day` reads); UsageError if it is none of them."""
    from photofind.search.dates import parse_day as typed_day
    from photofind.search.query import QueryError

    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        try:
            when = datetime.combine(typed_day(text)[0], datetime.min.time())
        except QueryError:
            raise UsageError(f"{option} needs a date like 2023-05-01, not {text!r}") from None
    if when.tzinfo is None:
        when = when.astimezone()  # naive = local time, as EXIF dates are read
    return when.timestamp()


def image_arg(text: str) -> Path | int:
    """A library id ("12") or a picture path."""
    path = Path(text).expanduser()
    if text.isdigit() and not path.exists():
        return int(text)
    return path


def query_from_args(
    session: Session,
    args: argparse.Namespace,
    folder_id: Callable[[Session, str], int | Path],
    **fields: object,
) -> Query:
    """The Query the words and options describe; QueryError/PhotofindError if they cannot.

    `folder_id` turns a --folder value into a folder id, or the path of a subfolder of one
    (the commands own that lookup)."""
    from photofind.search import Query, QueryError
    from photofind.search.expression import parse_expression

    expression = parse_expression([t.strip() for t in args.text])
    scopes = [folder_id(session, f) for f in args.folder]  # a library folder, or a path in one
    date_to = None
    if args.before:
        date_to = parse_day(args.before, "--before") - 1e-3  # "before" excludes that day
    values: dict[str, object] = {
        "text": expression.text,
        "negative": expression.negative + tuple(args.negative),
        "terms": expression.terms,
        "image": image_arg(args.image) if args.image else None,
        "image_weight": args.image_weight,
        "like": tuple(image_arg(m) for m in args.like),
        "unlike": tuple(image_arg(m) for m in args.unlike),
        "tag": args.tag,
        "folders": tuple(f for f in scopes if isinstance(f, int)),
        "within": tuple(str(f) for f in scopes if not isinstance(f, int)),
        "date_from": parse_day(args.after, "--after") if args.after else None,
        "date_to": date_to,
        "kinds": tuple(args.type),
        "min_score": args.min_score,
        **fields,
    }
    try:
        query = Query(**values)  # type: ignore[arg-type]
    except QueryError as exc:  # an option's value out of range (--image-weight 3): usage
        raise UsageError(str(exc)) from exc
    if not query.has_target and not query.tag:
        raise UsageError("nothing to search for: give a TERM, --image PATH, --like or --tag")
    return query


def _option_arity(parser: argparse.ArgumentParser) -> dict[str, bool]:
    """Every option string of `parser` (and its sub-commands) -> whether it takes a value."""
    arity: dict[str, bool] = {}
    stack = [parser]
    while stack:
        current = stack.pop()
        for action in current._actions:
            for option in action.option_strings:
                arity[option] = action.nargs != 0
            if isinstance(action, argparse._SubParsersAction):
                stack.extend(action.choices.values())
    return arity


def shield_negatives(argv: Sequence[str], parser: argparse.ArgumentParser) -> list[str]:
    """`argv` with the unquoted negative terms of a query command made positional."""
    argv = list(argv)
    arity = _option_arity(parser)
    start = _query_start(argv)
    if start is None:
        return argv
    out = argv[:start]
    skip_value = False
    for token in argv[start:]:
        if skip_value:
            out.append(token)
            skip_value = False
            continue
        if token == "--":
            out.append(token)
            continue
        option = token.split("=", 1)[0]
        if token.startswith("-") and option in arity:
            out.append(token)
            skip_value = arity[option] and "=" not in token
            continue
        short = token[:2]
        if short in arity and arity[short] and token[2:].replace(".", "", 1).isdigit():
            out.append(token)  # -k5
            continue
        if token.startswith("--"):
            out.append(token)  # a long option misspelt: argparse names it (`-word` leaves out)
            continue
        if token.startswith("-") and len(token) > 1 and not _is_number(token):
            out.append(" " + token)
            continue
        out.append(token)
    return out


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def _query_start(argv: list[str]) -> int | None:
    """Index of the first word after a query command (None when there is no such command)."""
    n = command_position(argv)
    if n is None:
        return None
    for command, action in QUERY_COMMANDS:
        if argv[n] != command:
            continue
        if action is None:
            return n + 1
        # `album add NAME ...`: the words after NAME
        rest = argv[n + 1 :]
        words = [i for i, t in enumerate(rest) if not t.startswith("-")]
        if len(words) >= 2 and rest[words[0]] == action:
            return n + 1 + words[1] + 1
        return None
    return None

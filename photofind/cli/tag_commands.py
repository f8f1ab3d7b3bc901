"""`photofind tags`: the zero-shot labels with their counts, the user's own labels."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from photofind.cli.output import print_json, say
from photofind.cli.progress import run_with_progress

if TYPE_CHECKING:
    from photofind.search.tags import LabelCount, Tags
    from photofind.session import Session

Parents = list[argparse.ArgumentParser]


def add_tags(tags: argparse.ArgumentParser, parents: Parents) -> None:
    tags.description = (
        "Without an action: the labels that photos carry, most common first. "
        "`photofind search --tag LABEL` lists a label's photos."
    )
    tags.add_argument("--all", action="store_true", help="also labels no photo carries")
    tags.add_argument("--json", action="store_true", help="print JSON")
    tags.set_defaults(run=cmd_tags)
    actions = tags.add_subparsers(dest="action", metavar="ACTION")
    p = actions.add_parser("add", parents=parents, help="your own labels, tagged at once")
    p.add_argument("labels", nargs="+", metavar="LABEL", help='a name, or "name=what it shows"')
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=cmd_tags_add)
    p = actions.add_parser("remove", parents=parents, help="forget your labels, hide built-in ones")
    p.add_argument("labels", nargs="+", metavar="LABEL")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=cmd_tags_remove)


def _tags(session: Session) -> Tags:
    from photofind.cli.commands import require_model

    require_model(session)
    assert session.tags is not None
    return session.tags


def _open(args: argparse.Namespace) -> Session:
    from photofind.cli.commands import open_cli_session

    return open_cli_session(args)


def _catch_up(tags: Tags) -> None:
    """Labels whose cut-offs are missing or old are read again first (with progress)."""
    if tags.stale():
        run_with_progress(
            lambda control, progress: tags.calibrate(progress=progress, control=control),
            sys.stderr,
        )


def _rows(session: Session, counts: list[LabelCount]) -> list[dict[str, Any]]:
    samples = session.library.catalog.get_files([c.sample for c in counts if c.sample])
    return [
        {
            "name": c.label.name,
            "prompt": c.label.prompt,
            "builtin": c.label.builtin,
            "count": c.count,
            "sample": str(samples[c.sample].path) if c.sample in samples else None,
        }
        for c in counts
    ]


def cmd_tags(args: argparse.Namespace) -> int:
    with _open(args) as session:
        tags = _tags(session)
        _catch_up(tags)
        counts = [c for c in tags.counts() if args.all or c.count or not c.label.builtin]
        rows = _rows(session, counts)
    if args.json:
        print_json({"labels": rows})
        return 0
    if not rows:
        say(sys.stderr, "no labels yet: index some photos (`photofind index`)")
    for row in rows:
        own = "" if row["builtin"] else "  (yours)"
        say(sys.stdout, f"{row['count']:6,d}  {row['name']}{own}")
    return 0


def cmd_tags_add(args: argparse.Namespace) -> int:
    with _open(args) as session:
        tags = _tags(session)
        added = run_with_progress(
            lambda control, progress: tags.add(args.labels, progress=progress, control=control),
            sys.stderr,
        )
        names = {lab.name for lab in added}
        rows = _rows(session, [c for c in tags.counts() if c.label.name in names])
    if args.json:
        print_json({"added": rows})
    else:
        for row in rows:
            say(sys.stdout, f"added {row['name']!r}: {row['count']:,} photos")
    return 0


def cmd_tags_remove(args: argparse.Namespace) -> int:
    with _open(args) as session:
        removed = _tags(session).remove(args.labels)
    names = [lab.name for lab in removed]
    if args.json:
        print_json({"removed": names})
    else:
        for lab in removed:
            say(sys.stdout, f"{'hid' if lab.builtin else 'removed'} {lab.name!r}")
    return 0

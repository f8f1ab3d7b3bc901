"""`photofind album`: smart albums, saved searches that grow as new photos are indexed."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from photofind.cli.output import hit_json, human_hit, print_json, query_json, say
from photofind.cli.query_args import add_query_arguments, query_from_args
from photofind.wording import counted

if TYPE_CHECKING:
    from photofind.search.albums import Album, Albums
    from photofind.session import Session

Parents = list[argparse.ArgumentParser]


def add_album(album: argparse.ArgumentParser, parents: Parents) -> None:
    actions = album.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = actions.add_parser(
        "add",
        parents=parents,
        help="save a search as an album (the same words and options as `search`)",
        description="Save a search as a smart album: photofind album add beach beach -people "
        "--after 2023-01-01. With --like/--unlike it is taught by examples. Without "
        "--min-score the album stops where the library's scores for the query fall off.",
    )
    p.add_argument("name", metavar="NAME")
    add_query_arguments(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=cmd_album_add)
    p = actions.add_parser("list", parents=parents, help="the albums and their photo counts")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=cmd_album_list)
    p = actions.add_parser("show", parents=parents, help="the photos of an album")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=cmd_album_show)
    p = actions.add_parser("remove", parents=parents, help="forget an album (photos stay)")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=cmd_album_remove)
    p = actions.add_parser("export", parents=parents, help="an album as a folder of links")
    p.add_argument("name", metavar="NAME")
    p.add_argument("folder", metavar="DIR")
    p.add_argument("--copy", action="store_true", help="copy the photos instead of linking")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=cmd_album_export)


def _albums(session: Session) -> Albums:
    from photofind.cli.commands import require_model
    from photofind.search.albums import Albums

    require_model(session)
    return Albums(session.searcher)


def _open(args: argparse.Namespace) -> Session:
    from photofind.cli.commands import open_cli_session

    return open_cli_session(args)


def _album_json(album: Album, count: int | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": album.id,
        "name": album.name,
        "query": query_json(album.query),
        "cutoff": album.cutoff,
        "taught": album.taught,
    }
    if count is not None:
        data["count"] = count
    return data


def cmd_album_add(args: argparse.Namespace) -> int:
    from photofind.cli.commands import folder_scope

    with _open(args) as session:
        albums = _albums(session)
        album = albums.add(args.name, query_from_args(session, args, folder_scope))
        count = len(albums.photos(album))
    if args.json:
        print_json({"album": _album_json(album, count)})
    else:
        say(sys.stdout, f"added album {album.name!r}: {counted(count, 'photo')}")
        if album.cutoff is None and album.query.has_target:
            say(sys.stderr, "no indexed photo passes this search yet; the album fills as "
                "photos come (or give a cut-off with --min-score S)")  # fmt: skip
    return 0


def cmd_album_list(args: argparse.Namespace) -> int:
    with _open(args) as session:
        albums = _albums(session)
        rows = []
        for album in albums.albums():
            count, problem = albums.count(album)
            row = _album_json(album, count)
            row["count"], row["problem"] = count, problem
            rows.append(row)
    if args.json:
        print_json({"albums": rows})
    elif not rows:
        say(sys.stderr, "no albums yet: save a search with `photofind album add NAME WORDS...`")
    else:
        for row in rows:
            taught = "  (taught by examples)" if row["taught"] else ""
            shown = "     ?" if row["count"] is None else f"{row['count']:6,d}"
            problem = f"  (cannot run: {row['problem']})" if row["problem"] else ""
            say(sys.stdout, f"{shown}  {row['name']}{taught}{problem}")
    return 0


def cmd_album_show(args: argparse.Namespace) -> int:
    with _open(args) as session:
        albums = _albums(session)
        album = albums.get(args.name)
        hits = albums.photos(album)
    if args.json:
        print_json({"album": _album_json(album, len(hits)), "hits": [hit_json(h) for h in hits]})
        return 0
    if not hits:
        say(sys.stderr, "no photos in this album yet")
    for rank, hit in enumerate(hits, 1):
        say(sys.stdout, human_hit(rank, hit))
    return 0


def cmd_album_remove(args: argparse.Namespace) -> int:
    with _open(args) as session:
        album = _albums(session).remove(args.name)
    if args.json:
        print_json({"removed": album.name})
    else:
        say(sys.stdout, f"removed album {album.name!r} (the photos stay)")
    return 0


def cmd_album_export(args: argparse.Namespace) -> int:
    with _open(args) as session:
        mode = "copy" if args.copy else "link"
        albums = _albums(session)
        folder = Path(args.folder)
        export = albums.export_to(args.name, folder, mode)
        written = export.written
        held = None if written or export.away else albums.count(albums.get(args.name))[0]
    if args.json:
        print_json({"written": [str(p) for p in written], "away": [str(p) for p in export.away]})
        return 0
    done = f"{'copied' if args.copy else 'linked'} {counted(len(written), 'photo')}"
    if export.away:
        away = counted(len(export.away), "photo")
        say(sys.stdout, f"{done} into {folder}; {away} not copied: their drive is away "
                        "(export again once it is back)")  # fmt: skip
    elif written:
        say(sys.stdout, f"{done} into {folder}")
    elif held:  # a second export adds only what is new
        there = "is" if held == 1 else "are"
        say(sys.stdout, f"{done}: the {counted(held, 'photo')} of the album {there} there already")
    else:
        say(sys.stdout, f"{done}: the album has no photos yet")
    return 0

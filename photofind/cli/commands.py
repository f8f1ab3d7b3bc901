"""The library and search commands: folders, index, search, similar, duplicates, status."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from photofind.cli.failure import UsageError
from photofind.cli.output import (
    file_json,
    folder_state_text,
    hit_json,
    human_hit,
    print_json,
    query_json,
    say,
    status_lines,
)
from photofind.cli.progress import run_with_progress
from photofind.cli.query_args import (
    add_cut_arguments,
    add_query_arguments,
    cut_from_args,
    image_arg,
    query_from_args,
)
from photofind.errors import LibraryError, ModelError, ModelFolderError, PhotofindError
from photofind.wording import counted

if TYPE_CHECKING:
    from photofind.search import SearchResult
    from photofind.session import Session

Parents = list[argparse.ArgumentParser]


# The argument definitions below (one add_X per command, named in `command_table.py`)
# import nothing heavy: `build_parser` runs them on every start.


def add_index(p: argparse.ArgumentParser, parents: Parents) -> None:
    p.add_argument("--watch", action="store_true", help="keep running and index changes")
    p.add_argument(
        "--fast", action="store_true",
        help="use the model's int8 graphs if it has them: faster, vectors slightly less exact",
    )  # fmt: skip
    p.add_argument(
        "--json",
        action="store_true",
        help="print the outcome as JSON on stdout (with --watch: one JSON line per pass) and "
        "progress as JSON lines on stderr",
    )
    p.set_defaults(run=cmd_index)


def add_similar(p: argparse.ArgumentParser, parents: Parents) -> None:
    p.add_argument("image", metavar="PATH", help="a photo (in the library or not) or its id")
    add_cut_arguments(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=cmd_similar)


def add_duplicates(p: argparse.ArgumentParser, parents: Parents) -> None:
    p.add_argument(
        "--threshold",
        type=float,
        default=0.95,
        metavar="T",
        help="similarity from 0 to 1 above which photos count as duplicates (0.95)",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=cmd_duplicates)


def add_status(p: argparse.ArgumentParser, parents: Parents) -> None:
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=cmd_status)


def add_folders(folders: argparse.ArgumentParser, parents: Parents) -> None:
    actions = folders.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = actions.add_parser("add", parents=parents, help="add folders to the library")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument(
        "--exclude", action="append", default=[], metavar="GLOB", help="skip matching paths"
    )
    p.add_argument("--json", action="store_true", help="print the folders added as JSON")
    p.set_defaults(run=cmd_folders_add)
    p = actions.add_parser("remove", parents=parents, help="forget a folder (files stay on disk)")
    p.add_argument("folder", metavar="PATH|ID")
    p.add_argument("--json", action="store_true", help="print the folder removed as JSON")
    p.set_defaults(run=cmd_folders_remove)
    p = actions.add_parser("list", parents=parents, help="list the folders and their state")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=cmd_folders_list)


def add_search(p: argparse.ArgumentParser, parents: Parents) -> None:
    p.description = (
        "Find photos by text and/or images: "
        'photofind search beach -people; photofind search "2:golden retriever" + ./pool.jpg '
        "- fruit; marks move the search: --like ID --unlike ID."
    )
    add_query_arguments(p)
    add_cut_arguments(p)
    p.add_argument(
        "--sort", choices=("relevance", "date"), default="relevance", help="order of the results"
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=cmd_search)


# -- helpers ---------------------------------------------------------------------------------


def _session(args: argparse.Namespace, *, load_model: bool = True, preload: tuple = ()) -> Session:
    from photofind.session import open_session

    library = Path(args.library).expanduser() if args.library else None
    fast = True if getattr(args, "fast", False) else None  # else the library's setting
    try:
        return open_session(library, args.model, load_model=load_model, fast=fast,
                            preload=preload)  # fmt: skip
    except ModelFolderError as exc:  # a damaged file: say how to get a whole one back
        raise ModelFolderError(f"{exc}; {REPAIR_MODEL}") from exc


REPAIR_MODEL = ("to repair it, install it again (`photofind model install NAME`) or import "
                "its folder again (`photofind model import DIR`)")  # fmt: skip


def _require_model(session: Session) -> None:
    if session.model is None:
        from photofind.search import NO_MODEL

        raise ModelError(NO_MODEL)


# For the other command modules (tags, albums): the same session and model rules.
open_cli_session = _session
require_model = _require_model


def _folder_id(session: Session, text: str) -> int:
    """A folder given by path (or a path inside it) or by id."""
    catalog = session.library.catalog
    path = Path(text).expanduser()
    if text.isdigit() and not path.exists():
        folder = catalog.get_folder(int(text))
    else:
        folder = catalog.folder_for_path(path.absolute())
    if folder is None:
        raise LibraryError(f"{text} is not a folder of the library (see `photofind folders list`)")
    return folder.id


def folder_scope(session: Session, text: str) -> int | Path:
    """What `--folder` keeps to: a library folder (its id), or a folder inside one (its
    path: the photos under it, not the whole library folder around it)."""
    found = _folder_id(session, text)
    path = Path(text).expanduser().absolute()
    folder = session.library.catalog.get_folder(found)
    if folder is None or (text.isdigit() and not path.exists()) or path == folder.path:
        return found
    return path


def _library_folder_id(session: Session, text: str) -> int:
    """A folder of the library itself, by path or id; a path inside one is refused: removing
    the folder around it would forget every photo of that folder."""
    found = _folder_id(session, text)
    path = Path(text).expanduser().absolute()
    by_id = text.isdigit() and not path.exists()
    folder = session.library.catalog.get_folder(found)
    if folder is not None and not by_id and path != folder.path:  # on a drive away too
        raise LibraryError(
            f"{path} is inside the library folder {folder.path}, not one of its own: remove "
            f"that, or leave it out with `photofind folders add {folder.path} --exclude GLOB`"
        )
    return found


# -- folders ---------------------------------------------------------------------------------


def cmd_folders_add(args: argparse.Namespace) -> int:
    added = []
    with _session(args, load_model=False) as session:
        for text in args.paths:
            folder = session.library.add_folder(Path(text).expanduser(), args.exclude)
            added.append({"id": folder.id, "path": str(folder.path)})
            if not args.json:
                say(sys.stdout, f"added {folder.path}")
    if args.json:
        print_json({"added": added})
    else:
        say(sys.stderr, "run `photofind index` to index the photos in it")
    return 0


def cmd_folders_remove(args: argparse.Namespace) -> int:
    with _session(args, load_model=False) as session:
        folder_id = _library_folder_id(session, args.folder)
        folder = session.library.catalog.get_folder(folder_id)
        session.library.remove_folder(folder_id)
    path = str(folder.path) if folder else None
    if args.json:
        print_json({"removed": {"id": folder_id, "path": path}})
    else:
        say(sys.stdout, f"removed {path or folder_id} (files stay on disk)")
    return 0


def cmd_folders_list(args: argparse.Namespace) -> int:
    with _session(args, load_model=False) as session:
        rows = _folder_rows(session)
    if args.json:
        print_json({"folders": rows})
    elif not rows:
        say(sys.stderr, "no folders yet: add one with `photofind folders add PATH`")
    else:
        for row in rows:
            counts = row["counts"]
            unopened = f", {row['unreadable']} not opened" if row["unreadable"] else ""
            say(
                sys.stdout,
                f"[{row['id']}] {row['path']}  {folder_state_text(row)}  "
                f"{counts['ok']} indexed, {counts['pending']} waiting, {counts['error']} failed"
                f"{unopened}",
            )
    return 0


def _folder_rows(session: Session) -> list[dict[str, Any]]:
    """The folders with their counts for the active model (what it has not indexed waits)."""
    name = session.model_name()
    return [
        {
            "id": row.folder.id,
            "path": str(row.folder.path),
            "online": row.folder.online,
            "state": row.state,
            "offline_reason": row.folder.offline_reason,
            "last_scan": row.folder.last_scan,
            "counts": {"ok": row.ok, "pending": row.pending, "error": row.error},
            "unreadable": row.unreadable,  # what its latest scan could not open
        }
        for row in session.library.folders(name)
    ]


def _unreadable_rows(session: Session) -> list[dict[str, Any]]:
    """What the latest scans could not open, by folder (the first of each, by path)."""
    return [
        {"folder_id": row.folder.id, "path": str(problem.path), "error": problem.reason}
        for row in session.library.folders()
        for problem in row.problems
    ]


# -- index -----------------------------------------------------------------------------------


def cmd_index(args: argparse.Namespace) -> int:
    with _session(args) as session:
        _require_model(session)
        folders = session.library.catalog.folders()
        if not folders:
            raise LibraryError("no folders to index: add one with `photofind folders add PATH`")
        model = session.library.model
        if model is not None and any(f.online and f.last_scan is None for f in folders):
            model.preload("image")  # new photos, surely: opens on the idle core while we scan
        start = time.monotonic()
        # Watching from before the first pass, so what arrives during it is seen: the
        # watcher's pass waits for this one on the index lock (closing the session stops it).
        watcher = _start_watching(session, json_lines=args.json) if args.watch else None
        report = run_with_progress(
            lambda control, progress: session.library.index(
                control=control, progress=_saying_waits(progress, args.json)
            ),
            sys.stderr,
            "cancelled; the photos indexed so far are saved",
            json_lines=args.json,
        )
        elapsed = getattr(report, "elapsed", None) or time.monotonic() - start
        indexed, failed = getattr(report, "indexed", 0), getattr(report, "failed", 0)
        not_read = _not_read(report)
        if args.json:
            outcome = {"indexed": indexed, "failed": failed, "elapsed": round(elapsed, 3),
                       "offline": _offline_folders(session), "unreadable": not_read}  # fmt: skip
            _print_document(outcome, lines=args.watch)
        else:
            _say_offline(session)
            _say_not_read(not_read)
            say(
                sys.stdout,
                f"indexed {indexed:,} photos"
                + (f", {failed:,} could not be read (see `photofind status`)" if failed else "")
                + f" in {elapsed:.1f} s",
            )
        if watcher is not None:
            _keep_watching(watcher)
    from photofind.cli import quickexit

    quickexit.request()  # the catalog is closed and the index saved: no teardown needed
    return 0


def _print_document(data: dict[str, Any], *, lines: bool) -> None:
    """One JSON document, or (for a stream of them, as `--watch` prints) one compact line."""
    if lines:
        say(sys.stdout, json.dumps(data, ensure_ascii=True))
        sys.stdout.flush()
    else:
        print_json(data)


def _not_read(report: Any) -> list[dict[str, str]]:
    """What the scan could not open (a subfolder it may not list, a file it may not read):
    the library keeps what it knew of them, and the person should know why they stay."""
    scan = getattr(report, "scan", None)
    return [{"path": str(p), "error": why} for p, why in getattr(scan, "errors", [])]


NOT_READ_SHOWN = 5  # the rest are in the log


def _say_not_read(not_read: list[dict[str, str]]) -> None:
    from photofind.library.scanner import KEPT

    for item in not_read[:NOT_READ_SHOWN]:
        why = item["error"]  # a drive that is away says itself that its photos are kept
        kept = "" if why.endswith(KEPT) else "; what the library knew of it is kept"
        say(sys.stderr, f"cannot open {item['path']}: {why}{kept}")
    if len(not_read) > NOT_READ_SHOWN:
        say(sys.stderr, f"... and {len(not_read) - NOT_READ_SHOWN:,} more (see the log)")


def _offline_folders(session: Session) -> list[dict[str, Any]]:
    return [
        {"path": str(row.folder.path), "reason": row.folder.offline_reason, "photos": row.total}
        for row in session.library.folders()
        if row.state == "offline"
    ]


# Said once when the labels phase after an index pass runs this long (a new model's label
# texts being computed): the photos are searchable already, and Ctrl+C costs only the tags.
LABELS_NOTICE_AFTER = 2.0
LABELS_NOTICE = (
    "the photos are indexed and searchable now; tagging them with labels "
    "(Ctrl+C leaves that for the next run)"
)


def _saying_waits(progress: Any, json_lines: bool = False) -> Any:
    """A progress callback that prints "waiting for another photofind" as a line of its own
    (with JSON lines, the wait is a progress line like any other), and LABELS_NOTICE once
    when the labels phase takes long."""
    labels_since: float | None = None

    def report(p: Any) -> None:
        nonlocal labels_since
        if p.phase == "wait" and not json_lines:
            say(sys.stderr, f"{p.current} (Ctrl+C to stop waiting)")
            return
        if p.phase == "labels" and not json_lines and labels_since != -1.0:
            labels_since = labels_since or time.monotonic()
            if time.monotonic() - labels_since >= LABELS_NOTICE_AFTER and p.done < p.total:
                labels_since = -1.0  # said; on a terminal, below the progress line drawn
                say(sys.stderr, ("\n" if sys.stderr.isatty() else "") + LABELS_NOTICE)
        progress(p)

    return report


def _say_offline(session: Session) -> None:
    for row in session.library.folders():
        if row.state == "offline":
            say(
                sys.stderr,
                f"offline: {row.folder.path}: {row.folder.offline_reason or 'not reachable'}; "
                f"its {row.total:,} photos are kept until it is back",
            )


def _start_watching(session: Session, *, json_lines: bool = False) -> Any:
    def indexed(report: Any) -> None:
        stamp = time.strftime("%H:%M:%S")
        scan = getattr(report, "scan", None)
        if json_lines:
            _print_document(
                {
                    "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    "indexed": getattr(report, "indexed", 0),
                    "offline": [str(p) for p in getattr(scan, "offline", [])],
                    "back_online": [str(p) for p in getattr(scan, "back_online", [])],
                },
                lines=True,
            )
            return
        for path in getattr(scan, "offline", []):
            say(sys.stderr, f"{stamp} offline: {path} (its photos are kept until it is back)")
        for path in getattr(scan, "back_online", []):
            say(sys.stderr, f"{stamp} back online: {path}")
        say(sys.stdout, f"{stamp} indexed {getattr(report, 'indexed', 0):,} changed photos")

    return session.library.watch(on_indexed=indexed)


def _keep_watching(watcher: Any) -> None:
    """Until Ctrl+C; then stop the watcher (a pass it runs is cancelled, its batches kept)."""
    say(sys.stderr, "watching the folders for changes; press Ctrl+C to stop")
    try:
        while True:
            time.sleep(1.0)
    except KeyboardInterrupt:
        pass
    finally:
        stop = getattr(watcher, "stop", None)
        if stop is not None:
            stop()


# -- search ----------------------------------------------------------------------------------


def cmd_search(args: argparse.Namespace) -> int:
    with _session(args) as session:
        _require_model(session)
        query = query_from_args(
            session, args, folder_scope, k=args.k, sort=args.sort, cut=cut_from_args(args)
        )
        result = session.searcher.find(query)
    _print_result(args, result, query_json(query))
    return 0


def cmd_similar(args: argparse.Namespace) -> int:
    from photofind.search import Query

    with _session(args) as session:
        _require_model(session)
        query = Query(image=image_arg(args.image), k=args.k, cut=cut_from_args(args))
        result = session.searcher.find(query)
    _print_result(args, result, {"image": args.image})
    return 0


def _print_result(args: argparse.Namespace, result: SearchResult, query: dict[str, Any]) -> None:
    """The matches on stdout (one line each, or one JSON document); how many on stderr."""
    if args.json:
        print_json(
            {
                "query": query,
                "matches": result.matches,
                "searched": result.searched,
                "hits": [hit_json(h) for h in result.hits],
                "weaker": [hit_json(h) for h in result.weaker],
            }
        )
        return
    for rank, hit in enumerate(result.hits, 1):
        say(sys.stdout, human_hit(rank, hit))
    # `weaker` holds at most k photos; every photo searched and not a match is one of them.
    below = max(result.searched - result.matches, len(result.weaker))
    weaker = f"; {counted(below, 'weaker one')} with --more or --all" if result.weaker else ""
    if not result.hits:
        say(sys.stderr, f"no matching photos{weaker}")
    elif result.truncated:
        say(sys.stderr, f"{result.matches:,} matching photos, the best {len(result.hits):,} "
            f"shown (-k {result.matches} shows them all)")  # fmt: skip
    elif args.cut is not None:
        say(sys.stderr, f"{counted(result.matches, 'matching photo')}{weaker}")


def cmd_duplicates(args: argparse.Namespace) -> int:
    if not 0.0 < args.threshold <= 1.0:
        raise UsageError(f"--threshold must be between 0 and 1, not {args.threshold}")
    with _session(args) as session:
        _require_model(session)
        groups = run_with_progress(
            lambda control, progress: session.searcher.duplicates(
                args.threshold, progress=progress, control=control
            ),
            sys.stderr,
        )
    if args.json:
        print_json({"groups": [[file_json(f) for f in group] for group in groups]})
        return 0
    if not groups:
        say(sys.stderr, "no duplicates found")
    for n, group in enumerate(groups, 1):
        say(sys.stdout, f"group {n} ({len(group)} photos)")
        for f in group:
            size = f"  {f.width}x{f.height}" if f.width and f.height else ""
            say(sys.stdout, f"  {f.path}{size}")
    return 0


# -- status ----------------------------------------------------------------------------------


def cmd_status(args: argparse.Namespace) -> int:
    with _session(args, load_model=False) as session:
        catalog = session.library.catalog
        choice = session.model_choice
        model: dict[str, Any] = {"name": None, "folder": None, "source": None, "problem": None}
        if choice.folder is not None:
            model.update(folder=str(choice.folder), source=choice.source)
            try:
                from photofind.clip import read_manifest
                from photofind.clip.stamp import check_model_folder

                model["name"] = read_manifest(choice.folder).name
                check_model_folder(choice.folder)  # a search's check: it names a damaged file
            except PhotofindError as exc:
                model["problem"] = str(exc)
        status = {
            "library": str(session.paths.home),
            "model": model,
            "counts": catalog.counts(session.model_name()),
            "skipped": catalog.skipped_counts(),  # {suffix: files} the scans left out
            "folders": _folder_rows(session),
            "unreadable": _unreadable_rows(session),
            "errors": [
                {"id": f.id, "path": str(f.path), "error": f.error} for f in catalog.errors()
            ],
        }
    if args.json:
        print_json(status)
    else:
        for line in status_lines(status):
            say(sys.stdout, line)
    return 0

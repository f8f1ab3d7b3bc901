"""`photofind model ...`: thin calls into photofind.modelstore.ModelStore."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from photofind.cli.build_command import add_build_command
from photofind.cli.output import print_json, say
from photofind.wording import counted

if TYPE_CHECKING:
    from photofind.library.home import LibraryPaths
    from photofind.modelstore import ModelStore

Parents = list[argparse.ArgumentParser]


def add_model(model: argparse.ArgumentParser, parents: Parents) -> None:
    actions = model.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = actions.add_parser("list", parents=parents, help="installed and downloadable models")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=cmd_list)
    p = actions.add_parser("install", parents=parents, help="download and install a model")
    p.add_argument("name", metavar="NAME")
    p.add_argument(
        "--json",
        action="store_true",
        help="print the outcome as JSON on stdout and progress as JSON lines on stderr",
    )
    p.set_defaults(run=cmd_install)
    p = actions.add_parser("import", parents=parents, help="install a model folder from disk")
    p.add_argument("folder", metavar="DIR")
    _json_option(p)
    p.set_defaults(run=cmd_import)
    p = actions.add_parser("remove", parents=parents, help="delete an installed model")
    p.add_argument("name", metavar="NAME")
    _json_option(p)
    p.set_defaults(run=cmd_remove)
    p = actions.add_parser("use", parents=parents, help="make an installed model the active one")
    p.add_argument("name", metavar="NAME")
    _json_option(p)
    p.set_defaults(run=cmd_use)
    p = actions.add_parser("verify", parents=parents, help="check a model's files (sha256)")
    p.add_argument("name", nargs="?", metavar="NAME", help="default: the active model")
    _json_option(p)
    p.set_defaults(run=cmd_verify)
    add_build_command(actions, parents)  # `model build`: photofind/cli/build_command.py


def _json_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print the outcome as JSON")


def _done(args: argparse.Namespace, data: dict[str, Any], text: str) -> int:
    """The outcome of a model command: one JSON document with --json, else one line."""
    if args.json:
        print_json(data)
    else:
        say(sys.stdout, text)
    return 0


def _store(args: argparse.Namespace) -> ModelStore:
    from photofind.session import model_store

    return model_store(_paths(args))


def _paths(args: argparse.Namespace) -> LibraryPaths:
    from photofind.library.home import LibraryPaths

    return LibraryPaths.resolve(Path(args.library).expanduser() if args.library else None)


def _name(item: Any) -> str:
    return str(getattr(item, "name", item))


def cmd_list(args: argparse.Namespace) -> int:
    from photofind.modelstore.registry import entries, recommended, summary

    store = _store(args)
    active = store.active_name()
    installed = [_name(m) for m in store.installed()]
    available = entries()
    if args.json:
        print_json({"active": active, "installed": installed, "catalog": available})
        return 0
    say(sys.stdout, "installed:" if installed else "installed: none")
    for name in installed:
        say(sys.stdout, f"  {'*' if name == active else ' '} {name}")
    say(sys.stdout, "in the catalog (`photofind model install NAME`; + marks the recommended one):")
    best = recommended()
    for entry in available:
        mark = "+" if entry["name"] == best else " "
        say(sys.stdout, f"  {mark} {entry['name']}  {summary(entry)}")
    return 0


def cmd_install(args: argparse.Namespace) -> int:
    from photofind.cli.progress import run_with_progress

    store = _store(args)
    if args.name in {m.name for m in store.installed()}:
        return _done(args, {"installed": args.name, "already": True},
                     f"{args.name} is already installed (`photofind model verify {args.name}` "
                     "checks its files; `model remove` it first to download it again)")  # fmt: skip
    run_with_progress(
        lambda control, progress: store.install(args.name, progress=progress, control=control),
        sys.stderr,
        json_lines=args.json,
    )
    return _done(args, {"installed": args.name, "already": False}, f"installed {args.name}")


def cmd_import(args: argparse.Namespace) -> int:
    store = _store(args)
    result = store.import_folder(Path(args.folder).expanduser())
    name = _name(result) if result is not None else args.folder
    return _done(args, {"imported": name}, f"imported {name}")


def cmd_remove(args: argparse.Namespace) -> int:
    from photofind.search.modelcaches import remove_model

    caches = remove_model(_store(args), args.name, _paths(args).cache_dir)
    return _done(args, {"removed": args.name, "cache_files_removed": len(caches)},
                 f"removed {args.name} and its {counted(len(caches), 'cache file')}")  # fmt: skip


def cmd_use(args: argparse.Namespace) -> int:
    _store(args).use(args.name)
    return _done(args, {"active": args.name}, f"now using {args.name}")


def cmd_verify(args: argparse.Namespace) -> int:
    from photofind.errors import ModelError

    store = _store(args)
    name = args.name or store.active_name()
    if not name:
        raise ModelError("no active model to verify: name one")
    store.verify(name)
    return _done(args, {"verified": name, "intact": True}, f"{name}: all files intact")

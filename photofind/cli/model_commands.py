"""`photofind model ...`: thin calls into photofind.modelstore.ModelStore."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from photofind.cli.output import print_json, say

if TYPE_CHECKING:
    from photofind.modelstore import ModelStore

Parents = list[argparse.ArgumentParser]


def add_commands(sub: argparse._SubParsersAction, parents: Parents) -> None:
    model = sub.add_parser("model", parents=parents, help="install, choose and check models")
    actions = model.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = actions.add_parser("list", parents=parents, help="installed and downloadable models")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=cmd_list)
    p = actions.add_parser("install", parents=parents, help="download and install a model")
    p.add_argument("name", metavar="NAME")
    p.set_defaults(run=cmd_install)
    p = actions.add_parser("import", parents=parents, help="install a model folder from disk")
    p.add_argument("folder", metavar="DIR")
    p.set_defaults(run=cmd_import)
    p = actions.add_parser("remove", parents=parents, help="delete an installed model")
    p.add_argument("name", metavar="NAME")
    p.set_defaults(run=cmd_remove)
    p = actions.add_parser("use", parents=parents, help="make an installed model the active one")
    p.add_argument("name", metavar="NAME")
    p.set_defaults(run=cmd_use)
    p = actions.add_parser("verify", parents=parents, help="check a model's files (sha256)")
    p.add_argument("name", nargs="?", metavar="NAME", help="default: the active model")
    p.set_defaults(run=cmd_verify)


def _store(args: argparse.Namespace) -> ModelStore:
    from photofind.library.home import LibraryPaths
    from photofind.session import model_store

    paths = LibraryPaths.resolve(Path(args.library).expanduser() if args.library else None)
    return model_store(paths)


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
        say(sys.stdout, f"{args.name} is already installed (`photofind model verify {args.name}` "
            "checks its files; `model remove` it first to download it again)")  # fmt: skip
        return 0
    run_with_progress(
        lambda control, progress: store.install(args.name, progress=progress, control=control),
        sys.stderr,
    )
    say(sys.stdout, f"installed {args.name}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    store = _store(args)
    result = store.import_folder(Path(args.folder).expanduser())
    say(sys.stdout, f"imported {_name(result) if result is not None else args.folder}")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    _store(args).remove(args.name)
    say(sys.stdout, f"removed {args.name}")
    return 0


def cmd_use(args: argparse.Namespace) -> int:
    _store(args).use(args.name)
    say(sys.stdout, f"now using {args.name}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from photofind.errors import ModelError

    store = _store(args)
    name = args.name or store.active_name()
    if not name:
        raise ModelError("no active model to verify: name one")
    store.verify(name)
    say(sys.stdout, f"{name}: all files intact")
    return 0

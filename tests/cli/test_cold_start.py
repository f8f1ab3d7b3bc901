"""A fresh `photofind` process loads only what its command uses (issue 14: a cold query).

Each test runs the installed console script as a person would, with PYTHONVERBOSE set so the
process names every module it imports on stderr ("import 'name' # loader", beside its own
messages; -X importtime would miss what importlib.import_module loads).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from photofind.testing.synthetic import make_photo

ROOT = Path(__file__).resolve().parents[2]

# What only other commands (or the window) use: a search must not pay for it.
NOT_FOR_A_SEARCH = (
    "photofind.cli.album_commands",
    "photofind.cli.build_command",
    "photofind.cli.completion",
    "photofind.cli.model_commands",
    "photofind.cli.tag_commands",
    "photofind.search.albums",
    "photofind.gui",
    "PySide6",
    # what only indexing, locking or a logged warning needs
    "PIL",
    "photofind.clip.images",
    "filelock",
    "logging.handlers",
    "numpy.ma",  # np.unique and np.median bring it; the search path avoids both
)
# What help and completion never need: the encoders, the library, numpy.
NOT_FOR_HELP = ("numpy", "onnxruntime", "PIL", "tokenizers", "photofind.library.library",
                "photofind.search", "photofind.session")  # fmt: skip


def _script() -> list[str]:
    script = Path(sys.executable).with_name("photofind")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "photofind"]


def run(*args: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    """Run `photofind ARGS`; (the finished process with its own stderr, modules imported)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONVERBOSE": "1"}
    done = subprocess.run([*_script(), *args], capture_output=True, text=True, env=env,
                          timeout=240)  # fmt: skip
    modules, own = set(), []
    for line in done.stderr.splitlines():
        if line.startswith("import '"):
            modules.add(line.split("'")[1])
        elif not line.startswith("#"):
            own.append(line)
    done.stderr = "\n".join(own)
    return done, modules


def _loaded(modules: set[str], names: tuple[str, ...]) -> set[str]:
    return {m for m in modules for n in names if m == n or m.startswith(n + ".")}


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> Path:
    photos = tmp_path_factory.mktemp("photos")
    make_photo(photos / "red-circle.jpg", "red", "circle", seed=1)
    make_photo(photos / "blue-square.png", "blue", "square", seed=2)
    make_photo(photos / "green-triangle.jpg", "green", "triangle", seed=3)
    (photos / "broken.jpg").write_bytes(b"\xff\xd8\xff not a picture")
    lib = tmp_path_factory.mktemp("library")
    for step in (["folders", "add", str(photos)], ["model", "import", str(tiny_model_dir)],
                 ["index"]):  # fmt: skip
        done, _ = run("--library", str(lib), *step)
        assert done.returncode == 0, done.stderr
    return lib


def test_a_search_imports_no_other_commands_code(library: Path) -> None:
    done, modules = run("--library", str(library), "search", "red circle", "--json")
    assert done.returncode == 0, done.stderr
    hits = json.loads(done.stdout)["hits"]
    assert Path(hits[0]["path"]).name == "red-circle.jpg"
    assert {"photofind.cli.commands", "onnxruntime"} <= modules  # the listing works
    assert _loaded(modules, NOT_FOR_A_SEARCH) == set()


def test_abbreviated_global_options_before_the_command_still_search(library: Path) -> None:
    """The command is found past `--lib DIR` (argparse's prefixes), negative words too."""
    done, _ = run("--lib", str(library), "search", "red", "-square", "--json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["query"]["negative"] == ["square"]
    assert Path(document["hits"][0]["path"]).name == "red-circle.jpg"


@pytest.mark.parametrize(
    "args", [["--help"], ["search", "--help"], ["album", "add", "--help"], ["completion", "bash"]]
)
def test_help_and_completion_load_no_encoder_and_no_library(args: list[str]) -> None:
    done, modules = run(*args)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
    assert _loaded(modules, NOT_FOR_HELP) == set()


def test_a_mistyped_command_says_which_commands_there_are() -> None:
    done, modules = run("serch", "red")
    assert done.returncode == 2 and done.stdout == ""
    last = done.stderr.strip().splitlines()[-1]
    assert "invalid choice: 'serch'" in last and "'search'" in last and "'album'" in last
    assert _loaded(modules, NOT_FOR_HELP) == set()


def test_a_later_search_reads_the_tokenizer_table_instead_of_tokenizer_json(library: Path) -> None:
    """The first process that parses tokenizer.json writes a table into the library's cache;
    a search after it tokenises from that table (0.1 s less of a held GIL: issue 14) and finds
    the same photos. Text the table does not serve still goes through tokenizer.json."""
    first, _ = run("--library", str(library), "search", "a blue square", "--json")
    assert first.returncode == 0, first.stderr
    again, modules = run("--library", str(library), "search", "a blue square", "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["hits"] == json.loads(first.stdout)["hits"]
    assert Path(json.loads(again.stdout)["hits"][0]["path"]).name == "blue-square.png"
    assert _loaded(modules, ("tokenizers",)) == set()
    assert list((library / "cache" / "tokenizer-tables").glob("*.sqlite"))
    other, modules = run("--library", str(library), "search", "grüner Kreis", "--json")
    assert other.returncode == 0, other.stderr
    assert "tokenizers" in modules

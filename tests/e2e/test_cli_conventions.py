"""The conventions of the `photofind` console script: exit codes, --json, completion, --debug.

Each through the real script in a subprocess, against a temporary library and the tiny model.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from library_journey import env, photofind

from photofind.testing.synthetic import make_photo


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path):
    photos = tmp_path_factory.mktemp("photos")
    make_photo(photos / "red-circle.jpg", "red", "circle", seed=1)
    make_photo(photos / "blue-square.png", "blue", "square", seed=2)
    (photos / "broken.jpg").write_bytes(b"\xff\xd8\xff not a picture")
    library = tmp_path_factory.mktemp("library")
    photofind(library, "folders", "add", str(photos))
    photofind(library, "model", "import", str(tiny_model_dir))
    photofind(library, "index")
    return library, photos


@pytest.mark.parametrize(
    "args",
    [
        ["search", "red", "-k", "0"],
        ["search", "red", "-k", "lots"],
        ["search"],
        ["search", "red", "--after", "someday"],
        ["search", "red", "--all", "--fewer"],
        ["search", "red", "--image-weight", "3"],
        ["duplicates", "--threshold", "7"],
        ["folders"],
        ["completion", "tcsh"],
        ["no-such-command"],
    ],
)
def test_usage_errors_exit_2(indexed, args: list[str]) -> None:
    library, _ = indexed
    done = photofind(library, *args, check=False)
    assert done.returncode == 2, done
    assert done.stderr.strip().splitlines()[-1].startswith("photofind")
    assert "Traceback" not in done.stderr and done.stdout == ""


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["similar", "/nowhere/q.jpg"], "/nowhere/q.jpg"),
        (["folders", "add", "/nowhere/photos"], "/nowhere/photos"),
        (["folders", "remove", "/nowhere/photos"], "/nowhere/photos"),
        (["model", "use", "nope"], "nope"),
        (["model", "import", "/nowhere/model"], "/nowhere/model"),
    ],
)
def test_runtime_errors_exit_1_with_one_line_naming_the_file_once(indexed, args, words) -> None:
    library, _ = indexed
    done = photofind(library, *args, check=False)
    assert done.returncode == 1, done
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("photofind: "), done.stderr
    assert lines[0].count(words) == 1, lines[0]


def test_status_names_an_unreadable_file_once(indexed) -> None:
    library, photos = indexed
    done = photofind(library, "status")
    line = next(x for x in done.stdout.splitlines() if "broken.jpg" in x)
    assert line.strip().startswith(str(photos / "broken.jpg"))
    assert line.count("broken.jpg") == 1, line


def test_debug_shows_the_cause_chain_of_a_one_line_error(indexed, tmp_path: Path) -> None:
    library, _ = indexed
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff not a picture")
    plain = photofind(library, "similar", str(broken), check=False)
    assert plain.returncode == 1 and len(plain.stderr.strip().splitlines()) == 1
    debug = photofind(library, "similar", str(broken), "--debug", check=False)
    assert debug.returncode == 1
    assert "Traceback" in debug.stderr
    assert "During handling of the above exception" in debug.stderr  # the hidden cause
    assert debug.stderr.strip().splitlines()[-1] == plain.stderr.strip()


def test_json_everywhere_is_one_parsable_document(indexed, tmp_path: Path) -> None:
    library, photos = indexed
    status = json.loads(photofind(library, "status", "--json").stdout)
    assert status["counts"]["ok"] == 2 and status["counts"]["error"] == 1
    folders = json.loads(photofind(library, "folders", "list", "--json").stdout)
    assert [f["path"] for f in folders["folders"]] == [str(photos)]
    models = json.loads(photofind(library, "model", "list", "--json").stdout)
    assert models["active"] == "tiny-clip"
    assert json.loads(photofind(library, "model", "verify", "--json").stdout) == {
        "verified": "tiny-clip",
        "intact": True,
    }
    assert json.loads(photofind(library, "model", "use", "tiny-clip", "--json").stdout) == {
        "active": "tiny-clip"
    }
    more = tmp_path / "more"
    make_photo(more / "green-triangle.jpg", "green", "triangle", seed=3)
    added = json.loads(photofind(library, "folders", "add", str(more), "--json").stdout)
    assert [f["path"] for f in added["added"]] == [str(more)]
    done = photofind(library, "index", "--json")
    outcome = json.loads(done.stdout)
    assert outcome["indexed"] == 1 and outcome["failed"] == 0 and outcome["offline"] == []
    progress = [json.loads(line) for line in done.stderr.splitlines()]
    assert {p["phase"] for p in progress} >= {"scan", "index"}
    assert all({"done", "total", "unit", "rate", "eta"} <= set(p) for p in progress)
    removed = json.loads(photofind(library, "folders", "remove", str(more), "--json").stdout)
    assert removed["removed"]["path"] == str(more)


def test_bash_completion_script_is_valid_and_lists_the_commands(indexed) -> None:
    library, _ = indexed
    script = photofind(library, "completion", "bash").stdout
    checked = subprocess.run(["bash", "-n"], input=script, text=True, capture_output=True)
    assert checked.returncode == 0, checked.stderr

    def complete(*words: str) -> list[str]:
        probe = (
            f"source /dev/stdin <<'EOF'\n{script}\nEOF\n"
            f"COMP_WORDS=(photofind {' '.join(repr(w) for w in words)}); "
            f"COMP_CWORD={len(words)}; _photofind; printf '%s\\n' \"${{COMPREPLY[@]}}\""
        )
        done = subprocess.run(["bash", "-c", probe], text=True, capture_output=True, env=env())
        assert done.returncode == 0, done.stderr
        return done.stdout.split()

    assert {"search", "index", "folders", "status", "model", "completion"} <= set(complete(""))
    assert complete("folders", "") == ["add", "remove", "list"]
    assert "--json" in complete("model", "verify", "--")
    assert complete("se") == ["search"]


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_scripts_parse(indexed, shell: str) -> None:
    library, _ = indexed
    script = photofind(library, "completion", shell).stdout
    assert "search" in script
    program = shutil.which(shell)
    if program is None:
        subprocess.run(["apt-get", "install", "-y", "-q", shell], capture_output=True, check=True)
        program = shutil.which(shell)
    assert program is not None, f"{shell} could not be installed"
    check = [program, "-n"] if shell == "zsh" else [program, "--no-execute"]
    done = subprocess.run(check, input=script, text=True, capture_output=True)
    assert done.returncode == 0, done.stderr

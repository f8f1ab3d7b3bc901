"""The `photofind` command in a subprocess against a temporary library and the tiny model."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from photofind.appinfo import VERSION
from photofind.testing.synthetic import make_photo

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, library: Path | None = None, model: Path | None = None, check: bool = True,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess:  # fmt: skip
    command = [sys.executable, "-m", "photofind"]
    if library is not None:
        command += ["--library", str(library)]
    if model is not None:
        command += ["--model", str(model)]
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    done = subprocess.run(
        [*command, *args], capture_output=True, text=True, env=full_env, timeout=240
    )
    if check and done.returncode != 0:
        raise AssertionError(f"{args} failed ({done.returncode}):\n{done.stderr}")
    return done


def assert_one_line_error(done: subprocess.CompletedProcess, *words: str, code: int = 1) -> None:
    assert done.returncode == code, done
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("photofind: ")
    assert "Traceback" not in done.stderr
    for word in words:
        assert word in lines[0]


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path):
    """A library with one folder of synthetic photos (and one broken file), indexed."""
    photos = tmp_path_factory.mktemp("photos")
    make_photo(photos / "red-circle.jpg", "red", "circle", seed=1)
    make_photo(photos / "blue-square.jpg", "blue", "square", seed=2)
    make_photo(photos / "green-triangle.png", "green", "triangle", fmt="png", seed=3)
    make_photo(photos / "blue-circle.jpg", "blue", "circle", seed=4)
    (photos / "broken.jpg").write_bytes(b"\xff\xd8\xff this is not a picture")
    library = tmp_path_factory.mktemp("library")
    run("folders", "add", str(photos), library=library)
    done = run("index", library=library, model=tiny_model_dir)
    assert "indexed 4 photos" in done.stdout
    assert "1 could not be read" in done.stdout
    return library, photos, tiny_model_dir


def test_version() -> None:
    done = run("--version")
    assert done.stdout.strip() == f"photofind {VERSION}"


def test_search_json_puts_the_described_photo_first(indexed) -> None:
    library, photos, model = indexed
    for text, expected in [
        ("a photo of a red circle", "red-circle.jpg"),
        ("a photo of a blue square", "blue-square.jpg"),
        ("a photo of a green triangle", "green-triangle.png"),
    ]:
        done = run("search", text, "-k", "3", "--all", "--json", library=library, model=model)
        result = json.loads(done.stdout)
        assert result["hits"][0]["path"] == str(photos / expected)
        assert len(result["hits"]) == 3
        scores = [h["score"] for h in result["hits"]]
        assert scores == sorted(scores, reverse=True)


def test_search_options_and_human_output(indexed) -> None:
    library, photos, model = indexed
    done = run(
        "search", "a photo of a circle -red", "--type", "jpg", "-k", "2", "--all",
        library=library, model=model,
    )  # fmt: skip
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].endswith(str(photos / "blue-circle.jpg"))
    folder = run(
        "search", "a photo of a red circle", "--folder", str(photos), "--after", "1990-01-01",
        "--before", "2999-12-31", "--sort", "date", "--all", "--json", library=library,
        model=model,
    )  # fmt: skip
    assert len(json.loads(folder.stdout)["hits"]) == 4
    none = run("search", "red", "--after", "2999-01-01", "--json", library=library, model=model)
    assert json.loads(none.stdout)["hits"] == []


def test_similar_finds_the_same_looking_photo(indexed, tmp_path: Path) -> None:
    library, photos, model = indexed
    query = make_photo(tmp_path / "query.jpg", "green", "triangle", size=(300, 300), seed=9)
    done = run("similar", str(query), "--json", library=library, model=model)
    assert json.loads(done.stdout)["hits"][0]["path"] == str(photos / "green-triangle.png")


def test_status_lists_the_bad_file(indexed) -> None:
    library, photos, model = indexed
    done = run("status", library=library, model=model)
    assert str(photos / "broken.jpg") in done.stdout
    assert "tiny-clip" in done.stdout
    status = json.loads(run("status", "--json", library=library, model=model).stdout)
    assert status["counts"]["ok"] == 4 and status["counts"]["error"] == 1
    assert [e["path"] for e in status["errors"]] == [str(photos / "broken.jpg")]
    assert status["folders"][0]["path"] == str(photos)
    listed = json.loads(run("folders", "list", "--json", library=library).stdout)
    assert listed["folders"][0]["counts"] == {"ok": 4, "pending": 0, "error": 1}


def test_duplicates_command(indexed) -> None:
    library, _, model = indexed
    done = run("duplicates", "--json", library=library, model=model)
    assert json.loads(done.stdout) == {"groups": []}


def test_adding_a_missing_folder_is_a_one_line_error(tmp_path: Path) -> None:
    done = run("folders", "add", str(tmp_path / "nope"), library=tmp_path / "lib", check=False)
    assert_one_line_error(done, str(tmp_path / "nope"))


def test_searching_without_a_model_says_how_to_get_one(tmp_path: Path) -> None:
    done = run("search", "a cat", library=tmp_path / "lib", check=False)
    assert_one_line_error(done, "no model installed", "photofind model install")
    done = run("index", library=tmp_path / "lib", check=False)
    assert_one_line_error(done, "no model installed")


def test_a_missing_model_folder_is_a_one_line_error(tmp_path: Path) -> None:
    done = run("search", "cat", library=tmp_path / "lib", model=tmp_path / "none", check=False)
    assert_one_line_error(done, "does not exist")


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    done = run("search", "-k", "many", library=tmp_path / "lib", check=False)
    assert done.returncode == 2
    done = run("search", "x", "-k", "0", library=tmp_path / "lib", check=False)
    assert done.returncode == 2  # a bad argument is refused before the model is looked for
    assert done.stderr.strip().splitlines()[-1].endswith("must be between 1 and 10000, not 0")


def test_bad_date_is_a_one_line_error(indexed) -> None:
    library, _, model = indexed
    done = run("search", "red", "--after", "yesterday", library=library, model=model, check=False)
    assert_one_line_error(done, "--after", "2023-05-01", code=2)


def test_ctrl_c_during_index_saves_and_exits_130(tmp_path: Path, tiny_model_dir: Path) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    colours, shapes = ("red", "green", "blue"), ("circle", "square", "triangle")
    for n in range(300):
        make_photo(photos / f"p{n:03d}.jpg", colours[n % 3], shapes[n // 3 % 3], size=(160, 120),
                   seed=n)  # fmt: skip
    library = tmp_path / "library"
    run("folders", "add", str(photos), library=library)
    command = [sys.executable, "-m", "photofind", "--library", str(library), "--model",
               str(tiny_model_dir), "index"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            env=env)  # fmt: skip
    assert proc.stderr is not None
    for line in proc.stderr:  # plain progress lines: stderr is not a terminal
        if line.startswith("index:"):
            break
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "cancelled" in err and "Traceback" not in err
    counts = json.loads(run("status", "--json", library=library).stdout)["counts"]
    assert counts["files"] == 300 and counts["ok"] < 300
    run("index", library=library, model=tiny_model_dir)
    counts = json.loads(run("status", "--json", library=library).stdout)["counts"]
    assert counts["ok"] == 300


def test_model_commands_import_an_immich_folder_and_search_with_it(
    tmp_path: Path, tiny_immich_dir: Path
) -> None:
    library = tmp_path / "lib"
    photos = tmp_path / "photos"
    photos.mkdir()
    make_photo(photos / "red-circle.jpg", "red", "circle", seed=1)
    make_photo(photos / "blue-square.jpg", "blue", "square", seed=2)
    cache = tmp_path / "immich" / "clip" / "tiny__immich"
    shutil.copytree(tiny_immich_dir, cache)

    done = run("model", "import", str(cache), library=library)
    assert "imported tiny__immich" in done.stdout
    listed = json.loads(run("model", "list", "--json", library=library).stdout)
    assert listed["active"] == "tiny__immich" and listed["installed"] == ["tiny__immich"]
    run("model", "verify", "tiny__immich", library=library)
    run("folders", "add", str(photos), library=library)
    assert "indexed 2 photos" in run("index", library=library).stdout
    done = run("search", "a photo of a red circle", "--json", library=library)
    assert json.loads(done.stdout)["hits"][0]["path"] == str(photos / "red-circle.jpg")

    (cache / "config.json").unlink()
    done = run("model", "import", str(cache), library=library, check=False)
    assert_one_line_error(done, "config.json is missing")

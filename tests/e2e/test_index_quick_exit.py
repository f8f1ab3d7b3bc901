"""`photofind index` ends its process without the interpreter's teardown (cli/quickexit.py):
what it printed and logged is all there, its exit code is the command's, the library it
leaves opens and searches, and threads the interpreter would wait for are waited for."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from photofind.testing.synthetic import make_photo

ROOT = Path(__file__).resolve().parents[2]
# Buffered output, as a person has it: PYTHONUNBUFFERED would hide an unflushed stdout.
ENV = {**{k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}, "PYTHONPATH": str(ROOT)}


def run(library: Path, model: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "photofind", "--library", str(library), "--model", str(model),
         *args], capture_output=True, text=True, env=ENV, timeout=240,
    )  # fmt: skip


def test_index_output_log_and_library_are_complete(tmp_path: Path, tiny_model_dir: Path) -> None:
    photos, library = tmp_path / "photos", tmp_path / "library"
    photos.mkdir()
    make_photo(photos / "red-circle.jpg", "red", "circle", seed=1)
    make_photo(photos / "blue-square.png", "blue", "square", fmt="png", seed=2)
    (photos / "broken.jpg").write_bytes(b"\xff\xd8\xff not a picture")
    assert run(library, tiny_model_dir, "folders", "add", str(photos)).returncode == 0
    done = run(library, tiny_model_dir, "index")
    assert done.returncode == 0, done.stderr
    # stdout is a pipe here (block-buffered): the last line made it out.
    assert done.stdout.strip().splitlines()[-1].startswith("indexed 2 photos, 1 could not")
    logged = (library / "logs" / "photofind.log").read_text()
    assert "broken.jpg" in logged  # the log file's buffer was flushed too
    # The library it left opens with its vector index as saved, and answers.
    search = run(library, tiny_model_dir, "search", "a photo of a red circle", "--json")
    assert search.returncode == 0, search.stderr
    assert json.loads(search.stdout)["hits"][0]["path"] == str(photos / "red-circle.jpg")
    assert "rebuil" not in (library / "logs" / "photofind.log").read_text()
    make_photo(photos / "green-triangle.jpg", "green", "triangle", seed=3)
    done = run(library, tiny_model_dir, "index", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["indexed"] == 1  # one whole JSON document
    # An error is not a quick exit: the one-line message and exit code 1, as before.
    empty = tmp_path / "empty-library"
    done = run(empty, tiny_model_dir, "index")
    assert done.returncode == 1 and done.stderr.startswith("photofind: no folders to index")


def test_the_threads_the_interpreter_waits_for_are_waited_for(tmp_path: Path) -> None:
    marker = tmp_path / "written-by-a-thread"
    script = f"""
import threading, time
from pathlib import Path
from photofind.cli import quickexit

def late():
    time.sleep(0.3)
    Path({str(marker)!r}).write_text("done")

threading.Thread(target=late).start()
print("printed before the exit", end="")
quickexit.request()
quickexit.finish(3)
raise SystemExit("finish returned")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=ENV, timeout=60)  # fmt: skip
    assert done.returncode == 3, done.stderr
    assert done.stdout == "printed before the exit"
    assert marker.read_text() == "done"


def test_a_new_folder_without_photos_indexes_nothing_and_exits(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    """A folder never scanned opens the image session at once (photos surely wait); when
    none do, the process still waits for that session and exits cleanly."""
    library, empty = tmp_path / "library", tmp_path / "no-photos"
    (empty / "notes").mkdir(parents=True)
    (empty / "notes" / "readme.txt").write_text("not a photo")
    assert run(library, tiny_model_dir, "folders", "add", str(empty)).returncode == 0
    for _ in range(3):  # the first run scans the folder; later runs open no session
        done = run(library, tiny_model_dir, "index")
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip().startswith("indexed 0 photos")
        assert "Traceback" not in done.stderr and "terminate" not in done.stderr

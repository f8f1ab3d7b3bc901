"""Two `photofind` processes on one library: one indexes, the other waits or searches."""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import time
from pathlib import Path

from library_journey import command, env, make_photos, photofind

from photofind.library.home import LibraryPaths
from photofind.library.indexlock import IndexLock


def start_index(library: Path, model: Path) -> subprocess.Popen:
    return subprocess.Popen(command(library, "index", model=model), env=env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def encodes(library: Path) -> int:
    """Vectors ever stored: `seq` is never reused, so a photo encoded twice counts twice."""
    with contextlib.closing(sqlite3.connect(library / "catalog.sqlite", timeout=30)) as conn:
        return conn.execute("SELECT coalesce(max(seq), 0) FROM embeddings").fetchone()[0]


def indexed(stdout: str) -> int:
    words = stdout.split()
    return int(words[words.index("indexed") + 1].replace(",", ""))


def test_two_index_runs_started_together_encode_every_photo_once(tmp_path, tiny_model_dir):
    library, photos = tmp_path / "lib", tmp_path / "photos"
    total = 0
    for round_ in range(4):
        make_photos(photos / f"round{round_}", 80, size=(640, 480))
        total += 80
        if round_ == 0:
            photofind(library, "folders", "add", str(photos))
        procs = [start_index(library, tiny_model_dir) for _ in range(2)]
        outputs = [p.communicate(timeout=240) for p in procs]
        for proc, (_, err) in zip(procs, outputs, strict=True):
            assert proc.returncode == 0, err
        runs = [indexed(out) for out, _ in outputs]
        assert sum(runs) == 80, f"round {round_}: {runs} photos encoded for 80 new ones"
        assert encodes(library) == total, f"round {round_}: photos were encoded twice"


def test_a_second_index_waits_while_another_process_indexes(tmp_path, tiny_model_dir):
    library, photos = tmp_path / "lib", tmp_path / "photos"
    make_photos(photos, 20)
    photofind(library, "folders", "add", str(photos))
    other = IndexLock(LibraryPaths.at(library).index_lock)  # this test process is "the other"
    with other.held():
        waiting = start_index(library, tiny_model_dir)
        time.sleep(3.0)
        assert waiting.poll() is None, waiting.communicate()
        assert encodes(library) == 0, "it must wait, not encode"
        searched = photofind(library, "search", "a photo of a red circle", model=tiny_model_dir)
        assert searched.returncode == 0, "searching needs no lock"
    out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    assert "another photofind is indexing this library; waiting" in err
    assert indexed(out) == 20 and encodes(library) == 20


HOLDER = """
import sys, time
from photofind.library.indexlock import IndexLock
with IndexLock(sys.argv[1]).held():
    print("held", flush=True)
    time.sleep(120)
"""


def test_a_lock_holder_killed_with_sigkill_leaves_no_stale_lock(tmp_path, tiny_model_dir):
    import signal
    import sys

    library, photos = tmp_path / "lib", tmp_path / "photos"
    make_photos(photos, 10)
    photofind(library, "folders", "add", str(photos))
    lock = str(LibraryPaths.at(library).index_lock)
    for stop_with in ("ctrl-c the waiter", "kill -9 the holder"):
        holder = subprocess.Popen([sys.executable, "-c", HOLDER, lock], env=env(),
                                  stdout=subprocess.PIPE, text=True)  # fmt: skip
        assert holder.stdout.readline().strip() == "held"
        waiting = start_index(library, tiny_model_dir)
        time.sleep(2.0)
        assert waiting.poll() is None and encodes(library) == 0
        if stop_with == "ctrl-c the waiter":
            waiting.send_signal(signal.SIGINT)
            _, err = waiting.communicate(timeout=60)
            assert waiting.returncode == 130 and "cancelled" in err, err
            holder.kill()
        else:
            holder.send_signal(signal.SIGKILL)  # the OS drops its lock with the process
            out, err = waiting.communicate(timeout=120)
            assert waiting.returncode == 0, err
            assert indexed(out) == 10 and encodes(library) == 10
        holder.wait(timeout=30)

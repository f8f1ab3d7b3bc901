"""The model store between processes: a killed `model import` leaves nothing the next run keeps,
and a live one is never cleaned away under another process's feet."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from photofind.modelstore import ModelStore

ROOT = Path(__file__).resolve().parents[2]


def photofind(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "photofind", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def finish(process: subprocess.Popen) -> str:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return out


def incoming_bytes(models: Path) -> int:
    total = 0
    for file in models.glob(".incoming-*/**/*"):
        with contextlib.suppress(FileNotFoundError):  # renamed into place meanwhile
            total += file.stat().st_size if file.is_file() else 0
    return total


def leftovers(models: Path) -> list[str]:
    return sorted(p.name for p in models.glob(".incoming-*")) + sorted(
        p.name for p in models.glob("*.tmp")
    )


def test_a_killed_import_leaves_nothing_the_next_run_keeps(tmp_path, tiny_immich_dir):
    source = tmp_path / "ViT-B-32__openai"
    shutil.copytree(tiny_immich_dir, source)
    library, models = tmp_path / "library", tmp_path / "library" / "models"
    killed = 0
    for _ in range(8):  # bounded: the kill has to land while the import is writing
        process = photofind("--library", str(library), "model", "import", str(source))
        deadline = time.monotonic() + 60
        while process.poll() is None and time.monotonic() < deadline:
            if incoming_bytes(models) > 1_000_000:  # model-sized, as a user saw
                break
            time.sleep(0.002)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait()
            if incoming_bytes(models) > 1_000_000:
                killed += 1
                break
        shutil.rmtree(library, ignore_errors=True)
    assert killed, "the kill never landed during the import"
    (models / "active.tmp").write_text("ViT-B-32__o")  # a dead process's half-written switch
    out = finish(photofind("--library", str(library), "model", "import", str(source)))
    assert "imported ViT-B-32__openai" in out
    assert leftovers(models) == []
    store = ModelStore(models)
    store.verify("ViT-B-32__openai")
    assert store.active_name() == "ViT-B-32__openai"


def test_a_live_install_in_another_process_is_waited_for_never_cleaned(
    tmp_path, tiny_immich_dir, tiny_model_dir
):
    models = tmp_path / "library" / "models"
    store = ModelStore(models)
    release, started = threading.Event(), threading.Event()
    seen: dict[str, object] = {}

    def slow_fill(work: Path) -> None:
        shutil.copytree(tiny_model_dir, work, dirs_exist_ok=True)
        seen["work"] = work
        started.set()
        release.wait(60)

    thread = threading.Thread(
        target=lambda: seen.setdefault("installed", store.install_from(slow_fill, "tiny-clip"))
    )
    thread.start()
    assert started.wait(30)
    source = tmp_path / "ViT-B-32__openai"
    shutil.copytree(tiny_immich_dir, source)
    other = photofind("--library", str(tmp_path / "library"), "model", "import", str(source))
    time.sleep(3.0)  # time enough for the other process to start, find the store busy and wait
    assert other.poll() is None, other.communicate()
    work = seen["work"]
    assert isinstance(work, Path) and (work / "visual.onnx").is_file()  # not swept while live
    release.set()
    thread.join(60)
    assert "imported ViT-B-32__openai" in finish(other)
    assert sorted(m.name for m in store.installed()) == ["ViT-B-32__openai", "tiny-clip"]
    assert leftovers(models) == []


def test_two_libraries_installing_one_model_at_once_fetch_each_file_once(
    tmp_path, tiny_immich_dir, monkeypatch
):
    """Two libraries share the user's hub cache: the second install waits for the file the
    first is fetching (huggingface_hub's lock for that blob) instead of fetching it again."""
    from replica_hub import Gate, Server, publish

    server = Server()
    try:
        repo = publish(server, "immich-app/ViT-B-32__openai", tiny_immich_dir, tmp_path / "hub")
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        sizes = {i["path"]: i["size"] for i in repo.listing if i["type"] == "file"}
        key = repo.key("visual/model.onnx")
        gate = server.gates[key] = Gate(at=1 << 18)
        install = ("model", "install", "ViT-B-32__openai")
        first = photofind("--library", str(tmp_path / "a"), *install)
        assert gate.reached.wait(120)
        second = photofind("--library", str(tmp_path / "b"), *install)
        deadline = time.monotonic() + 60
        while len([r for r in server.log if "/tree/" in r.path]) < 2:  # the second's listing
            assert time.monotonic() < deadline and second.poll() is None
            time.sleep(0.05)
        time.sleep(1.0)  # it goes on to wait for the image graph the first is fetching
        assert second.poll() is None, second.communicate()
        del server.gates[key]
        gate.opened.set()
        assert "installed ViT-B-32__openai" in finish(first)
        assert "installed ViT-B-32__openai" in finish(second)
        for path in ("config.json", "textual/model.onnx", "visual/model.onnx"):
            assert server.served[repo.key(path)] == sizes[path], path  # fetched once
    finally:
        server.close()


def test_a_kill_between_the_two_renames_of_a_reinstall_loses_no_model(tmp_path, tiny_model_dir):
    """Replacing an installed model renames it aside, then the new folder into place; a kill
    between the two leaves only `.incoming-old-NAME` (and the new work folder). The next
    command puts the old model back instead of sweeping it away with the leftovers."""
    library, models = tmp_path / "library", tmp_path / "library" / "models"
    finish(photofind("--library", str(library), "model", "import", str(tiny_model_dir)))
    photos = tmp_path / "photos"
    photos.mkdir()
    shutil.copy(tiny_model_dir / "reference" / "image0.jpg", photos / "a.jpg")
    finish(photofind("--library", str(library), "folders", "add", str(photos)))
    finish(photofind("--library", str(library), "index"))
    # The state such a kill leaves (the window between two renames is too short to hit).
    (models / "tiny-clip").rename(models / ".incoming-old-tiny-clip")
    work = models / ".incoming-tiny-clip-k1ll3d"
    shutil.copytree(models / ".incoming-old-tiny-clip", work)
    out = finish(photofind("--library", str(library), "search", "a photo", "--all"))
    assert "a.jpg" in out
    assert (models / "tiny-clip" / "manifest.json").is_file()
    assert "tiny-clip" in finish(photofind("--library", str(library), "model", "list"))
    finish(photofind("--library", str(library), "status"))
    assert leftovers(models) == []


def test_a_reading_command_removes_what_a_killed_import_left_unless_a_change_is_live(
    tmp_path, tiny_model_dir
):
    from filelock import FileLock

    from photofind.modelstore.store import LOCK

    library, models = tmp_path / "library", tmp_path / "library" / "models"
    finish(photofind("--library", str(library), "model", "import", str(tiny_model_dir)))
    left = models / ".incoming-tiny-clip-k1ll3d"
    shutil.copytree(tiny_model_dir, left)  # what a kill -9 during a copy leaves, gigabytes
    with FileLock(models / LOCK):  # another process is changing the store: hands off
        assert "tiny-clip" in finish(photofind("--library", str(library), "model", "list"))
        assert left.is_dir()
    assert "tiny-clip" in finish(photofind("--library", str(library), "model", "list"))
    assert leftovers(models) == []

"""A new user's first journey, through the `photofind` console script: install a catalog model
from the hub (here a loopback replica of it, found through HF_ENDPOINT), get killed halfway,
install again, then add a folder of real files, index, search and find similar photos; and what
the hub's own switches do at the command line (HF_HUB_OFFLINE, a mirror, a damaged file).

The replica (tests/replica_hub.py) publishes the tiny CLIP in Immich's repository layout under
a real catalog name, and does what the real hub does to an installer: a listing in several
pages, LFS files behind a redirect to a CDN on another host, a connection dropped in the middle
of a file. It counts the bytes it serves per file, so the second run can be shown to fetch
nothing the first one finished. The files go to the hub cache HF_HUB_CACHE names.
"""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PIL import Image
from replica_hub import Gate, Server, publish

from photofind.modelstore import immich
from photofind.modelstore.hubclient import CHUNK
from photofind.testing.synthetic import make_photo

ROOT = Path(__file__).resolve().parents[2]
NAME = "ViT-B-32__openai"  # a catalog entry installed from Immich's hub
REPO = "immich-app/ViT-B-32__openai"


@pytest.fixture
def hub(tmp_path, tiny_immich_dir):
    server = Server()
    repo = publish(server, REPO, tiny_immich_dir, tmp_path / "hub" / REPO)
    yield server, repo
    server.close()


def env(server: Server, **extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "HF_ENDPOINT": server.url, **extra}


def photofind(server: Server, library: Path, *args: str, **kwargs) -> subprocess.Popen:
    command = [sys.executable, "-m", "photofind", "--library", str(library), *args]
    return subprocess.Popen(command, env=env(server), text=True, **kwargs)


def run(
    server: Server, library: Path, *args: str, check: bool = True, **extra: str
) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "photofind", "--library", str(library), *args]
    done = subprocess.run(
        command, env=env(server, **extra), capture_output=True, text=True, timeout=240
    )
    assert (done.returncode == 0) == check, f"{args}: {done.stderr}"
    assert "Traceback" not in done.stderr
    return done


def blob_partial(repo, path: str) -> Path:
    """Where the hub cache keeps the partial download of `path` (huggingface_hub's blob name)."""
    item = next(i for i in repo.listing if i["path"] == path)
    etag = item["lfs"]["oid"] if "lfs" in item else item["oid"]
    cache = Path(os.environ["HF_HUB_CACHE"]) / f"models--{repo.name.replace('/', '--')}"
    return cache / "blobs" / f"{etag}.incomplete"


class Terminal:
    """A pseudo-terminal for the child's stderr (so it draws its bar), read in a thread."""

    def __init__(self) -> None:
        self.master, self.slave = pty.openpty()
        self.text = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            self.text += data.decode("utf-8", "replace")

    def close(self) -> None:
        os.close(self.slave)
        self._reader.join(5)
        os.close(self.master)


def photos(folder: Path) -> dict[str, Path]:
    """Real files of the kinds people have: a large JPEG with EXIF rotation, PNG, WebP, a
    broken file."""
    folder.mkdir()
    upright = make_photo(folder / "upright.png", "red", "circle", size=(3000, 4000), seed=1)
    rotated = folder / "red-circle.jpg"  # stored on its side, EXIF says turn it back
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    with Image.open(upright) as im:
        im.transpose(Image.Transpose.ROTATE_90).save(rotated, quality=90, exif=exif.tobytes())
    upright.unlink()
    return {
        "red circle": rotated,
        "blue square": make_photo(folder / "blue-square.png", "blue", "square", seed=2),
        "green triangle": make_photo(folder / "green-triangle.webp", "green", "triangle", seed=3),
        "broken": _broken(folder / "broken.jpg"),
    }


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def _broken(path: Path) -> Path:
    path.write_bytes(b"\xff\xd8\xff\xe0 not really a JPEG")
    return path


def test_install_killed_midway_resumes_then_index_search_similar(tmp_path, hub):
    server, repo = hub
    library = tmp_path / "library"
    sizes = {i["path"]: i["size"] for i in repo.listing if i["type"] == "file"}
    repo.page_size = 3  # the listing comes in several pages
    server.drop_once.add(repo.key("textual/model.onnx"))  # a dropped connection mid-file
    middle = "visual/model.onnx"  # the listing is in path order: config.json, textual/*, visual/*
    gate = server.gates[repo.key(middle)] = Gate(at=10 * CHUNK)  # whole chunks reach the disk
    partial = blob_partial(repo, middle)

    # 1. Install on a terminal; kill -9 while the image graph is half downloaded.
    terminal = Terminal()
    first = photofind(server, library, "model", "install", NAME, stdout=subprocess.PIPE,
                      stderr=terminal.slave)  # fmt: skip
    assert gate.reached.wait(120), terminal.text
    deadline = time.monotonic() + 30
    while _size(partial) < gate.at and time.monotonic() < deadline:
        time.sleep(0.01)  # until the child has written every byte it was sent
    first.send_signal(signal.SIGKILL)
    first.wait(30)
    del server.gates[repo.key(middle)]
    gate.opened.set()
    assert _size(partial) == gate.at
    terminal.close()
    assert "Traceback" not in terminal.text and "Error" not in terminal.text, terminal.text
    assert "resume" not in terminal.text  # huggingface_hub's own warnings stay quiet
    frames = [f for f in terminal.text.split("\r") if f.startswith("download")]
    assert frames and " MB" in frames[-1] and "/s" in frames[-1], terminal.text
    assert not (library / "models" / NAME).exists()

    # 2. Run it again (not on a terminal): finished files are not downloaded again.
    served_before = dict(server.served)
    asked = len(server.requests)
    done = run(server, library, "model", "install", NAME)
    assert f"installed {NAME}" in done.stdout
    again = {k: n - served_before.get(k, 0) for k, n in server.served.items()}
    finished = [p for p in sorted(immich.FILES) if p < middle]
    assert len(finished) == 4 and all(again.get(repo.key(p), 0) == 0 for p in finished), again
    assert again[repo.key(middle)] == sizes[middle] - gate.at
    resumed = [r for k, r in server.requests[asked:] if k == repo.key(middle)]
    assert resumed == [f"bytes={gate.at}-"]  # the half graph went on from where it stopped
    lines = done.stderr.splitlines()
    assert lines and all(line.startswith("download: ") for line in lines), done.stderr
    left = sum(sizes[p] for p in immich.FILES if p >= middle)
    assert lines[-1].startswith(f"download: {left / 1e6:.1f} MB/"), lines
    # Every fault the hub threw was met: a drop resumed, every page read.
    textual = [r for k, r in server.requests if k == repo.key("textual/model.onnx")]
    assert textual[0] is None and textual[1].startswith("bytes=")
    assert len([r for r in server.log if "/tree/" in r.path and "cursor=" in r.path]) >= 2
    models = library / "models"
    assert not list(models.glob(".incoming-*")) and not partial.exists()
    listed = json.loads(run(server, library, "model", "list", "--json").stdout)
    assert listed["active"] == NAME and listed["installed"] == [NAME]
    run(server, library, "model", "verify", NAME)

    # 3. A folder of real files, indexed and searched with the installed model.
    files = photos(tmp_path / "photos")
    run(server, library, "folders", "add", str(tmp_path / "photos"))
    done = run(server, library, "index")
    assert "indexed 3 photos" in done.stdout and "1 could not be read" in done.stdout
    for words in ("red circle", "blue square", "green triangle"):
        done = run(server, library, "search", f"a photo of a {words}", "--json")
        assert json.loads(done.stdout)["hits"][0]["path"] == str(files[words]), words
    query = make_photo(tmp_path / "query.jpg", "blue", "square", size=(300, 300), seed=9)
    done = run(server, library, "similar", str(query), "--json")
    assert json.loads(done.stdout)["hits"][0]["path"] == str(files["blue square"])


def test_a_kill_while_the_model_is_put_in_place_fetches_nothing_again(tmp_path, hub):
    server, _ = hub
    for attempt in range(5):  # bounded: the kill has to land after the downloads
        library = tmp_path / f"library-{attempt}"
        models = library / "models"
        first = photofind(server, library, "model", "install", NAME,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        while first.poll() is None and not list(models.glob(".incoming-*")):
            time.sleep(0.002)
        first.kill()
        first.communicate(timeout=30)
        if list(models.glob(".incoming-*")):
            break
    else:
        pytest.fail("the kill never landed while the model was being put in place")
    served = dict(server.served)
    done = run(server, library, "model", "install", NAME)
    assert f"installed {NAME}" in done.stdout
    assert dict(server.served) == served  # every file came from the download area
    assert not list(models.glob(".incoming-*")) and not (models / ".downloads" / NAME).exists()
    run(server, library, "model", "verify", NAME)


def test_offline_mirror_and_a_damaged_file_at_the_command_line(tmp_path, hub, tiny_immich_dir):
    server, repo = hub
    # Offline with an empty hub cache: one clear line, no request, nothing installed.
    done = run(server, tmp_path / "a", "model", "install", NAME, check=False, HF_HUB_OFFLINE="1")
    assert done.returncode != 0 and "HF_HUB_OFFLINE is set" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert server.log == [] and not (tmp_path / "a" / "models" / NAME).exists()
    # A damaged graph on the hub: named, and nothing installed.
    server.corrupt.add(repo.key("visual/model.onnx"))
    done = run(server, tmp_path / "a", "model", "install", NAME, check=False)
    said = [line for line in done.stderr.splitlines() if not line.startswith("download: ")]
    assert len(said) == 1 and "visual/model.onnx failed its checksum" in said[0], done.stderr
    assert not (tmp_path / "a" / "models" / NAME).exists()
    # Through a mirror: the hub itself is not asked.
    mirror = Server()
    try:
        publish(mirror, REPO, tiny_immich_dir, tmp_path / "mirror" / REPO)
        server.log.clear()
        done = run(server, tmp_path / "a", "model", "install", NAME, HF_ENDPOINT=mirror.url)
        assert f"installed {NAME}" in done.stdout and server.log == [] and mirror.log
    finally:
        mirror.close()
    # Offline again, the model now in the hub cache: installed into a new library, no request.
    done = run(server, tmp_path / "b", "model", "install", NAME, HF_HUB_OFFLINE="1")
    assert f"installed {NAME}" in done.stdout and server.log == []
    run(server, tmp_path / "b", "model", "verify", NAME)

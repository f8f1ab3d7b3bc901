"""A new user's first journey, through the `photofind` console script: install a catalog model
from the hub (here a loopback replica of it, found through HF_ENDPOINT), get killed halfway,
install again, then add a folder of real files, index, search and find similar photos.

The replica (tests/replica_hub.py) publishes the tiny CLIP in Immich's repository layout under
a real catalog name, and does what the real hub does to an installer: a listing in several
pages, a 429 with Retry-After, LFS files behind a redirect to a CDN, a connection dropped in
the middle of a file. It counts the bytes it serves per file, so the second run can be shown
to fetch nothing the first one finished.
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


def env(server: Server) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "HF_ENDPOINT": server.url}


def photofind(server: Server, library: Path, *args: str, **kwargs) -> subprocess.Popen:
    command = [sys.executable, "-m", "photofind", "--library", str(library), *args]
    return subprocess.Popen(command, env=env(server), text=True, **kwargs)


def run(server: Server, library: Path, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "photofind", "--library", str(library), *args]
    done = subprocess.run(command, env=env(server), capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, f"{args}: {done.stderr}"
    assert "Traceback" not in done.stderr
    return done


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


def _part_size(area: Path) -> int:
    parts = list(area.glob("*.part"))
    return parts[0].stat().st_size if len(parts) == 1 else 0


def _broken(path: Path) -> Path:
    path.write_bytes(b"\xff\xd8\xff\xe0 not really a JPEG")
    return path


def test_install_killed_midway_resumes_then_index_search_similar(tmp_path, hub):
    server, repo = hub
    library = tmp_path / "library"
    sizes = {i["path"]: i["size"] for i in repo.listing if i["type"] == "file"}
    repo.page_size = 3  # the listing comes in several pages
    server.listing_429.append("1")  # the hub asks to come back in a second
    server.too_many[repo.key("config.json")] = ["1"]
    server.drop_once.add(repo.key("visual/model.onnx"))  # a dropped connection mid-file
    middle = repo.key("textual/model.onnx")
    gate = server.gates[middle] = Gate(at=sizes["textual/model.onnx"] // 2)

    # 1. Install on a terminal; kill -9 while the second graph is half downloaded.
    terminal = Terminal()
    first = photofind(server, library, "model", "install", NAME, stdout=subprocess.PIPE,
                      stderr=terminal.slave)  # fmt: skip
    assert gate.reached.wait(120), terminal.text
    area = library / "models" / ".downloads" / NAME
    deadline = time.monotonic() + 30
    while _part_size(area) < gate.at and time.monotonic() < deadline:
        time.sleep(0.01)  # until the child has written every byte it was sent
    first.send_signal(signal.SIGKILL)
    first.wait(30)
    del server.gates[middle]
    gate.opened.set()
    assert _part_size(area) == gate.at
    terminal.close()
    assert "Traceback" not in terminal.text and "Error" not in terminal.text
    frames = [f for f in terminal.text.split("\r") if f.startswith("download")]
    assert frames and " MB" in frames[-1] and "/s" in frames[-1], terminal.text
    assert not (library / "models" / NAME).exists()

    # 2. Run it again (not on a terminal): finished files are not downloaded again.
    served_before = dict(server.served)
    asked = len(server.requests)
    done = run(server, library, "model", "install", NAME)
    assert f"installed {NAME}" in done.stdout
    again = {k: n - served_before.get(k, 0) for k, n in server.served.items()}
    finished = [p for p in immich.FILES[: immich.FILES.index("textual/model.onnx")]]
    assert finished and all(again.get(repo.key(p), 0) == 0 for p in finished), again
    assert again[repo.key("textual/tokenizer.json")] == sizes["textual/tokenizer.json"]
    resumed = [r for k, r in server.requests[asked:] if k == middle]
    assert resumed == [f"bytes={gate.at}-"]  # the half graph went on from where it stopped
    lines = done.stderr.splitlines()
    assert lines and all(line.startswith("download: ") for line in lines), done.stderr
    assert lines[-1].startswith(f"download: {sum(sizes[p] for p in immich.FILES) / 1e6:.1f} MB/")
    # Every fault the hub threw was met: a 429 waited for, a drop resumed, every page read.
    assert server.listing_429 == [] and server.too_many[repo.key("config.json")] == []
    visual = [r for k, r in server.requests if k == repo.key("visual/model.onnx")]
    assert visual[0] is None and visual[1].startswith("bytes=")
    models = library / "models"
    assert not list(models.glob(".incoming-*")) and not (models / ".downloads" / NAME).exists()
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

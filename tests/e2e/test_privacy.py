"""Nothing about the user leaves the machine or lingers outside the folders the README names.

One journey as a new user would take it, in a clean HOME with every XDG folder and TMPDIR
inside this test's temporary folder: `photofind folders add`, `index`, `search` (subprocesses)
and the app window (offscreen, a script that types a query and waits for the results). Each
runs under strace, which sees every connect/sendto/sendmsg the process or a native library
makes (ONNX Runtime's telemetry client is C++, out of reach of a Python socket wrapper).
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from photofind.testing.synthetic import make_photo

ROOT = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("privacy_window.py")
QUERY = "a photo of a blue square"
# Where photofind may write, relative to the fake user's folder (see README, "Your data").
ALLOWED = ("data/photofind/", "config/photofind/", "cache/photofind/", "state/photofind/", "tmp/")
NETWORK = re.compile(r"\b(connect|sendto|sendmsg)\(.*AF_INET")


def strace() -> str:
    path = shutil.which("strace")
    assert path, "these tests need strace: apt-get install strace (.ci/run installs it)"
    return path


@dataclass
class User:
    """A fake user: HOME and XDG folders under `root`, a photo folder, strace logs apart."""

    root: Path
    logs: Path
    env: dict[str, str]

    @classmethod
    def make(cls, root: Path, logs: Path) -> User:
        folders = {"HOME": "home", "XDG_DATA_HOME": "data", "XDG_CONFIG_HOME": "config",
                   "XDG_CACHE_HOME": "cache", "XDG_STATE_HOME": "state",
                   "XDG_RUNTIME_DIR": "runtime", "TMPDIR": "tmp"}  # fmt: skip
        env = {"PATH": os.environ["PATH"], "LANG": "C.UTF-8", "QT_QPA_PLATFORM": "offscreen",
               "PYTHONPATH": str(ROOT)}  # fmt: skip
        for name, sub in folders.items():
            (root / sub).mkdir(mode=0o700)
            env[name] = str(root / sub)
        return cls(root, logs, env)

    def run(self, name: str, *args: str, inject: bool = False, extra: dict | None = None,
            timeout: float = 240) -> subprocess.CompletedProcess:  # fmt: skip
        """`python args...` under strace; its socket calls land in logs/<name>.trace."""
        trace = [strace(), "-f", "-qq", "--seccomp-bpf", "-e", "trace=connect,sendto,sendmsg",
                 "-e", "signal=none", "-o", str(self.logs / f"{name}.trace")]  # fmt: skip
        if inject:  # refuse every connection, so a test never reaches the real network
            trace += ["-e", "inject=connect:error=ENETUNREACH"]
        env = {**self.env, **(extra or {})}
        return subprocess.run([*trace, sys.executable, *args], capture_output=True, text=True,
                              env=env, timeout=timeout)  # fmt: skip

    def network_calls(self, name: str) -> list[str]:
        text = (self.logs / f"{name}.trace").read_text(errors="replace")
        return [line for line in text.splitlines() if NETWORK.search(line)]


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every file and folder under `root` with its size and modification time."""
    found = {}
    for path in root.rglob("*"):
        if not path.is_symlink():
            stat = path.stat()
            key = path.relative_to(root).as_posix() + ("/" if path.is_dir() else "")
            found[key] = (0 if path.is_dir() else stat.st_size, stat.st_mtime_ns)
    return found


@pytest.fixture(scope="module")
def journey(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path):
    """folders add, index, search and the window, once; the user's tree before and after."""
    user = User.make(tmp_path_factory.mktemp("user"), tmp_path_factory.mktemp("traces"))
    photos = user.root / "home" / "Pictures"
    for n, (colour, shape) in enumerate([("red", "circle"), ("blue", "square"),
                                         ("green", "triangle")]):  # fmt: skip
        make_photo(photos / f"{colour}-{shape}.jpg", colour, shape, seed=n)
    before = snapshot(user.root)
    cli = ["-m", "photofind", "--model", str(tiny_model_dir)]
    runs = {
        "folders": user.run("folders", *cli, "folders", "add", str(photos)),
        "index": user.run("index", *cli, "index"),
        "search": user.run("search", *cli, "search", QUERY, "-k", "1"),
        "window": user.run(
            "window", str(DRIVER), QUERY, extra={"PHOTOFIND_MODEL": str(tiny_model_dir)}
        ),
    }
    return user, before, snapshot(user.root), runs


def test_the_journey_found_the_photo(journey):
    """Each step ran to the end; the privacy tests below check whatever did run."""
    _, _, _, runs = journey
    for name, done in runs.items():
        assert done.returncode == 0, f"{name} failed ({done.returncode}):\n{done.stderr[-3000:]}"
    assert "indexed 3 photos" in runs["index"].stdout
    assert "blue-square.jpg" in runs["search"].stdout
    assert runs["window"].stdout.startswith("results: blue-square.jpg"), runs["window"].stdout


def test_nothing_is_written_outside_the_library_config_cache_and_temp(journey):
    _, before, after, _ = journey
    changed = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
    # A folder that holds an allowed one changes its mtime when that one is made.
    parents = {a.split("/")[0] + "/" for a in ALLOWED}
    stray = [p for p in changed if not p.startswith(ALLOWED) and p not in parents]
    assert not stray, f"written outside photofind's folders: {stray}"
    assert any(p.startswith("data/photofind/catalog") for p in after), "the library is elsewhere"
    # Thumbnails are a cache: the platform's cache folder, not the library.
    assert any(p.startswith("cache/photofind/thumbnails/") for p in after), sorted(after)
    assert not any(p.startswith("data/photofind/thumbnails") for p in after)


def test_onnx_runtime_keeps_no_telemetry_queue(journey):
    _, _, after, _ = journey
    assert not [p for p in after if "Microsoft" in p or "onnxruntime" in p.lower()]


def test_index_search_and_the_window_open_no_network_socket(journey):
    user, _, _, runs = journey
    for name in runs:
        assert user.network_calls(name) == [], f"{name} opened a network socket"


def test_an_explicit_model_download_is_what_opens_a_socket(journey):
    """The positive control: strace does see photofind's sockets, and the one that asks for
    the network is `model install` (every connect refused, so nothing leaves this machine)."""
    user, _, _, _ = journey
    unpinned = {"PHOTOFIND_UNPINNED_REVISIONS_FOR_TESTS": "1"}  # until the catalog pins commits
    done = user.run("install", "-m", "photofind", "model", "install", "ViT-B-32__openai",
                    inject=True, extra=unpinned)  # fmt: skip
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert user.network_calls("install"), "strace saw no socket: the guard is blind"


def test_one_module_imports_onnx_runtime():
    """photofind/clip/providers.py switches telemetry off before the import; any other
    importer could load the library first, with telemetry on."""
    importers = []
    for folder in ("photofind", "bench"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                    [node.module or ""] if isinstance(node, ast.ImportFrom) else [])  # fmt: skip
                if any(n.split(".")[0] == "onnxruntime" for n in names):
                    importers.append(path.relative_to(ROOT).as_posix())
    assert importers == ["photofind/clip/providers.py"]

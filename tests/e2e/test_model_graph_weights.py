"""Installed models keep their graphs' weights in mapped files, through the console script:
an import stores them so, `model verify` brings a model installed the old way up to date,
and a kill -9 in the middle of that leaves a model that still answers."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path

from library_journey import command, env, make_photos, photofind

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "tiny-clip"
GRAPHS = ("textual.onnx", "visual.onnx")


def _installed_the_old_way(library: Path) -> Path:
    """A library whose tiny-clip model is stored as earlier photofind stored it: inline graphs."""
    photofind(library, "model", "import", str(TINY))
    folder = library / "models" / "tiny-clip"
    _make_old(folder)
    return folder


def _make_old(folder: Path) -> None:
    shutil.rmtree(folder)
    shutil.copytree(TINY, folder)


def _upgraded(folder: Path) -> bool:
    return all((folder / f"{graph}.data").is_file() for graph in GRAPHS)


def _indexed(library: Path, photos: Path, count: int) -> Path:
    """`photos` with `count` photos, added to the library and indexed (console script)."""
    make_photos(photos, count)
    photofind(library, "folders", "add", str(photos))
    photofind(library, "index")
    return photos


def _ranking(library: Path, photos: Path) -> list[str]:
    out = photofind(library, "search", "a red circle", "--all").stdout
    return [line for line in out.splitlines() if str(photos) in line]


def test_an_imported_model_has_its_weights_beside_its_graphs(tmp_path):
    library = tmp_path / "library"
    photofind(library, "model", "import", str(TINY))
    folder = library / "models" / "tiny-clip"
    for graph in GRAPHS:
        assert (folder / f"{graph}.data").is_file(), sorted(p.name for p in folder.iterdir())
    photos = _indexed(library, tmp_path / "photos", 6)
    assert _ranking(library, photos)


def test_model_verify_brings_an_old_install_up_to_date_with_the_same_results(tmp_path):
    library = tmp_path / "library"
    folder = _installed_the_old_way(library)
    photos = _indexed(library, tmp_path / "photos", 6)
    before = _ranking(library, photos)
    done = photofind(library, "model", "verify", "tiny-clip")
    assert "intact" in done.stdout
    for graph in GRAPHS:
        assert (folder / f"{graph}.data").is_file()
    assert _ranking(library, photos) == before  # same vectors, no reindex needed
    assert not list((library / "models").glob(".incoming-*"))


def test_a_killed_upgrade_leaves_a_model_that_answers(tmp_path):
    library = tmp_path / "library"
    folder = _installed_the_old_way(library)
    photos = _indexed(library, tmp_path / "photos", 4)
    models = library / "models"
    landed = 0
    # Bounded: each kill lands a little later after the rewrite's work folder appears (a
    # delay from the start would miss it whenever the machine is slow to start a process).
    for after in (0.0, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.8):
        if _upgraded(folder):
            _make_old(folder)  # something left to interrupt
        process = subprocess.Popen(
            command(library, "model", "verify", "tiny-clip"),
            env=env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while process.poll() is None and time.monotonic() < deadline:
            if list(models.glob(".incoming-*")):
                time.sleep(after)
                break
            time.sleep(0.005)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait()
            landed += bool(list(models.glob(".incoming-*")))
        else:
            process.wait()
        assert _ranking(library, photos), "the model stopped answering after a kill"
        if landed >= 2:
            break
    assert landed, "no kill landed during the rewrite"
    photofind(library, "model", "verify", "tiny-clip")
    for graph in GRAPHS:
        assert (folder / f"{graph}.data").is_file()
    assert _ranking(library, photos)
    photofind(library, "status")  # sweeps what the killed runs left
    assert not list((library / "models").glob(".incoming-*"))

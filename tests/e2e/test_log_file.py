"""The log file: `photofind` writes its warnings there, never to the terminal, and rotates it."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from library_journey import photofind

from photofind import logs
from photofind.library.home import LibraryPaths
from photofind.testing.synthetic import make_photo


def test_index_logs_a_broken_photo_to_the_file_and_keeps_the_terminal_quiet(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    photos, library = tmp_path / "photos", tmp_path / "lib"
    make_photo(photos / "good.jpg", "red", "circle", seed=1)
    (photos / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    log_file = LibraryPaths.at(library).log_file
    photofind(library, "folders", "add", str(photos), model=tiny_model_dir)
    assert not log_file.exists(), "nothing to say yet: no log file"
    done = photofind(library, "index", model=tiny_model_dir)
    lines = log_file.read_text("utf-8").splitlines()
    broken = [line for line in lines if "broken.jpg" in line]
    assert broken and " WARNING " in broken[0], lines
    assert str(photos / "broken.jpg") in broken[0]
    assert not [line for line in lines if "good.jpg" in line]
    # The terminal shows what the CLI prints itself, no log records.
    assert "WARNING" not in done.stderr and "photofind.library" not in done.stderr, done.stderr


def test_debug_writes_debug_records_too(tmp_path: Path, tiny_model_dir: Path) -> None:
    library = tmp_path / "lib"
    photofind(library, "--debug", "status", model=tiny_model_dir)
    text = LibraryPaths.at(library).log_file.read_text("utf-8")
    assert " DEBUG " in text or " INFO " in text, text


def test_the_log_rotates_and_keeps_three_old_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logs, "MAX_BYTES", 2000)
    path = logs.setup(tmp_path / "lib")
    try:
        assert logs.log_file() == path == tmp_path / "lib" / "logs" / "photofind.log"
        for n in range(400):
            logging.getLogger("photofind.test").warning("line %d %s", n, "x" * 40)
        kept = sorted(p.name for p in path.parent.iterdir())
        assert kept == [f"photofind.log{s}" for s in ("", ".1", ".2", ".3")], kept
        assert all(p.stat().st_size <= 2100 for p in path.parent.iterdir())
        assert "line 399" in path.read_text("utf-8")
    finally:
        logs.setup(tmp_path / "other")  # detach the handler from this test's folder


def test_an_unwritable_log_folder_says_nothing_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "logs").write_text("a file in the way")
    logs.setup(tmp_path / "lib")
    logging.getLogger("photofind.test").warning("where does this go?")
    assert capsys.readouterr().err == ""

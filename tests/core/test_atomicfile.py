"""atomicfile: a replaced text file is the old text or the new, and no temp file is left."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from photofind import atomicfile


def test_write_text_replaces_whole_and_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "active"
    atomicfile.write_text(target, "one\n")
    atomicfile.write_text(target, "two\n")
    assert target.read_text(encoding="utf-8") == "two\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["active"]


def test_a_failed_rename_keeps_the_old_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "active"
    atomicfile.write_text(target, "old\n")

    def full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(OSError, match="No space"):
        atomicfile.write_text(target, "new\n")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["active"]

"""LibraryPaths: which folder is the library, and the layout inside it."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

from photofind.errors import LibraryError
from photofind.library.home import LibraryPaths, default_home


def test_explicit_folder_wins_over_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHOTOFIND_HOME", str(tmp_path / "from-env"))
    paths = LibraryPaths.resolve(tmp_path / "explicit")
    assert paths.home == tmp_path / "explicit"
    assert paths.catalog == tmp_path / "explicit" / "catalog.sqlite"
    for folder in (paths.home, paths.vectors_dir, paths.models_dir):
        assert folder.is_dir()
    # Cache and logs live inside an explicit library, made when first written.
    assert paths.thumbnails_dir == tmp_path / "explicit" / "cache" / "thumbnails"
    assert paths.log_file == tmp_path / "explicit" / "logs" / "photofind.log"
    assert not (tmp_path / "from-env").exists()


def test_env_used_when_no_explicit_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHOTOFIND_HOME", str(tmp_path / "lib"))
    paths = LibraryPaths.resolve()
    assert paths.home == tmp_path / "lib"
    assert paths.vector_file("ViT-B-32-256__random-init") == (
        tmp_path / "lib" / "vectors" / "ViT-B-32-256__random-init.index"
    )


@pytest.mark.skipif(sys.platform != "linux", reason="XDG layout is Linux only")
def test_default_follows_xdg_data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_home() == tmp_path / "data" / "photofind"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_home() == tmp_path / "home" / ".local" / "share" / "photofind"


def test_relative_home_is_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    paths = LibraryPaths.resolve(Path("rel"))
    assert paths.home == tmp_path / "rel"
    assert paths.home.is_absolute()


def test_paths_are_frozen(tmp_path: Path) -> None:
    paths = LibraryPaths.at(tmp_path)
    with pytest.raises(dataclasses.FrozenInstanceError):
        paths.home = tmp_path / "other"  # type: ignore[misc]


def test_file_in_the_way_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "lib").write_text("not a folder")
    with pytest.raises(LibraryError, match="lib"):
        LibraryPaths.resolve(tmp_path / "lib")


@pytest.mark.parametrize("name", ["../evil", "a/b", "", "..", "sp ace"])
def test_vector_file_rejects_unsafe_model_names(tmp_path: Path, name: str) -> None:
    with pytest.raises(LibraryError, match="invalid model name"):
        LibraryPaths.at(tmp_path).vector_file(name)


@pytest.mark.skipif(sys.platform != "linux", reason="XDG layout is Linux only")
def test_default_library_uses_the_platform_cache_and_log_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PHOTOFIND_HOME", raising=False)
    for name in ("DATA", "CACHE", "STATE"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / name.lower()))
    paths = LibraryPaths.resolve()
    assert paths.home == tmp_path / "data" / "photofind"
    assert paths.thumbnails_dir == tmp_path / "cache" / "photofind" / "thumbnails"
    assert paths.log_file == tmp_path / "state" / "photofind" / "log" / "photofind.log"
    assert not (tmp_path / "cache").exists() and not (tmp_path / "state").exists()


def test_the_old_thumbnail_folder_inside_the_library_is_removed(tmp_path: Path) -> None:
    old = tmp_path / "lib" / "thumbnails" / "ab"
    old.mkdir(parents=True)
    (old / "ab12.jpg").write_bytes(b"jpeg")
    (tmp_path / "lib" / "catalog.sqlite").write_bytes(b"kept")
    paths = LibraryPaths.resolve(tmp_path / "lib")
    assert not (tmp_path / "lib" / "thumbnails").exists()
    assert (paths.home / "catalog.sqlite").read_bytes() == b"kept"


def test_a_library_at_the_old_default_folder_stays_in_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from photofind.library import home

    old, new = tmp_path / "old" / "photofind", tmp_path / "new" / "photofind"
    monkeypatch.setattr(home, "_legacy_home", lambda: old)
    monkeypatch.setattr(home.platformdirs, "user_data_dir", lambda *a, **k: str(new))
    assert default_home() == new  # nothing at the old place: the platform folder
    old.mkdir(parents=True)
    (old / "catalog.sqlite").write_bytes(b"SQLite format 3\x00")
    assert default_home() == old  # an existing library is not left behind
    new.mkdir(parents=True)
    (new / "catalog.sqlite").write_bytes(b"SQLite format 3\x00")
    assert default_home() == new  # ... unless the new folder already holds one

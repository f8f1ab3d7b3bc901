"""open_session: which library and which model the front ends use, and why."""

from __future__ import annotations

from pathlib import Path

import pytest

from photofind.errors import ModelError
from photofind.library.home import LibraryPaths
from photofind.search import Query
from photofind.session import MODEL_ENV, ModelChoice, choose_model, open_session


def fake_model_folder(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "manifest.json").write_text("{}")
    return path


def test_model_option_beats_the_environment(tmp_path: Path, monkeypatch) -> None:
    paths = LibraryPaths.resolve(tmp_path / "lib")
    explicit = fake_model_folder(tmp_path / "explicit")
    from_env = fake_model_folder(tmp_path / "env")
    monkeypatch.setenv(MODEL_ENV, str(from_env))
    assert choose_model(paths, explicit) == ModelChoice(explicit, "--model")
    assert choose_model(paths, None) == ModelChoice(from_env, MODEL_ENV)
    assert choose_model(paths, "") == ModelChoice(from_env, MODEL_ENV)


def test_a_model_folder_that_does_not_exist_is_an_error(tmp_path: Path, monkeypatch) -> None:
    paths = LibraryPaths.resolve(tmp_path / "lib")
    with pytest.raises(ModelError, match=r"missing \(from --model\) does not exist"):
        choose_model(paths, tmp_path / "missing")
    monkeypatch.setenv(MODEL_ENV, str(tmp_path / "gone"))
    with pytest.raises(ModelError, match=f"from {MODEL_ENV}"):
        choose_model(paths)


def test_no_model_anywhere(tmp_path: Path) -> None:
    paths = LibraryPaths.resolve(tmp_path / "lib")
    assert choose_model(paths) == ModelChoice(None, None)
    with open_session(tmp_path / "lib") as session:
        assert session.model is None and session.model_choice.folder is None
        with pytest.raises(ModelError, match="photofind model install"):
            session.searcher.search(Query(text="a cat"))


def test_the_active_installed_model_is_used(tmp_path: Path, tiny_model_dir: Path) -> None:
    from photofind.modelstore import ModelStore

    paths = LibraryPaths.resolve(tmp_path / "lib")
    store = ModelStore(paths.models_dir)
    store.import_folder(tiny_model_dir)
    store.use("tiny-clip")
    choice = choose_model(paths)
    assert choice.source == "installed"
    assert (choice.folder / "manifest.json").is_file()
    # An installed model may also be named instead of given as a folder.
    assert choose_model(paths, "tiny-clip").folder == choice.folder
    with pytest.raises(ModelError, match="does not exist"):
        choose_model(paths, "tiny-clop")


def test_open_session_loads_library_model_and_searcher(tmp_path: Path, tiny_model_dir) -> None:
    with open_session(tmp_path / "lib", tiny_model_dir) as session:
        assert session.paths.home == (tmp_path / "lib").absolute()
        assert session.paths.catalog.is_file()
        assert session.model is not None and session.model.name == "tiny-clip"
        assert session.library.model is session.model
        assert session.searcher.library is session.library
        assert session.searcher.search(Query(text="a photo of a red circle")) == []
    with open_session(tmp_path / "lib", tiny_model_dir, load_model=False) as session:
        assert session.model is None
        assert session.model_choice == ModelChoice(tiny_model_dir.absolute(), "--model")

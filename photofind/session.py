"""What every front end does first: find the library folder, pick the model, open both.

The CLI and the GUI both call `open_session`, so they agree on which library and which model
they use. The model folder is `--model DIR` (or an installed model's name), else the
`PHOTOFIND_MODEL` environment variable, else the active installed model, else none.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from photofind.errors import ModelError
from photofind.library.home import LibraryPaths
from photofind.tasks import ProgressCallback, TaskControl

if TYPE_CHECKING:
    from photofind.clip import ClipModel
    from photofind.clip.model import Kind
    from photofind.library.indexer import IndexReport
    from photofind.library.library import Library
    from photofind.modelstore import ModelStore
    from photofind.search import Searcher
    from photofind.search.tags import Tags

log = logging.getLogger(__name__)

MODEL_ENV = "PHOTOFIND_MODEL"
# The library setting for the fast mode: "1" runs the model's int8 graphs (docs/design.md,
# "The model folder"); `open_session(fast=...)` (the CLI's --fast) overrides it for one run.
FAST_SETTING = "model.fast"


@dataclass(frozen=True)
class ModelChoice:
    """Which model folder to use and why ("--model", "PHOTOFIND_MODEL", "installed"), or none."""

    folder: Path | None
    source: str | None = None


@dataclass
class Session:
    """An open library with its model and searcher. Close it (or use `with`) to save the
    vector index. Any thread may search; see `Searcher` and `Library` for the rules.

    The library owns the current model (`library.model`, swapped with its vectors in one
    assignment by a switch); `Session.model` reads it, so the two never disagree.
    """

    paths: LibraryPaths
    library: Library
    searcher: Searcher
    model_choice: ModelChoice = field(default_factory=lambda: ModelChoice(None))
    tags: Tags | None = None  # zero-shot labels; they follow the indexer (see open_session)

    @property
    def model(self) -> ClipModel | None:
        """The model that answers queries now (the library's)."""
        return self.library.model

    def model_name(self) -> str | None:
        """The name of the model that answers queries, loaded or not (a session opened without
        it, for `status`, counts the photos as that model has indexed them)."""
        if self.model is not None:
            return self.model.name
        if self.model_choice.folder is None:
            return None
        from photofind.clip import read_manifest

        try:
            return read_manifest(self.model_choice.folder).name
        except ModelError:
            return None  # `status` names the problem itself

    @property
    def store(self) -> ModelStore:
        """This library's installed models (`model_store(paths)`)."""
        return model_store(self.paths)

    def switch_model(
        self,
        name: str,
        control: TaskControl | None = None,
        progress: ProgressCallback | None = None,
        *,
        threads: int | None = None,
    ) -> IndexReport:
        """Index every photo with the installed model `name`, then answer with it.

        The one way to change the current model: slow (it embeds the library), so run it in a
        worker; the current model answers until the new vectors are complete (see
        `Library.switch_model`). Makes `name` the store's active model once it answers.
        """
        from photofind.clip import ClipModel

        store = self.store
        report = self.library.switch_model(
            ClipModel.load(store.get(name), threads=threads, cache_dir=self.paths.cache_dir),
            control,
            progress,
        )
        if self.model is not None and self.model.name == name:
            store.use(name)
            self.model_choice = ModelChoice(store.get(name), "installed")
        return report

    def close(self) -> None:
        self.library.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def choose_model(paths: LibraryPaths, model: Path | str | None = None) -> ModelChoice:
    """The model folder to use, without loading it.

    `model` (from --model) and $PHOTOFIND_MODEL may be a folder or an installed model's name.
    Raises ModelError when one of them names nothing usable (a typo must not silently fall
    back to another model).
    """
    for value, source in ((model, "--model"), (os.environ.get(MODEL_ENV) or None, MODEL_ENV)):
        if value is None or str(value) == "":
            continue
        return ModelChoice(_model_folder(paths, value, source), source)
    store = model_store(paths)
    name = store.active_name()
    if not name:
        return ModelChoice(None)
    return ModelChoice(Path(store.get(name)), "installed")


def _model_folder(paths: LibraryPaths, value: Path | str, source: str) -> Path:
    folder = Path(value).expanduser()
    if folder.is_dir():
        return folder.absolute()
    text = str(value)
    if "/" not in text and os.sep not in text:
        store = model_store(paths)
        if text in {getattr(m, "name", m) for m in store.installed()}:
            return Path(store.get(text))
    raise ModelError(f"model folder {folder} (from {source}) does not exist")


def model_store(paths: LibraryPaths | None = None) -> ModelStore:
    """The installed models of the library at `paths` (default: the one PHOTOFIND_HOME
    names): the one place a `ModelStore` is built, so the CLI, the window and the session
    agree on the folder."""
    from photofind.modelstore import ModelStore

    return ModelStore((paths or LibraryPaths.resolve()).models_dir)


def open_session(
    library_dir: Path | None = None,
    model_dir: Path | str | None = None,
    *,
    load_model: bool = True,
    threads: int | None = None,
    fast: bool | None = None,
    preload: tuple[Kind, ...] = (),
) -> Session:
    """Open the library (creating its folder) and load the chosen model.

    `load_model=False` opens the library without a model (folder management, status); the
    choice is still made and reported. The model's sessions open when first used (a text
    query never opens the image graph). `fast` picks the int8 graphs; None follows the
    library's FAST_SETTING. Raises PhotofindError subclasses with one-line messages:
    LibraryError/CatalogError for the library, ModelError for the model. `preload` starts
    opening those sessions in the background at once (the CLI's search: "text").
    """
    from photofind.library.library import Library

    paths = LibraryPaths.resolve(library_dir)
    choice = choose_model(paths, model_dir)
    model = None
    if load_model and choice.folder is not None:
        model = _load_model(choice, threads, paths.cache_dir)
    library = Library(paths, model)
    try:
        if model is not None:  # no session has opened yet, so the graphs can still change
            model.int8 = fast if fast is not None else is_fast(library)
            model.preload(*preload)  # while the searcher, tags and the rest of the CLI load
        from photofind.search import Searcher
        from photofind.search.tags import Tags

        tags = Tags(library)
        searcher = Searcher(library, tags)
        library.add_index_listener(tags)
    except BaseException:
        library.close()
        raise
    return Session(paths, library, searcher, choice, tags)


def is_fast(library: Library) -> bool:
    """Whether the library is set to the fast mode (the int8 graphs)."""
    return library.catalog.get_setting(FAST_SETTING) == "1"


def set_fast(library: Library, on: bool) -> None:
    """Store the fast-mode setting; it applies to models loaded from then on."""
    library.catalog.set_setting(FAST_SETTING, "1" if on else None)


def _load_model(choice: ModelChoice, threads: int | None, cache_dir: Path) -> ClipModel:
    from photofind.clip import ClipModel

    assert choice.folder is not None
    log.info("loading model %s (from %s)", choice.folder, choice.source)
    return ClipModel.load(choice.folder, threads=threads, cache_dir=cache_dir)

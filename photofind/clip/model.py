"""A loaded CLIP model folder: manifest and tokenizer, with each ONNX session opened when needed.

Opening a ViT-B session costs about a second, so a model opens neither session up front: a
text query opens only the text graph, indexing only the image graph, and `preload` lets a
caller start one in a background thread while it does other work (the folder scan).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from photofind.clip.manifest import Manifest, read_manifest
from photofind.clip.stamp import check_model_folder
from photofind.errors import ModelFolderError

if TYPE_CHECKING:
    from photofind.clip.encoders import ImageEncoder
    from photofind.clip.providers import ort
    from photofind.clip.textencoder import TextEncoder
    from photofind.clip.tokenizer import ClipTokenizer

log = logging.getLogger(__name__)

Kind = Literal["image", "text"]
_GRAPH = {"image": "visual", "text": "textual"}


class ClipModel:
    """The image and text encoders of one model folder; safe to share between threads
    (ONNX Runtime sessions allow concurrent `run` calls, and each session opens once even
    when several threads ask for it together)."""

    def __init__(
        self,
        manifest: Manifest,
        *,
        providers: Sequence[str] | None = None,
        threads: int | None = None,
        int8: bool = False,
        cache_dir: Path | None = None,
    ) -> None:
        self.manifest = manifest
        self.cache_dir = cache_dir
        self.folder = manifest.folder
        self.name = manifest.name
        self.embed_dim = manifest.embed_dim
        self.int8 = int8
        self._requested = list(providers) if providers is not None else None
        self._threads = threads
        self._lock = threading.Lock()
        self._encoders: dict[Kind, Future[ImageEncoder | TextEncoder]] = {}

    @classmethod
    def load(
        cls,
        folder: Path | str,
        *,
        providers: Sequence[str] | None = None,
        threads: int | None = None,
        verify: bool = True,
        int8: bool = False,
        cache_dir: Path | None = None,
    ) -> ClipModel:
        """Open a model folder (cheap: no graph is loaded yet).

        `verify` checks every listed file: by size, mtime and the stamp a previous full
        check wrote, or by sha256 when the stamp does not match, so a damaged download is
        named here rather than deep inside ONNX Runtime. `int8` (the fast setting) uses the
        quantised graphs when the folder has them (docs/design.md, "The model folder").
        `cache_dir` (photofind's cache folder) keeps what can be derived from the folder and
        rebuilt at any time: the tokenizer's table for short texts (clip/bpetable.py).
        """
        folder = Path(folder)
        manifest = check_model_folder(folder) if verify else read_manifest(folder)
        return cls(manifest, providers=providers, threads=threads, int8=int8, cache_dir=cache_dir)

    @property
    def image(self) -> ImageEncoder:
        """The image encoder, opening its session on first use (ModelError if it cannot)."""
        from photofind.clip.encoders import ImageEncoder

        encoder = self._encoder("image")
        assert isinstance(encoder, ImageEncoder)
        return encoder

    @property
    def text(self) -> TextEncoder:
        """The text encoder, opening its session on first use (ModelError if it cannot)."""
        from photofind.clip.textencoder import TextEncoder

        encoder = self._encoder("text")
        assert isinstance(encoder, TextEncoder)
        return encoder

    def preload(self, *kinds: Kind) -> None:
        """Start opening these sessions in background threads and return at once; the first
        use waits for them (and raises what opening raised).

        The loaders are not daemon threads: a command that finishes first (an index with
        nothing to do) must let ONNX Runtime finish building the session before the
        interpreter exits; a daemon thread killed inside it aborts the process (SIGABRT,
        "terminate called without an active exception")."""
        for kind in kinds:
            future = self._claim(kind)
            if future is not None:
                # Not a daemon: a process that exits while ONNX Runtime is still building
                # the session would abort (SIGABRT) instead of exiting; it waits instead.
                threading.Thread(
                    target=self._fill, args=(kind, future), name=f"load-{kind}"
                ).start()

    def loaded(self, kind: Kind) -> bool:
        """Whether this session has opened (for tests and benchmarks)."""
        future = self._encoders.get(kind)
        return future is not None and future.done() and future.exception() is None

    @property
    def providers(self) -> list[str]:
        """The providers of the sessions opened so far, else those that would be tried."""
        for future in list(self._encoders.values()):
            if future.done() and future.exception() is None:
                return list(future.result().session.get_providers())
        from photofind.clip.providers import choose_providers

        return choose_providers(self._requested)

    def graph_path(self, kind: Kind) -> Path:
        """The graph file `kind` runs: the int8 one in the fast setting when listed."""
        base = _GRAPH[kind]
        name = self.manifest.graphs[base]
        if self.int8:
            if f"{base}.int8.onnx" in self.manifest.files:
                name = f"{base}.int8.onnx"
            else:
                log.warning("%s has no int8 %s graph; using fp32", self.name, base)
        path = self.manifest.path(name)
        if not path.is_file():
            raise ModelFolderError(f"model folder {self.folder}: {path.name} is missing")
        return path

    def _encoder(self, kind: Kind) -> ImageEncoder | TextEncoder:
        future = self._claim(kind)
        if future is not None:
            self._fill(kind, future)
        return self._encoders[kind].result()

    def _claim(self, kind: Kind) -> Future[ImageEncoder | TextEncoder] | None:
        """A new future for `kind` if none exists yet (the caller then fills it), else None."""
        with self._lock:
            if kind in self._encoders:
                return None
            future: Future[ImageEncoder | TextEncoder] = Future()
            self._encoders[kind] = future
            return future

    def _fill(self, kind: Kind, future: Future[ImageEncoder | TextEncoder]) -> None:
        try:
            future.set_result(self._open(kind))
        except BaseException as exc:  # the waiting caller re-raises it
            future.set_exception(exc)

    def _open(self, kind: Kind) -> ImageEncoder | TextEncoder:
        from photofind.clip.providers import CPU, choose_providers, inference_session

        path = self.graph_path(kind)
        # Images: one thread per run, a run per core (pipeline.iter_mapped); a text query is
        # one run, so it gets every core.
        threads = self._threads or (1 if kind == "image" else None)
        providers = choose_providers(self._requested)
        # A text session opens without weight prepacking (fast to open: a cold query's one
        # run); the text encoder builds the packed one if a second call comes.
        opened: Future[ort.InferenceSession] = Future()

        def open_session() -> None:
            try:
                opened.set_result(
                    inference_session(path, providers, threads, prepack=kind == "image")
                )
            except BaseException as exc:
                opened.set_exception(exc)

        if kind == "image":
            from photofind.clip.encoders import ImageEncoder  # Pillow: only for photos

            open_session()
            session = opened.result()
            log.info("opened %s of %s on %s", path.name, self.name, session.get_providers()[0])
            return ImageEncoder(session, self.manifest)
        # ONNX Runtime builds the session without the GIL; reading the tokenizer holds it
        # (0.1 s to parse tokenizer.json, a millisecond with its table). So the session is
        # built in a thread while this one reads the tokenizer.
        from photofind.clip.textencoder import TextEncoder

        threading.Thread(target=open_session, name="load-text-session").start()
        tokenizer = self._tokenizer()
        session = opened.result()
        log.info("opened %s of %s on %s", path.name, self.name, session.get_providers()[0])
        on_cpu = session.get_providers()[0] == CPU  # prepacking is the CPU provider's
        return TextEncoder(
            session,
            self.manifest,
            tokenizer,
            packed=(lambda: inference_session(path, [CPU], threads)) if on_cpu else None,
        )

    def _tokenizer(self) -> ClipTokenizer:
        from photofind.clip.bpetable import FOLDER
        from photofind.clip.tokenizer import ClipTokenizer

        return ClipTokenizer(
            self.manifest.path("tokenizer.json"),
            self.manifest.context_length,
            self.manifest.tokenizer,
            table_dir=self.cache_dir / FOLDER if self.cache_dir is not None else None,
        )

    def __repr__(self) -> str:
        return f"ClipModel({self.name!r}, dim={self.embed_dim}, int8={self.int8})"

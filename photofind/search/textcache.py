"""Text vectors kept across libraries: one file per model, each text's unit vector.

A label's text vector is a pure function of the model's text graph, its tokenizer and the
text, and the built-in vocabulary alone is 1,825 texts (365 labels in 5 templates): some 9 s
of a ViT-B text graph on a quiet laptop, several times that under load. Kept here, they are
paid once per model on this computer, not once per library or per model switch.

The file lives in photofind's cache folder (`LibraryPaths.cache_dir`: the platform's cache
folder, or the library's `cache/` with --library or PHOTOFIND_HOME) and is named by the
model's identity: a hash of its manifest (which holds the sha256 of every graph and the
tokenizer, and every text fact) and of the text graph in use (fp32 or int8). Any change to the
model gives another name, so a stale vector is never read.

Writes replace the file whole (`atomicfile`: a kill leaves the old file or the new), merging
what another process wrote meanwhile. A file that cannot be read (damaged, truncated, foreign)
is ignored and written again; a cache folder that cannot be written (read-only media) only
means the vectors are computed again next time. One process at a time computes a model's
missing texts (`computing`): a second waits for it, then finds them here.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import threading
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from photofind import atomicfile
from photofind.library.indexlock import LazyFileLock, acquire_waiting

if TYPE_CHECKING:
    from photofind.clip import ClipModel

log = logging.getLogger(__name__)

FOLDER = "text-vectors"
FORMAT = 1
WAITING = "another photofind is computing this model's label vectors; waiting for it"


def model_key(model: ClipModel) -> str:
    """The model's text identity: its manifest and the text graph it runs."""
    graph = model.graph_path("text").relative_to(model.folder).as_posix()
    facts = json.dumps(
        {"format": FORMAT, "manifest": model.manifest.raw, "graph": graph},
        sort_keys=True,
        ensure_ascii=True,
        default=str,
    )
    return hashlib.sha256(facts.encode("ascii")).hexdigest()[:32]


class TextVectorCache:
    """The cached text vectors of one model; any thread may call any method."""

    def __init__(self, folder: Path, model: ClipModel) -> None:
        key = model_key(model)
        self.path = Path(folder) / f"{key}.npz"
        self.dim = model.embed_dim
        self._lock = threading.Lock()
        self._vectors: dict[str, np.ndarray] = {}
        self._seen: tuple[int, int] | None = None  # (mtime_ns, size) of the file read
        self._process_lock = LazyFileLock(Path(folder) / f"{key}.lock")  # made when computing

    # -- reading --------------------------------------------------------------------------

    def lookup(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """{text: unit vector} of those of `texts` in the cache (the file read again if
        another process changed it)."""
        with self._lock:
            self._reload()
            return {t: self._vectors[t] for t in texts if t in self._vectors}

    def _reload(self) -> None:
        try:
            stat = self.path.stat()
        except OSError:
            self._vectors, self._seen = {}, None
            return
        seen = (stat.st_mtime_ns, stat.st_size)
        if seen != self._seen:
            self._vectors, self._seen = self._read(), seen

    def _read(self) -> dict[str, np.ndarray]:
        try:
            with np.load(self.path, allow_pickle=False) as data:
                texts, vectors = data["texts"], data["vectors"]
                ok = (
                    int(data["format"]) == FORMAT
                    and texts.ndim == 1
                    and vectors.shape == (len(texts), self.dim)
                    and vectors.dtype == np.float32
                    and bool(np.isfinite(vectors).all())
                )
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            log.warning("ignoring the damaged text vector cache %s: %s", self.path, exc)
            return {}
        if not ok:
            log.warning("ignoring the text vector cache %s: not this model's", self.path)
            return {}
        return {str(t): vectors[n] for n, t in enumerate(texts)}

    # -- writing --------------------------------------------------------------------------

    def add(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Keep these vectors (merged with what the file holds now); never raises for the
        disk: the cache is an optimisation."""
        if not len(texts):
            return
        with self._lock:
            self._reload()
            self._vectors.update(zip(texts, np.asarray(vectors, dtype=np.float32), strict=True))
            names = list(self._vectors)
            buffer = io.BytesIO()
            np.savez(
                buffer,
                format=np.int64(FORMAT),
                texts=np.asarray(names, dtype=str),
                vectors=np.stack([self._vectors[t] for t in names]),
            )
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                atomicfile.drop_stale_temps(self.path.parent, f"{self.path.name}.tmp-*")
                atomicfile.write_bytes(self.path, buffer.getvalue())
                stat = self.path.stat()
                self._seen = (stat.st_mtime_ns, stat.st_size)
            except OSError as exc:
                log.warning("cannot write the text vector cache %s: %s", self.path, exc)

    @contextmanager
    def computing(
        self,
        on_wait: Callable[[str], None] | None = None,
        checkpoint: Callable[[], None] | None = None,
    ) -> Iterator[None]:
        """Hold this model's process lock for the block: another process computing the same
        texts finishes first (`on_wait` is told once; `checkpoint` may raise Cancelled). A
        folder that cannot hold the lock does not stop the work."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            acquire_waiting(self._process_lock, WAITING, on_wait, checkpoint)
        except OSError as exc:
            log.warning("cannot lock %s: %s; computing without it", self.path, exc)
            yield
            return
        try:
            yield
        finally:
            self._process_lock.release()


def model_files(folder: Path, model_folder: Path) -> list[Path]:
    """The files of this cache (`folder`) made for the model in `model_folder`, for its fp32
    and its int8 text graph (for removing them with the model)."""
    from photofind.clip import ClipModel

    plain = ClipModel.load(model_folder, verify=False)
    models = [plain]
    if "textual.int8.onnx" in plain.manifest.files:  # what graph_path runs in the fast mode
        models.append(ClipModel.load(model_folder, verify=False, int8=True))
    keys = {model_key(model) for model in models}
    return sorted(p for key in keys for p in Path(folder).glob(f"{key}.*"))


def cache_folder(cache_dir: Path) -> Path:
    """Where the text vector files of a library's cache folder go."""
    return Path(cache_dir) / FOLDER

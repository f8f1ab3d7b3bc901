"""Installed models: one model folder per name under the library's models/ folder.

A model is installed by copying or downloading into a temporary folder next to its final
place, verifying every file, and renaming it into place: a model folder that exists is a
complete one. The active model's name is kept in `models/active`.

Every change to the store runs under one lock between processes (`models/.lock`, an OS file
lock that dies with its process), and starts by removing what a process killed mid-change
left behind (`.incoming-*` folders, `active.tmp`): while the lock is held nobody else is
writing, so everything of that kind is a dead process's. Downloads have their own lock per
model (`models/.downloads/<name>.lock`); their files live in the user's hub cache
(hubclient.py), where a partial one waits for the next try.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from photofind import atomicfile
from photofind.clip.graphweights import externalize_folder, inline_graphs
from photofind.clip.manifest import Manifest, read_manifest, verify_model_folder
from photofind.clip.stamp import write_stamp
from photofind.errors import DownloadError, ModelError, ModelFolderError
from photofind.modelstore.download import Downloaded, place
from photofind.tasks import BYTES, ProgressCallback, ProgressMeter, TaskControl

if TYPE_CHECKING:
    from filelock import FileLock

    from photofind.modelstore.hubclient import HubFile

log = logging.getLogger(__name__)

ACTIVE = "active"
TEMP_PREFIX = ".incoming-"
OLD_PREFIX = f"{TEMP_PREFIX}old-"  # an installed model renamed aside while a new copy replaces it
LOCK = ".lock"
DOWNLOADS = ".downloads"  # per-model locks: one install of a model at a time
DOWNLOAD_PHASE = "download"
REPORT_EVERY = 0.1  # seconds between download progress reports


@dataclass(frozen=True)
class InstalledModel:
    name: str
    folder: Path
    manifest: Manifest


class ModelStore:
    """The models a user has, and which one is in use.

    Any thread may use a store: changes wait for one another (threads and processes alike)
    on the store's lock; reads (installed, active_name, get) never wait.
    """

    def __init__(self, models_dir: Path) -> None:
        self.root = Path(models_dir)
        self._store_lock: FileLock | None = None
        self._making_lock = threading.Lock()

    @property
    def _lock(self) -> FileLock:
        """The store's file lock, re-entrant within a thread; made on first use, so reading
        the store (every search) never imports filelock."""
        with self._making_lock:
            if self._store_lock is None:
                from filelock import FileLock

                self._store_lock = FileLock(self.root / LOCK)
            return self._store_lock

    def _ensure(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)

    @contextmanager
    def _changing(self, control: TaskControl | None = None) -> Iterator[None]:
        """Hold the store's lock (waiting for another process's change to end), after
        removing what a killed process left."""
        self._ensure()
        wait_for_lock(self._lock, control)
        try:
            if self._lock.lock_counter == 1:
                self._sweep()
            yield
        finally:
            self._lock.release()

    def _sweep(self) -> None:
        for name in self._interrupted_swaps():
            log.warning("putting back %s: a process was stopped while it replaced it", name)
            (self.root / f"{OLD_PREFIX}{name}").rename(self.root / name)
        for leftover in self.root.glob(f"{TEMP_PREFIX}*"):
            log.info("removing %s, left by an install that did not finish", leftover)
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)
        (self.root / f"{ACTIVE}.tmp").unlink(missing_ok=True)

    def _interrupted_swaps(self) -> list[str]:
        """Models an install renamed aside to put a new copy in their place, and was killed
        before it did (`install_from` renames twice): the old copy is the model."""
        if not self.root.is_dir():
            return []
        found = []
        for old in self.root.glob(f"{OLD_PREFIX}*"):
            name = old.name[len(OLD_PREFIX) :]
            complete = _safe_name(name) and (old / "manifest.json").is_file()
            if complete and not (self.root / name).exists():
                found.append(name)
        return found

    def _tidy_before_reading(self) -> None:
        """Before a read, tidy what a killed install left: a model it renamed aside is put
        back (waiting for the store's lock: a live install holds it across its renames), and
        its other leftovers (a half-copied model can be gigabytes) are removed when no other
        process is changing the store; a reading process never waits for that."""
        if not self.root.is_dir() or not any(self.root.glob(f"{TEMP_PREFIX}*")):
            return
        if self._interrupted_swaps():
            try:
                with self._changing():
                    return
            except OSError as exc:  # a store on media we may only read
                log.warning("cannot put back a model a stopped install renamed: %s", exc)
                return
        from filelock import Timeout

        try:
            self._lock.acquire(timeout=0)
        except (Timeout, OSError):  # a live change, or a store we may only read
            return
        try:
            if self._lock.lock_counter == 1:
                self._sweep()
        finally:
            self._lock.release()

    def installed(self) -> list[InstalledModel]:
        """Complete, readable model folders (damaged ones are logged and left out)."""
        if not self.root.is_dir():
            return []
        self._tidy_before_reading()
        found = []
        for folder in sorted(self.root.iterdir()):
            if not folder.is_dir() or folder.name.startswith("."):
                continue
            try:
                found.append(InstalledModel(folder.name, folder, read_manifest(folder)))
            except ModelFolderError as exc:
                log.warning("skipping %s: %s", folder, exc)
        return found

    def get(self, name: str) -> Path:
        folder = self.root / name
        if not folder.exists():
            self._tidy_before_reading()
        if not _safe_name(name) or not (folder / "manifest.json").is_file():
            raise ModelError(f"no installed model named {name!r} (see `photofind model list`)")
        return folder

    def active_name(self) -> str | None:
        """The model in use; falls back to the only installed one."""
        try:
            name = (self.root / ACTIVE).read_text(encoding="utf-8").strip()
        except OSError:
            name = ""
        names = [m.name for m in self.installed()]
        if name in names:
            return name
        return names[0] if len(names) == 1 else None

    def use(self, name: str) -> None:
        with self._changing():
            self.get(name)
            atomicfile.write_text(self.root / ACTIVE, name + "\n")

    def verify(self, name: str) -> Manifest:
        """Check every file's sha256; ModelFolderError names a damaged one. A model installed
        before graphs kept their weights apart (`photofind.clip.graphweights`) is then
        stored that way, through a work folder like an install, so its sessions open fast."""
        folder = self.get(name)
        manifest = verify_model_folder(folder)
        if not inline_graphs(manifest):
            return manifest
        log.info("storing the graphs of %s with their weights apart", name)
        try:
            self.install_from(lambda work: _link_tree(folder, work), name)
        except ModelError as exc:  # e.g. a running photofind holds the files (Windows)
            log.warning("%s stays as it is: %s", name, exc)
            return manifest
        return read_manifest(self.get(name))

    def remove(self, name: str) -> None:
        with self._changing():
            folder = self.get(name)
            trash = self.root / f"{TEMP_PREFIX}removed-{name}"
            folder.rename(trash)  # atomic: the model is gone at once, however big
            shutil.rmtree(trash, ignore_errors=True)
            if self.active_name() is None:
                (self.root / ACTIVE).unlink(missing_ok=True)

    def import_folder(self, source: Path, *, name: str | None = None) -> InstalledModel:
        """Copy a model folder made by models/export_onnx.py (verified before and after), or
        convert one in a published layout (`layouts.kind_of_folder`: Immich's, from its hub or
        an Immich server's cache; rclip's model folder)."""
        from photofind.modelstore import layouts

        source = Path(source)
        kind = None if (source / "manifest.json").exists() else layouts.kind_of_folder(source)
        if kind is not None:
            chosen = name or source.name

            def convert(work: Path) -> None:
                layouts.convert(kind, source, work, name=chosen)

            return self.install_from(convert, chosen)
        manifest = verify_model_folder(source)
        name = name or manifest.name
        return self.install_from(lambda work: _copy_tree(source, work), name)

    def install_from(
        self, fill: Callable[[Path], object], name: str, control: TaskControl | None = None
    ) -> InstalledModel:
        """Run `fill(work_dir)`, verify the result, then rename it into place."""
        if not _safe_name(name):
            raise ModelError(f"bad model name {name!r}")
        with self._changing(control):
            work = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{name}-", dir=self.root))
            target = self.root / name
            try:
                fill(work)
                verify_model_folder(work)
                if externalize_folder(work):  # weights ONNX Runtime maps: fast session loads
                    write_stamp(read_manifest(work))  # the rewrite hashed what it wrote
                if target.exists():
                    old = self.root / f"{OLD_PREFIX}{name}"  # a kill next: _sweep puts it back
                    target.rename(old)
                    work.rename(target)
                    shutil.rmtree(old, ignore_errors=True)
                else:
                    work.rename(target)
            except OSError as exc:
                raise ModelError(f"cannot install {name}: {exc.strerror or exc}") from None
            finally:
                shutil.rmtree(work, ignore_errors=True)
            if self.active_name() is None or not (self.root / ACTIVE).exists():
                self.use(name)
            return InstalledModel(name, target, read_manifest(target))

    def install(
        self,
        name: str,
        *,
        progress: ProgressCallback | None = None,
        control: TaskControl | None = None,
    ) -> InstalledModel:
        """Download a model listed in the package's model catalog and install it.

        The files come through huggingface_hub into the user's hub cache (hubclient.py): what
        is already there is not fetched again, and a failed, cancelled or killed install
        resumes where it stopped. `progress` is called from this thread with
        `Progress(phase="download")` in bytes.
        """
        from photofind.modelstore import hubclient, layouts
        from photofind.modelstore.registry import find_entry

        entry = find_entry(name)
        if not _safe_name(name):
            raise ModelError(f"bad model name {name!r}")
        kind = layouts.kind_of_entry(entry)
        if kind is None:
            raise DownloadError(
                f"{name} has no published download yet; export it with "
                "models/export_onnx.py and run `photofind model import DIR`"
            )
        source = entry["source"]
        subfolder = (source.get("subfolder") or "").strip("/")
        prefix = f"{subfolder}/" if subfolder else ""
        patterns = [prefix + p for p in layouts.wanted_files(entry)]
        (self.root / DOWNLOADS).mkdir(parents=True, exist_ok=True)
        from filelock import FileLock, Timeout

        lock = FileLock(self.root / DOWNLOADS / f"{name}{LOCK}")
        try:
            lock.acquire(timeout=0)
        except Timeout:
            raise DownloadError(
                f"another photofind is already downloading {name}; let it finish"
            ) from None
        try:
            # Where photofind < the hub cache kept finished files: nothing reads it any more.
            shutil.rmtree(self.root / DOWNLOADS / name, ignore_errors=True)
            report = _DownloadReport(progress, control)
            snapshot = hubclient.fetch(
                source["repo"],
                source.get("revision", ""),
                patterns,
                on_plan=report.plan,
                on_bytes=report.grew,
                control=control,
                # registry.json says why where it could not pin a commit (revision_note)
                branch_allowed=bool(source.get("revision_note")),
            )
            report.finish()
            got = [
                Downloaded(path.removeprefix(prefix), snapshot.folder / path, sha256)
                for path, sha256 in snapshot.sha256.items()
            ]

            def fill(work: Path) -> None:
                staging = work / ".staging"
                place(got, staging)
                try:
                    layouts.convert(
                        kind,
                        staging,
                        work,
                        name=name,
                        entry=entry,
                        move=True,
                        hashes={item.path: item.sha256 for item in got},
                    )
                finally:
                    shutil.rmtree(staging, ignore_errors=True)

            return self.install_from(fill, name, control)
        finally:
            lock.release()


class _DownloadReport:
    """Bytes on disk over the whole download, reported as `Progress(phase="download")` at
    most every REPORT_EVERY seconds, and at the start, at the end of every file (so each file
    is named at least once, however fast it came) and at the end."""

    def __init__(self, progress: ProgressCallback | None, control: TaskControl | None) -> None:
        self.progress, self.control = progress, control
        self.meter: ProgressMeter | None = None
        self.sizes: dict[str, int] = {}
        self.expected: dict[str, int] = {}
        self.last = -float("inf")

    def plan(self, files: list[HubFile], on_disk: dict[str, int]) -> None:
        """What will be fetched, and how much of each file an earlier run left."""
        self.sizes = dict(on_disk)
        self.expected = {f.path: f.size for f in files}
        total = sum(f.size for f in files)
        done = sum(on_disk.values())
        self.meter = ProgressMeter(
            DOWNLOAD_PHASE, total, unit=BYTES, control=self.control, done=done
        )
        if done:
            self.report(None, force=True)  # what an earlier run left: the bar starts there

    def grew(self, path: str, size: int) -> None:
        self.sizes[path] = size
        self.report(path, force=size >= self.expected.get(path, size + 1))

    def report(self, current: str | None, force: bool = False) -> None:
        now = time.monotonic()
        if self.progress is None or self.meter is None:
            return
        if force or now - self.last >= REPORT_EVERY:
            done = min(self.meter.total, sum(self.sizes.values()))
            self.progress(self.meter.update(done, current=current))
            self.last = now

    def finish(self) -> None:
        if self.progress is not None and self.meter is not None and self.meter.total:
            self.progress(self.meter.update(self.meter.total))


def wait_for_lock(lock: FileLock, control: TaskControl | None) -> None:
    """Wait for `lock`, still answering a cancel (an OS lock wait cannot be interrupted)."""
    from filelock import Timeout

    while True:
        try:
            lock.acquire(timeout=0.2)
            return
        except Timeout:
            if control is not None:
                control.checkpoint()


def _safe_name(name: str) -> bool:
    return bool(name) and not name.startswith(".") and "/" not in name and "\\" not in name


def _link_tree(source: Path, target: Path) -> None:
    """A copy of `source` whose files are hard links where the file system allows (the
    rewrite replaces graphs by new files, never writes into one), else copies."""
    for path in source.rglob("*"):
        relative = path.relative_to(source)
        if path.is_dir():
            (target / relative).mkdir(parents=True, exist_ok=True)
            continue
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, target / relative)
        except OSError:
            shutil.copy2(path, target / relative)


def _copy_tree(source: Path, target: Path) -> None:
    for path in source.rglob("*"):
        relative = path.relative_to(source)
        if path.is_dir():
            (target / relative).mkdir(parents=True, exist_ok=True)
        else:
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target / relative)

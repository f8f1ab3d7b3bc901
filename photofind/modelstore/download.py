"""Resumable, verified downloads into a model's download area, kept until the model is in place.

Each file is fetched into `<key>.part` in the area (`models/.downloads/<name>/`), resumed with
a Range request when a part is there, checked (size, sha256, the hub's git blob hash) and then
renamed `<key>.done`. Finished files stay in the area until the whole model is installed, so a
failure in a later file, a refused install or a killed process re-downloads nothing that was
finished; the store empties the area only once the model folder is in place. Progress is
reported as `Progress(phase="download", unit="bytes")` over the whole model.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import time
import urllib.error
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from photofind.clip.manifest import sha256_file
from photofind.errors import DownloadError
from photofind.modelstore import web
from photofind.tasks import BYTES, ProgressCallback, ProgressMeter, TaskControl

CHUNK = 1 << 16
REPORT_EVERY = 0.1  # seconds between progress reports (and one at the end of every file)
PHASE = "download"


@dataclass(frozen=True)
class Downloaded:
    """One finished, verified file: its path in the model and where it lies in the area."""

    path: str
    file: Path
    sha256: str


class _Digest:
    """The sha256 of a part's bytes, kept up to date as it grows: the part is read once, as it
    arrives, and never again to check it (a resumed part's earlier bytes are read once)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.sha = hashlib.sha256()
        self.count = 0

    def catch_up(self, part: Path, have: int) -> None:
        """Hash the part's bytes up to `have` (from the start, if it was begun again)."""
        if have < self.count:
            self.reset()
        if have > self.count:
            with part.open("rb") as stream:
                stream.seek(self.count)
                while self.count < have and (chunk := stream.read(min(CHUNK, have - self.count))):
                    self.add(chunk)

    def add(self, chunk: bytes) -> None:
        self.sha.update(chunk)
        self.count += len(chunk)


def fetch(
    url: str,
    part: Path,
    *,
    size: int | None = None,
    on_size: Callable[[int], None] | None = None,
    control: TaskControl | None = None,
    retries: int = web.RETRIES,
) -> str:
    """Download `url` into `part`, resuming what is there; returns the complete part's sha256.

    `on_size(bytes_in_part)` is called after every chunk (from this thread).
    """
    retry = web.Retry(url, control, retries)
    digest = _Digest()
    while True:
        have = part.stat().st_size if part.exists() else 0
        if size is not None and have > size:
            part.unlink()
            have = 0
        if size is not None and have == size:
            digest.catch_up(part, have)
            return digest.sha.hexdigest()
        if control is not None:
            control.checkpoint()
        try:
            with web.request(url, start=have) as response:
                if have and not _resumes(response, have):
                    have = 0  # the server ignored Range (or sent another range): start over
                digest.catch_up(part, have)
                expected = response.headers.get("Content-Length")
                total = have + int(expected) if expected is not None else None
                # Unbuffered, and read1 hands over what has arrived: what a killed process
                # received is on disk for the next run, and progress moves on a slow link.
                with part.open("ab" if have else "wb", buffering=0) as out:
                    while chunk := response.read1(CHUNK):
                        _write_all(out, chunk)
                        digest.add(chunk)
                        retry.progressed()
                        if on_size is not None:
                            on_size(digest.count)
                        if control is not None:
                            control.checkpoint()
                if total is not None and digest.count < total:
                    raise ConnectionError(f"connection closed at {digest.count} of {total} bytes")
                return digest.sha.hexdigest()
        except urllib.error.HTTPError as exc:
            if exc.code == 416 and have:
                if size is not None and have >= size:
                    digest.catch_up(part, have)
                    return digest.sha.hexdigest()
                part.unlink(missing_ok=True)  # a part the server does not know: start over
            retry.failed(exc, part.name)
        except (OSError, http.client.HTTPException) as exc:
            retry.failed(exc, part.name)


def _write_all(out: Any, chunk: bytes) -> None:
    view = memoryview(chunk)
    while view:
        view = view[out.write(view) :]


def _resumes(response: Any, have: int) -> bool:
    if response.status != 206:
        return False
    content_range = response.headers.get("Content-Range") or ""
    return content_range.startswith(f"bytes {have}-")


def git_blob_sha1(path: Path) -> str:
    """The hash git (and so the Hugging Face hub) gives a small file's content."""
    digest = hashlib.sha1(f"blob {path.stat().st_size}\0".encode(), usedforsecurity=False)
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _key(entry: dict[str, Any]) -> str:
    """The area's name for a file: its path and expected content (or URL when none is known)."""
    content = entry.get("sha256") or entry.get("git_sha1") or entry["url"]
    return hashlib.sha256(f"{entry['path']}\0{content}".encode()).hexdigest()[:32]


def _verify(part: Path, entry: dict[str, Any], size: int | None, digest: str) -> None:
    """Check a complete part's size and hashes (its sha256 `digest` taken as it arrived); a
    bad part is deleted."""
    name = entry["path"]
    got = part.stat().st_size
    if size is not None and got != size:
        part.unlink(missing_ok=True)
        raise DownloadError(f"{name}: got {got} bytes, expected {size}; try again")
    expected = entry.get("sha256")
    if expected and digest != expected.lower():
        part.unlink(missing_ok=True)
        raise DownloadError(f"{name} failed its checksum (sha256 {digest[:12]}…); try again")
    blob = entry.get("git_sha1")
    if blob and git_blob_sha1(part) != blob.lower():
        part.unlink(missing_ok=True)
        raise DownloadError(f"{name} does not match the hub's record of it; try again")


def download_files(
    files: list[dict[str, Any]],
    area: Path,
    progress: ProgressCallback | None = None,
    control: TaskControl | None = None,
) -> list[Downloaded]:
    """Fetch every {"path", "url", "size", "sha256", "git_sha1"} into `area`, verified.

    Files finished by an earlier run (`<key>.done`) are not fetched again. A file whose
    sha256 is null is accepted on its size and git hash, and its sha256 is computed here.
    `progress` is called from this thread.
    """
    area.mkdir(parents=True, exist_ok=True)
    sizes = [int(f["size"]) if f.get("size") else None for f in files]
    keys = [_key(f) for f in files]
    for stale in area.iterdir():  # files of a revision the hub no longer lists, or other runs'
        if stale.stem not in keys and stale.is_file():
            stale.unlink(missing_ok=True)
    on_disk = []
    for key, size in zip(keys, sizes, strict=True):
        done, part = area / f"{key}.done", area / f"{key}.part"
        found = done if done.exists() else part if part.exists() else None
        have = found.stat().st_size if found is not None else 0
        on_disk.append(min(have, size) if size is not None else have)
    meter = ProgressMeter(
        PHASE, sum(s or 0 for s in sizes), unit=BYTES, control=control, done=sum(on_disk)
    )
    last_report = -float("inf")

    def report(current: str, force: bool = False) -> None:
        nonlocal last_report
        now = time.monotonic()
        if progress is not None and (force or now - last_report >= REPORT_EVERY):
            progress(meter.update(sum(on_disk), current=current or None))
            last_report = now

    if any(on_disk):
        report("", force=True)  # what an earlier run left: the bar starts there
    result = []
    for index, entry in enumerate(files):
        size, done = sizes[index], area / f"{keys[index]}.done"
        if done.exists() and (size is None or done.stat().st_size == size):
            # Verified before it was renamed; only a file with no catalog hash is hashed again.
            digest = entry.get("sha256") or sha256_file(done)
        else:
            part = area / f"{keys[index]}.part"

            def on_size(n: int, index: int = index, name: str = entry["path"]) -> None:
                on_disk[index] = n
                report(name)

            digest = fetch(entry["url"], part, size=size, on_size=on_size, control=control)
            _verify(part, entry, size, digest)
            part.replace(done)
            on_disk[index] = done.stat().st_size
            report(entry["path"], force=True)
        result.append(Downloaded(entry["path"], done, digest.lower()))
    return result


def place(downloaded: list[Downloaded], target: Path) -> None:
    """Put the finished files into `target` at their paths, leaving the area intact where the
    file system allows (hard links): a failed install then still has every file to retry."""
    for item in downloaded:
        destination = target / item.path
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(item.file, destination)
        except OSError:
            os.replace(item.file, destination)  # FAT/exFAT and the like: no links, move


def entry_files(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """A catalog entry's files when they carry their own URLs (photofind's own exports)."""
    files = entry.get("files") or []
    if not files or not all(f.get("url") for f in files):
        raise DownloadError(
            f"{entry['name']} has no published download yet; export it with "
            "models/export_onnx.py and run `photofind model import DIR`"
        )
    return list(files)

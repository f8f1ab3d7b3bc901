"""Blobs of the hub cache as photofind writes and checks them (no network here).

A file of a repository is stored once, as `blobs/<etag>` in huggingface_hub's cache, where the
etag is the hub's record of its content: the sha256 of an LFS file, the git blob sha1 of a
small one. photofind fetches into `blobs/<etag>.incomplete` (hubclient.py says why), resumes
it, and checks a finished file against its etag before it gets that name; a file found in the
cache is checked against its blob's name the same way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from photofind.errors import DownloadError
from photofind.tasks import TaskControl

BytesCallback = Callable[[str, int], None]  # (path in the repository, bytes of it on disk)
READ = 1 << 20


@dataclass(frozen=True)
class HubFile:
    """One file of a repository at a commit, as the hub lists it."""

    path: str
    size: int
    etag: str  # the name of its blob in the cache: sha256 (LFS) or git blob sha1
    lfs: bool


def git_blob_sha1(data: bytes) -> str:
    """The hash git (and so the hub) gives a small file's content."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def partial(blobs: Path, item: HubFile) -> Path:
    return blobs / f"{item.etag}.incomplete"


def partial_size(blobs: Path, item: HubFile) -> int:
    """Bytes of `item` an earlier run left in its partial file."""
    part = partial(blobs, item)
    return min(part.stat().st_size, item.size) if part.is_file() else 0


class PartFile:
    """The partial file `http_get` writes into: unbuffered (what arrived is on disk for the
    next run), hashed as it grows, reporting its size and answering a cancel after each chunk."""

    def __init__(
        self,
        path: Path,
        name: str,
        on_bytes: BytesCallback | None,
        control: TaskControl | None,
    ) -> None:
        self.path, self.name, self.on_bytes, self.control = path, name, on_bytes, control
        self.stream: Any = None
        self.digest = hashlib.sha256()
        self.size = 0

    def __enter__(self) -> PartFile:
        self.stream = self.path.open("r+b" if self.path.exists() else "w+b", buffering=0)
        while chunk := self.stream.read(READ):  # the resumed bytes, hashed once
            self.digest.update(chunk)
            self.size += len(chunk)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stream.close()

    def write(self, chunk: bytes) -> int:
        view = memoryview(chunk)
        while view:
            view = view[self.stream.write(view) :]
        self.digest.update(chunk)
        self.size += len(chunk)
        if self.on_bytes is not None:
            self.on_bytes(self.name, self.size)
        if self.control is not None:
            self.control.checkpoint()
        return len(chunk)

    def tell(self) -> int:
        return int(self.stream.tell())

    def seek(self, offset: int, whence: int = 0) -> int:
        return int(self.stream.seek(offset, whence))

    def truncate(self, size: int | None = None) -> int:
        """The server ignored Range: http_get starts over, and so does the hash."""
        kept = int(self.stream.truncate(size))
        self.digest, self.size = hashlib.sha256(), 0
        self.stream.seek(0)
        while chunk := self.stream.read(READ):
            self.digest.update(chunk)
            self.size += len(chunk)
        return kept

    def sha256(self) -> str:
        return self.digest.hexdigest()


def verify_part(path: Path, item: HubFile, sha256: str) -> None:
    """A finished partial file against the hub's record (its sha256 taken as it arrived); a
    bad one is deleted, so the next try starts over."""
    got = path.stat().st_size
    if got != item.size:
        path.unlink(missing_ok=True)
        raise DownloadError(f"{item.path}: got {got} bytes, expected {item.size}; try again")
    if item.lfs and sha256 != item.etag:
        path.unlink(missing_ok=True)
        raise DownloadError(f"{item.path} failed its checksum (sha256 {sha256[:12]}…); try again")
    if not item.lfs and git_blob_sha1(path.read_bytes()) != item.etag:
        path.unlink(missing_ok=True)
        raise DownloadError(f"{item.path} does not match the hub's record of it; try again")


def cached_sha256(folder: Path, path: str) -> str:
    """The sha256 of a file of a cached snapshot, after checking it against its blob's name."""
    blob = (folder / path).resolve()  # snapshot entries are links to blobs/<etag>
    etag = blob.name
    return checked_blob(blob, HubFile(path, blob.stat().st_size, etag, len(etag) == 64))


def checked_blob(blob: Path, item: HubFile) -> str:
    """The sha256 of a finished blob, which must match its etag."""
    digest = hashlib.sha256()
    with blob.open("rb") as stream:
        while chunk := stream.read(READ):
            digest.update(chunk)
    sha256 = digest.hexdigest()
    small = not item.lfs and len(item.etag) == 40
    if (item.lfs and sha256 != item.etag) or (
        small and git_blob_sha1(blob.read_bytes()) != item.etag
    ):
        raise DownloadError(
            f"{item.path} in the hub cache ({blob}) is damaged; delete it and install again"
        )
    return sha256

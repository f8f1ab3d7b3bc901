"""HTTP(S) downloads that survive a dropped connection and never leave half a file in use.

Each file is fetched into `<name>.part` in the store's download area, resumed with a Range
request when a part is already there, checked (size, sha256 when the catalog has one) and
only then moved into the model's temporary folder. This is the only network access in the
app, and it only happens when the user asks for a model.
"""

from __future__ import annotations

import errno
import hashlib
import json
import socket
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from photofind.clip.manifest import sha256_file
from photofind.errors import Cancelled, DownloadError
from photofind.models import tls

CHUNK = 1 << 16
TIMEOUT = 30.0
RETRIES = 5
USER_AGENT = "photofind-model-installer"


@dataclass(frozen=True)
class DownloadProgress:
    """Bytes so far of the whole model, for a progress bar."""

    done: int
    total: int
    rate: float
    current: str

    @property
    def eta(self) -> float | None:
        return (self.total - self.done) / self.rate if self.rate > 0 and self.total else None


ProgressFn = Callable[[DownloadProgress], None]


def _check_cancel(control: Any) -> None:
    if control is not None:
        checkpoint = getattr(control, "checkpoint", None)
        if checkpoint is not None:
            checkpoint()
        elif getattr(control, "cancelled", False):
            raise Cancelled("download cancelled")


def fetch(
    url: str,
    part: Path,
    *,
    size: int | None = None,
    on_bytes: Callable[[int], None] | None = None,
    control: Any = None,
    retries: int = RETRIES,
) -> Path:
    """Download `url` into `part`, resuming what is there; returns `part` when complete."""
    attempt = 0
    while True:
        have = part.stat().st_size if part.exists() else 0
        if size is not None and have == size:
            return part
        if size is not None and have > size:
            part.unlink()
            have = 0
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
        if have:
            request.add_header("Range", f"bytes={have}-")
        try:
            with urllib.request.urlopen(
                request, timeout=TIMEOUT, context=tls.context()
            ) as response:
                if have and response.status != 206:
                    have = 0  # the server ignored Range: start over
                expected = response.headers.get("Content-Length")
                total = have + int(expected) if expected is not None else None
                with part.open("ab" if have else "wb") as out:
                    while True:
                        _check_cancel(control)
                        chunk = response.read(CHUNK)
                        if not chunk:
                            break
                        out.write(chunk)
                        if on_bytes is not None:
                            on_bytes(len(chunk))
                got = part.stat().st_size
                if total is not None and got < total:
                    raise ConnectionError(f"connection closed at {got} of {total} bytes")
                return part
        except urllib.error.HTTPError as exc:
            if exc.code == 416 and size is not None and have >= size:
                return part
            if exc.code == 404:
                raise DownloadError(f"{url} is not there (404 Not Found)") from None
            if exc.code < 500 or attempt >= retries:
                raise DownloadError(f"{url}: HTTP {exc.code} {exc.reason}") from None
        except urllib.error.URLError as exc:
            if attempt >= retries:
                reason = exc.reason if isinstance(exc.reason, str) else str(exc.reason)
                raise DownloadError(f"cannot reach {url} ({reason}); are you online?") from None
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise DownloadError(f"the disk is full while saving {part.name}") from None
            if not isinstance(exc, ConnectionError | socket.timeout | TimeoutError):
                raise DownloadError(f"cannot save {part.name}: {exc.strerror or exc}") from None
            if attempt >= retries:
                raise DownloadError(f"{url}: the connection kept dropping ({exc})") from None
        attempt += 1
        time.sleep(min(0.2 * 2**attempt, 5.0))


def fetch_json(url: str, *, control: Any = None) -> Any:
    """A small JSON document (a hub's file listing), with fetch's retries and messages."""
    with tempfile.TemporaryDirectory(prefix="photofind-") as tmp:
        path = fetch(url, Path(tmp) / "listing.json", control=control)
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DownloadError(f"{url} did not return JSON ({exc})") from None


def git_blob_sha1(path: Path) -> str:
    """The hash git (and so the Hugging Face hub) gives a small file's content."""
    digest = hashlib.sha1(f"blob {path.stat().st_size}\0".encode(), usedforsecurity=False)
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def download_files(
    files: list[dict[str, Any]],
    target: Path,
    parts_dir: Path,
    progress: ProgressFn | None = None,
    control: Any = None,
) -> dict[str, str]:
    """Fetch every {"path", "url", "size", "sha256"} into `target`; returns the hashes seen.

    A file whose sha256 is null is accepted on its size (and on "git_sha1", the hub's blob
    hash, when given) and its hash is returned so the installer can record it.
    """
    parts_dir.mkdir(parents=True, exist_ok=True)
    total = sum(int(f.get("size") or 0) for f in files)
    done = sum(
        min((parts_dir / _part_name(f)).stat().st_size, int(f.get("size") or 0))
        for f in files
        if (parts_dir / _part_name(f)).exists()
    )
    started, start_done = time.monotonic(), done
    seen: dict[str, str] = {}
    for entry in files:
        name = entry["path"]

        def advance(n: int, name: str = name) -> None:
            nonlocal done
            done += n
            if progress is not None:
                elapsed = time.monotonic() - started
                rate = (done - start_done) / elapsed if elapsed > 0 else 0.0
                progress(DownloadProgress(done, total, rate, name))

        part = parts_dir / _part_name(entry)
        size = int(entry["size"]) if entry.get("size") else None
        fetch(entry["url"], part, size=size, on_bytes=advance, control=control)
        got = part.stat().st_size
        if size is not None and got != size:
            part.unlink(missing_ok=True)
            raise DownloadError(f"{name}: got {got} bytes, expected {size}; try again")
        digest = sha256_file(part)
        expected = entry.get("sha256")
        if expected and digest != expected.lower():
            part.unlink(missing_ok=True)
            raise DownloadError(f"{name} failed its checksum (sha256 {digest[:12]}…); try again")
        blob = entry.get("git_sha1")
        if blob and git_blob_sha1(part) != blob.lower():
            part.unlink(missing_ok=True)
            raise DownloadError(f"{name} does not match the hub's record of it; try again")
        seen[name] = digest
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        part.replace(destination)
    return seen


def _part_name(entry: dict[str, Any]) -> str:
    key = entry.get("sha256") or hashlib.sha256(entry["url"].encode()).hexdigest()
    return f"{key[:24]}.part"


def download_entry(
    entry: dict[str, Any],
    target: Path,
    parts_dir: Path,
    progress: ProgressFn | None = None,
    control: Any = None,
) -> None:
    """Fetch a catalog entry's model folder into `target` (parts kept for resuming)."""
    files = entry.get("files") or []
    if not files or not all(f.get("url") for f in files):
        raise DownloadError(
            f"{entry['name']} has no published download yet; export it with "
            "models/export_onnx.py and run `photofind model import DIR`"
        )
    download_files(files, target, parts_dir, progress, control)

"""The Hugging Face hub, through `huggingface_hub`: the only module that imports it.

Privacy first: telemetry, implicit token sending, update checks and huggingface_hub's own
progress bars are switched off in the environment *before* huggingface_hub is imported (it reads
them once, at import), and every call also passes `token=False`. What goes out is the listing of
one pinned commit and the files an install needs, with a user agent naming library versions.

Where the files go: the user's hub cache (`HF_HUB_CACHE`, `HF_HOME`, `~/.cache/huggingface/hub`,
read on each install), so a model already fetched by any Hugging Face tool is installed with no
request at all, and what photofind fetches is there for those tools too. `HF_ENDPOINT` (a
mirror), proxies (`HTTPS_PROXY`, ...) and `HF_HUB_OFFLINE` work as in every Hugging Face tool.

Why photofind writes a blob's bytes itself (with huggingface_hub's `http_get`): since
huggingface_hub 1.18 a download goes to a process-unique temporary file that is deleted on
failure (huggingface/huggingface_hub#4196), so nothing survives a cancel or a kill. Here each
blob is fetched into `blobs/<etag>.incomplete` (the name older huggingface_hub versions resumed
too), resumed with a Range request, checked against the hub's hash (the etag: sha256 for LFS
files, the git blob hash for others) and renamed to `blobs/<etag>`; huggingface_hub's own
`snapshot_download` then links the snapshot and records the commit's listing, as it does for its
own downloads. Xet transfers are switched off: they bypass the partial file, so neither resume
nor cancel would reach them.
"""

from __future__ import annotations

import contextlib
import contextvars
import errno
import logging as logging_std
import os
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

# Before huggingface_hub is imported (it reads these once): forced, not defaults, since
# "nothing leaves the machine but the model" is photofind's promise, not a preference.
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_HUB_DISABLE_IMPLICIT_TOKEN"] = "1"
os.environ["HF_HUB_DISABLE_UPDATE_CHECK"] = "1"
os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"  # photofind draws its own
os.environ["HF_HUB_DISABLE_XET"] = "1"  # see the module docstring

import httpx2
from filelock import FileLock
from huggingface_hub import HfApi, constants, hf_hub_url, set_client_factory
from huggingface_hub import errors as hub_errors
from huggingface_hub import snapshot_download as _snapshot_download
from huggingface_hub.file_download import http_get, repo_folder_name
from huggingface_hub.hf_api import RepoFile
from huggingface_hub.utils import build_hf_headers, filter_repo_objects, logging
from huggingface_hub.utils._http import close_session, hf_request_event_hook

from photofind.appinfo import VERSION
from photofind.errors import DownloadError
from photofind.modelstore import blobs, tls
from photofind.modelstore.blobs import BytesCallback, HubFile
from photofind.modelstore.store import wait_for_lock
from photofind.tasks import TaskControl

log = logging_std.getLogger(__name__)

# Even if something imported huggingface_hub first, its module-level switches say the same.
constants.HF_HUB_DISABLE_TELEMETRY = True
constants.HF_HUB_DISABLE_IMPLICIT_TOKEN = True
# huggingface_hub reads 10 MiB before handing bytes over; 64 KiB keeps a cancel and a kill -9
# (what reached the disk is resumed) within a fraction of a second on a slow link.
CHUNK = 1 << 16
constants.DOWNLOAD_CHUNK_SIZE = CHUNK
# Its warnings ("Trying to resume download...") went to stderr by its own handler; photofind
# reports what matters itself (a retry is invisible, a failure is one DownloadError line).
logging.set_verbosity_error()

DEFAULT_ENDPOINT = "https://huggingface.co"
COMMIT = re.compile(r"[0-9a-f]{40}")
LIBRARY = "photofind"
UNPINNED_FOR_TESTS = "PHOTOFIND_UNPINNED_REVISIONS_FOR_TESTS"


@dataclass(frozen=True)
class Snapshot:
    """Files of one commit in the hub cache: `folder/<path>` for each path of `sha256`."""

    folder: Path
    sha256: dict[str, str]


def endpoint() -> str:
    """The hub's base URL: $HF_ENDPOINT, else huggingface.co (read on each install)."""
    return (os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def cache_dir() -> Path:
    """The user's hub cache, found as huggingface_hub finds it, but read on each install."""
    for variable in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        if os.environ.get(variable):
            return Path(os.path.expandvars(os.environ[variable])).expanduser()
    home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
        "huggingface",
    )
    return Path(os.path.expandvars(home)).expanduser() / "hub"


def offline() -> bool:
    value = os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE") or ""
    return value.upper() in constants.ENV_VARS_TRUE_VALUES


# -- the HTTP client: huggingface_hub's, with the CA certificates tls.py chooses ---------------

_client_trust: tuple[str | None, ...] | None = None
# What a client is made from (httpx2 reads the proxy variables when it is made).
PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY")


def _settings() -> tuple[str | None, ...]:
    names = (*PROXY_VARIABLES, *(v.lower() for v in PROXY_VARIABLES))
    return (*tls.configured(), *(os.environ.get(v) for v in names))


_control: contextvars.ContextVar[TaskControl | None] = contextvars.ContextVar(
    "photofind_hub_control", default=None
)


class _Client(httpx2.Client):
    """huggingface_hub's client, but a cancel is answered before every request (huggingface_hub
    retries a dead connection for half a minute) and during a stalled one, and an untrusted
    certificate is a DownloadError at once (no retry can help there)."""

    def send(self, request: httpx2.Request, **kwargs: Any) -> httpx2.Response:
        control = _control.get()
        if control is not None:
            control.checkpoint()
        try:
            response = super().send(request, **kwargs)
            if control is not None and kwargs.get("stream"):
                _hang_up_on_cancel(response, control)
            return response
        except httpx2.ConnectError as exc:
            cause: BaseException | None = exc
            while cause is not None and not isinstance(cause, ssl.SSLCertVerificationError):
                cause = cause.__cause__ or cause.__context__
            if isinstance(cause, ssl.SSLCertVerificationError):
                raise DownloadError(
                    f"{request.url.host}: the server's certificate is not trusted "
                    f"({cause.verify_message}); behind a proxy with its own CA, set "
                    f"{tls.CA_BUNDLE_ENV} to that CA's file"
                ) from None
            raise


def _hang_up_on_cancel(response: httpx2.Response, control: TaskControl) -> None:
    """Shut the response's socket when the user cancels: a read blocked on a stalled server
    then ends at once (huggingface_hub retries it, and the retry's send answers the cancel)
    instead of at the read timeout."""
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    if sock is None:
        return

    def watch() -> None:
        while not response.is_closed:
            if control.cancelled:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                return
            time.sleep(0.1)

    threading.Thread(target=watch, name="photofind-hub-cancel", daemon=True).start()


def _client() -> httpx2.Client:
    """The client huggingface_hub makes by default, verifying with tls.py's CA choice."""
    global _client_trust
    _client_trust = _settings()
    return _Client(
        event_hooks={"request": [hf_request_event_hook]},
        follow_redirects=True,
        timeout=None,
        verify=tls.context(),
    )


set_client_factory(_client)


def _refresh_client() -> None:
    """A new client when the CA or proxy settings changed since the last one was made."""
    if _client_trust is not None and _client_trust != _settings():
        close_session()
    constants.HF_HUB_OFFLINE = offline()  # huggingface_hub's request hook reads this


# -- fetching ----------------------------------------------------------------------------------


def fetch(
    repo: str,
    commit: str,
    patterns: list[str],
    *,
    on_plan: Callable[[list[HubFile], dict[str, int]], None] | None = None,
    on_bytes: BytesCallback | None = None,
    control: TaskControl | None = None,
    branch_allowed: bool = False,
) -> Snapshot:
    """Bring the files of `repo` at `commit` matching `patterns` into the hub cache.

    `branch_allowed` lets `commit` name a branch, resolved to its commit now (and logged as
    a warning): for catalog entries that say why no commit could be pinned yet.

    A pattern is a path or a glob (`visual/*`). `on_plan(files, on_disk)` is called once with
    what will be fetched and how many bytes of each an earlier run left; `on_bytes(path, size)`
    as a file grows. Raises DownloadError (one line) or Cancelled; a cancelled or killed fetch
    leaves its partial file for the next one.
    """
    _refresh_client()
    token = _control.set(control)
    try:
        pinned = _pinned(repo, commit, branch_allowed)
        return _fetch(repo, pinned, patterns, on_plan, on_bytes, control)
    finally:
        _control.reset(token)


def _fetch(
    repo: str,
    commit: str,
    patterns: list[str],
    on_plan: Callable[[list[HubFile], dict[str, int]], None] | None,
    on_bytes: BytesCallback | None,
    control: TaskControl | None,
) -> Snapshot:
    cached = _from_cache(repo, commit, patterns)
    if cached is not None:
        if on_plan is not None:
            on_plan([], {})
        return cached
    if offline():
        raise DownloadError(
            f"HF_HUB_OFFLINE is set and {repo} (commit {commit[:8]}) is not in the hub cache "
            f"({cache_dir()}); unset HF_HUB_OFFLINE to download it"
        )
    with _translated(repo):
        files = _listing(repo, commit, patterns, control)
        storage = cache_dir() / repo_folder_name(repo_id=repo, repo_type="model")
        todo = [f for f in files if not (storage / "blobs" / f.etag).is_file()]
        if on_plan is not None:
            on_plan(todo, {f.path: blobs.partial_size(storage / "blobs", f) for f in todo})
        hashes: dict[str, str] = {}
        for item in todo:
            hashes[item.path] = _fetch_blob(repo, commit, item, storage, on_bytes, control)
        if control is not None:
            control.checkpoint()
        folder = Path(
            _snapshot_download(
                repo,
                revision=commit,
                allow_patterns=[f.path for f in files],
                cache_dir=cache_dir(),
                endpoint=endpoint(),
                max_workers=1,
                library_name=LIBRARY,
                library_version=VERSION,
                token=False,
            )
        )
    return Snapshot(
        folder, {f.path: hashes.get(f.path) or blobs.cached_sha256(folder, f.path) for f in files}
    )


def _api() -> HfApi:
    return HfApi(endpoint=endpoint(), library_name=LIBRARY, library_version=VERSION, token=False)


def _pinned(repo: str, revision: str, branch_allowed: bool = False) -> str:
    """The commit to install from: the catalog pins one, so what is installed is what was
    tested. A branch is resolved here only for an entry that says it is not pinned yet
    (`branch_allowed`) or in the test suite (UNPINNED_FOR_TESTS)."""
    if COMMIT.fullmatch(revision):
        return revision
    if not branch_allowed and os.environ.get(UNPINNED_FOR_TESTS) != "1":
        raise DownloadError(
            f"{repo}: the catalog names revision {revision!r}, not a commit (a fault in "
            "photofind's catalog; please report it)"
        )
    ref = cache_dir() / repo_folder_name(repo_id=repo, repo_type="model") / "refs" / revision
    if offline() and ref.is_file():
        return ref.read_text(encoding="utf-8").strip()
    with _translated(repo):
        sha = str(_api().repo_info(repo, revision=revision).sha)
    log.warning("%s: the catalog pins no commit; installing %s of %s", repo, sha, revision)
    ref.parent.mkdir(parents=True, exist_ok=True)
    ref.write_text(sha, encoding="utf-8")  # as huggingface_hub records a branch it resolved
    return sha


def _from_cache(repo: str, commit: str, patterns: list[str]) -> Snapshot | None:
    """The snapshot when the cache holds every wanted file (no request made), else None."""
    try:
        folder = Path(
            _snapshot_download(
                repo,
                revision=commit,
                allow_patterns=patterns,
                cache_dir=cache_dir(),
                local_files_only=True,
                library_name=LIBRARY,
                library_version=VERSION,
                token=False,
            )
        )
    except (hub_errors.LocalEntryNotFoundError, hub_errors.IncompleteSnapshotError, OSError):
        return None
    present = [p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()]
    found = list(filter_repo_objects(present, allow_patterns=patterns))
    plain = [p for p in patterns if not any(c in p for c in "*?[")]
    if not found or any(p not in found for p in plain):
        return None  # a snapshot without its listing, partly there
    return Snapshot(folder, {path: blobs.cached_sha256(folder, path) for path in found})


def _listing(
    repo: str, commit: str, patterns: list[str], control: TaskControl | None
) -> list[HubFile]:
    """The files matching `patterns` in the commit's listing (every page of it)."""
    api = _api()
    by_path: dict[str, HubFile] = {}
    for item in api.list_repo_tree(repo, recursive=True, revision=commit, token=False):
        if control is not None:
            control.checkpoint()
        if isinstance(item, RepoFile):
            lfs = item.lfs is not None
            etag = item.lfs.sha256 if item.lfs is not None else item.blob_id
            by_path[item.path] = HubFile(item.path, int(item.size), etag.lower(), lfs)
    chosen = list(filter_repo_objects(list(by_path), allow_patterns=patterns))
    for pattern in patterns:
        if not any(c in pattern for c in "*?[") and pattern not in by_path:
            raise DownloadError(f"{repo} on the hub has no {pattern} at commit {commit[:8]}")
        if not list(filter_repo_objects(chosen, allow_patterns=[pattern])):
            raise DownloadError(f"{repo} on the hub has no file matching {pattern}")
    return [by_path[p] for p in chosen]


def _fetch_blob(
    repo: str,
    commit: str,
    item: HubFile,
    storage: Path,
    on_bytes: BytesCallback | None,
    control: TaskControl | None,
) -> str:
    """Download one file into `blobs/<etag>`, resuming its partial file; returns its sha256."""
    folder = storage / "blobs"
    folder.mkdir(parents=True, exist_ok=True)
    blob, partial = folder / item.etag, blobs.partial(folder, item)
    locks = cache_dir() / ".locks" / storage.name
    locks.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(locks / f"{item.etag}.lock"))  # huggingface_hub's lock for this blob
    wait_for_lock(lock, control)
    try:
        if blob.is_file():  # another process finished it while we waited
            return blobs.checked_blob(blob, item)
        if partial.is_file() and partial.stat().st_size > item.size:
            partial.unlink()
        url = hf_hub_url(repo, item.path, revision=commit, endpoint=endpoint())
        headers = build_hf_headers(token=False, library_name=LIBRARY, library_version=VERSION)
        with blobs.PartFile(partial, item.path, on_bytes, control) as part:
            stream = cast(
                BinaryIO, part
            )  # what http_get uses of a file: write, tell, seek, truncate
            http_get(url, stream, resume_size=part.size, headers=headers, expected_size=item.size)
            sha256 = part.sha256()
        blobs.verify_part(partial, item, sha256)
        os.replace(partial, blob)
        return sha256
    finally:
        lock.release()


@contextlib.contextmanager
def _translated(repo: str) -> Iterator[None]:
    """huggingface_hub's and the network's exceptions as one-line DownloadErrors."""
    where = endpoint()
    try:
        yield
    except hub_errors.RevisionNotFoundError:
        raise DownloadError(f"{repo} on {where} has no such commit; update photofind") from None
    except hub_errors.RepositoryNotFoundError:
        raise DownloadError(f"{repo} is not on {where} (404 Not Found)") from None
    except hub_errors.RemoteEntryNotFoundError as exc:
        raise DownloadError(f"{repo} on {where}: a file is not there (404): {exc}") from None
    except hub_errors.HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else "?"
        raise DownloadError(f"{repo} on {where}: HTTP {status}; try again later") from None
    except httpx2.ProxyError as exc:
        raise DownloadError(f"the proxy refused the connection to {where} ({exc})") from None
    except httpx2.ConnectError as exc:
        raise DownloadError(f"cannot reach {where} ({exc}); are you online?") from None
    except (httpx2.TimeoutException, httpx2.RemoteProtocolError) as exc:
        raise DownloadError(f"{where}: the connection kept dropping ({exc})") from None
    except hub_errors.OfflineModeIsEnabled:
        raise DownloadError("HF_HUB_OFFLINE is set; unset it to download") from None
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise DownloadError(f"the disk is full while saving {repo} to {cache_dir()}") from None
        if "Consistency check failed" in str(exc):
            raise DownloadError(f"{repo}: a file arrived incomplete; try again") from None
        raise DownloadError(f"cannot save {repo}: {exc.strerror or exc}") from None

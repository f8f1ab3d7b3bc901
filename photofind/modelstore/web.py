"""HTTP for model installs: one request helper, one retry policy, paginated JSON listings.

The only network access in the app, and only when the user asks for a model. The retry policy
belongs to one transfer: it forgives a dropped connection while bytes keep arriving (the count
starts again after every attempt that made progress), waits as long as a 429 or 503 asks in
`Retry-After`, and turns what cannot be retried into a one-line `DownloadError`.
"""

from __future__ import annotations

import email.utils
import errno
import http.client
import json
import re
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from photofind.errors import DownloadError
from photofind.modelstore import tls
from photofind.tasks import TaskControl

TIMEOUT = 30.0
RETRIES = 5
MAX_WAIT = 120.0  # longer Retry-After asks: tell the user to come back instead of hanging
USER_AGENT = "photofind-model-installer"
_LINK = re.compile(r'<([^>]*)>\s*;\s*(?:[^,]*?;\s*)?rel="?([^",;]+)"?')


def request(url: str, *, start: int = 0) -> Any:
    """Open `url` (following redirects, e.g. the hub's to its CDN); from byte `start` if > 0."""
    req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    if start:
        req.add_header("Range", f"bytes={start}-")
    return urllib.request.urlopen(req, timeout=TIMEOUT, context=tls.context())


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds a `Retry-After` header asks for (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def next_link(header: str | None) -> str | None:
    """The rel="next" target of a `Link` header (how the hub's API paginates listings)."""
    for target, rel in _LINK.findall(header or ""):
        if "next" in rel.split():
            return target
    return None


def sleep(seconds: float, control: TaskControl | None) -> None:
    """Wait, waking early (with `Cancelled`) when the user cancels meanwhile."""
    if control is not None:
        control.sleep(seconds)
    else:
        time.sleep(seconds)


class Retry:
    """The retry policy of one transfer of `url`; `failed(exc)` either waits or raises."""

    def __init__(self, url: str, control: TaskControl | None = None, retries: int = RETRIES):
        self.url = url
        self.control = control
        self.retries = retries
        self.attempt = 0

    def progressed(self) -> None:
        """Bytes arrived: a later drop starts the count again (a slow link is not a dead one)."""
        self.attempt = 0

    def failed(self, exc: BaseException, target: str = "") -> None:
        """Wait before the next attempt, or raise DownloadError when it is not worth one."""
        wait = min(0.2 * 2 ** (self.attempt + 1), 5.0)
        if isinstance(exc, urllib.error.HTTPError):
            code = exc.code
            if code == 404:
                raise DownloadError(f"{self.url} is not there (404 Not Found)") from None
            if code in (429, 503):
                asked = retry_after(exc.headers.get("Retry-After") if exc.headers else None)
                if asked is not None and asked > MAX_WAIT:
                    raise DownloadError(
                        f"{self.url}: the server is busy (HTTP {code}) and asks to wait "
                        f"{asked / 60:.0f} minutes; try again later"
                    ) from None
                wait = asked if asked is not None else wait
            elif code < 500:
                raise DownloadError(f"{self.url}: HTTP {code} {exc.reason}") from None
            self._count(f"{self.url}: HTTP {code} {exc.reason}")
        elif isinstance(exc, urllib.error.URLError):
            if isinstance(exc.reason, ssl.SSLCertVerificationError):
                # Not a network hiccup: retrying cannot help, and "are you online?" misleads.
                raise DownloadError(
                    f"{self.url}: the server's certificate is not trusted "
                    f"({exc.reason.verify_message}); behind a proxy with its own CA, set "
                    f"{tls.CA_BUNDLE_ENV} to that CA's file"
                ) from None
            reason = exc.reason if isinstance(exc.reason, str) else str(exc.reason)
            self._count(f"cannot reach {self.url} ({reason}); are you online?")
        elif isinstance(exc, OSError) and not _is_connection(exc):
            if exc.errno == errno.ENOSPC:
                raise DownloadError(f"the disk is full while saving {target}") from None
            raise DownloadError(f"cannot save {target}: {exc.strerror or exc}") from None
        elif isinstance(exc, OSError | http.client.HTTPException):
            self._count(f"{self.url}: the connection kept dropping ({exc})")
        else:
            raise exc
        sleep(wait, self.control)

    def _count(self, message: str) -> None:
        if self.attempt >= self.retries:
            raise DownloadError(message)
        self.attempt += 1


def _is_connection(exc: OSError) -> bool:
    return isinstance(exc, ConnectionError | socket.timeout | TimeoutError)


def get_json_pages(url: str, *, control: TaskControl | None = None) -> list[Any]:
    """A JSON list spread over pages linked by `Link: <...>; rel="next"`, joined into one."""
    items: list[Any] = []
    seen: set[str] = set()
    next_url: str | None = url
    while next_url is not None:
        if next_url in seen:
            raise DownloadError(f"{url}: the listing's pages link in a circle")
        seen.add(next_url)
        page, next_url = _get_json(next_url, control)
        if not isinstance(page, list):
            raise DownloadError(f"{url} did not return a list")
        items.extend(page)
    return items


def _get_json(url: str, control: TaskControl | None) -> tuple[Any, str | None]:
    retry = Retry(url, control)
    while True:
        if control is not None:
            control.checkpoint()
        try:
            with request(url) as response:
                body = response.read()
                following = next_link(response.headers.get("Link"))
            break
        except (OSError, http.client.HTTPException) as exc:
            retry.failed(exc, "a listing")
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DownloadError(f"{url} did not return JSON ({exc})") from None
    if following is not None:
        following = urllib.parse.urljoin(url, following)
    return data, following

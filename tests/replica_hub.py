"""A loopback replica of the Hugging Face hub (and a plain file server) for install tests.

One HTTP server on 127.0.0.1 serves, like huggingface.co does:

- `/<repo>/resolve/<rev>/<path>`: small files directly (ETag: the git blob sha1), large (LFS)
  files by a 302 redirect to a signed "CDN" URL, `/cdn-lfs/repos/<..>/<sha256>?Expires=..`;
- `/api/models/<repo>/tree/<rev>?recursive=true`: the file listing (type, path, size, git oid,
  and `lfs: {oid: sha256, size, pointerSize}` for LFS files, directories too), in pages of
  `page_size` linked by `Link: <...&cursor=N>; rel="next"`;
- any other path: a file under `root` (a static host for photofind's own exports).

Every file answers `Range` requests. Faults are set per file key (a hub file's key is
`<repo>/resolve/<rev>/<path>`, however it is reached; a static file's is its path): drop the
connection halfway once, drop after every `n` bytes, corrupt the last byte, answer 429 with
`Retry-After`, ignore Range, or stop at a byte offset until a gate opens (for kill -9 in the
middle of a file).
`served[key]` counts the body bytes sent for each file; `requests` logs (key, Range header).
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import http.server
import json
import shutil
import threading
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

LFS_SUFFIXES = (".onnx",)  # what Immich's repositories keep in git LFS


def git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass
class Gate:
    """Stop sending a file at byte `at` until `opened` is set; `reached` says we are there."""

    at: int
    opened: threading.Event = field(default_factory=threading.Event)
    reached: threading.Event = field(default_factory=threading.Event)


class Server:
    """The HTTP server: static files under `root`, hub repositories added with `add_repo`."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root
        self.repos: dict[str, Repo] = {}
        self.blobs: dict[str, tuple[str, Path]] = {}  # sha256 -> (key, file) for the CDN
        self.drop_once: set[str] = set()
        self.drop_every: dict[str, int] = {}
        self.corrupt: set[str] = set()
        self.ignore_range: set[str] = set()  # answer 200 with the whole file, as some hosts do
        self.too_many: dict[str, list[str]] = {}  # key -> Retry-After values, one per 429
        self.gates: dict[str, Gate] = {}
        self.listing_429: list[str] = []  # Retry-After values for the next listing requests
        self.served: collections.Counter[str] = collections.Counter()
        self.requests: list[tuple[str, str | None]] = []
        self.lock = threading.Lock()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    server._route(self)  # (a reset: the client went away, a killed install)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def add_repo(self, repo: str, files: Path, revision: str = "main") -> Repo:
        """Publish the files of folder `files` as hub repository `repo`."""
        self.repos[repo] = Repo(self, repo, files, revision)
        return self.repos[repo]

    def close(self) -> None:
        for gate in self.gates.values():
            gate.opened.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- routing ---------------------------------------------------------------------------

    def _route(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        url = urllib.parse.urlsplit(handler.path)
        path = urllib.parse.unquote(url.path).lstrip("/")
        query = urllib.parse.parse_qs(url.query)
        if path.startswith("api/models/"):
            self._listing(handler, path.removeprefix("api/models/"), query)
            return
        if path.startswith("cdn-lfs/"):
            found = self.blobs.get(path.rsplit("/", 1)[-1])
            if found is None or "Signature" not in query:
                self._error(handler, 403)
                return
            self._send_file(handler, *found)
            return
        for repo in self.repos.values():
            prefix = f"{repo.name}/resolve/{repo.revision}/"
            if path.startswith(prefix):
                repo.resolve(handler, path.removeprefix(prefix))
                return
        if self.root is not None and (self.root / path).is_file():
            self._send_file(handler, path, self.root / path)
            return
        self._error(handler, 404)

    def _listing(self, handler, rest: str, query: dict[str, list[str]]) -> None:
        repo_name, _, tail = rest.partition("/tree/")
        repo = self.repos.get(repo_name)
        if repo is None or tail != repo.revision:
            self._error(handler, 404)
            return
        with self.lock:
            retry = self.listing_429.pop(0) if self.listing_429 else None
        if retry is not None:
            self._error(handler, 429, {"Retry-After": retry})
            return
        items = repo.listing if query.get("recursive") == ["true"] else repo.top_level()
        start = int(query.get("cursor", ["0"])[0])
        page = items[start : start + repo.page_size]
        body = json.dumps(page).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        if start + repo.page_size < len(items):
            following = dict(query, cursor=[str(start + repo.page_size)])
            link = f"{self.url}/api/models/{rest}?{urllib.parse.urlencode(following, True)}"
            handler.send_header("Link", f'<{link}>; rel="next"')
        handler.end_headers()
        handler.wfile.write(body)

    def _error(self, handler, code: int, headers: dict[str, str] | None = None) -> None:
        body = json.dumps({"error": http.HTTPStatus(code).phrase}).encode()
        handler.send_response(code)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def _send_file(self, handler, key: str, file: Path, headers: dict | None = None) -> None:
        """The file's bytes from the requested Range, with the faults set for `key`."""
        with self.lock:
            self.requests.append((key, handler.headers.get("Range")))
            retry = self.too_many[key].pop(0) if self.too_many.get(key) else None
        if retry is not None:
            self._error(handler, 429, {"Retry-After": retry})
            return
        data = file.read_bytes()
        if key in self.corrupt:
            data = data[:-1] + bytes([data[-1] ^ 0xFF])
        start = 0
        if handler.headers.get("Range") and key not in self.ignore_range:
            start = int(handler.headers["Range"].split("=")[1].split("-")[0])
            if start >= len(data):
                self._error(handler, 416, {"Content-Range": f"bytes */{len(data)}"})
                return
            handler.send_response(206)
            handler.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            handler.send_response(200)
        body = data[start:]
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Accept-Ranges", "bytes")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        limit = len(body)
        with self.lock:
            if key in self.drop_once:
                self.drop_once.discard(key)
                limit = len(body) // 2
            elif key in self.drop_every:
                limit = min(limit, self.drop_every[key])
            gate = self.gates.get(key)
        if gate is not None and start < gate.at <= start + limit:
            self._write(handler, key, body[: gate.at - start])
            gate.reached.set()
            gate.opened.wait(60)
            handler.close_connection = True
            return
        self._write(handler, key, body[:limit])
        if limit < len(body):
            handler.close_connection = True  # a dropped connection, mid-file

    def _write(self, handler, key: str, data: bytes) -> None:
        view = memoryview(data)
        for offset in range(0, len(view), 1 << 16):
            chunk = view[offset : offset + (1 << 16)]
            with self.lock:  # counted first: the client cannot have a byte not yet counted
                self.served[key] += len(chunk)
            handler.wfile.write(chunk)
        handler.wfile.flush()


class Repo:
    """One hub repository: its files, its listing, and how `resolve` answers for each."""

    def __init__(self, server: Server, name: str, files: Path, revision: str) -> None:
        self.server, self.name, self.files, self.revision = server, name, files, revision
        self.page_size = 1000  # the hub's page; tests lower it to see a second page
        self.commit = hashlib.sha1(name.encode()).hexdigest()
        self.listing: list[dict] = []
        self.refresh()

    def key(self, path: str) -> str:
        return f"{self.name}/resolve/{self.revision}/{path}"

    def refresh(self) -> None:
        """List the folder's files as the hub's tree API does (after a change to them)."""
        listing, folders = [], set()
        for file in sorted(p for p in self.files.rglob("*") if p.is_file()):
            path = file.relative_to(self.files).as_posix()
            folders.update(str(parent) for parent in Path(path).parents if str(parent) != ".")
            data = file.read_bytes()
            item = {"type": "file", "oid": git_blob_sha1(data), "size": len(data), "path": path}
            if file.suffix in LFS_SUFFIXES:
                sha256 = hashlib.sha256(data).hexdigest()
                pointer = f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\n"
                pointer += f"size {len(data)}\n"
                item["oid"] = git_blob_sha1(pointer.encode())
                item["lfs"] = {"oid": sha256, "size": len(data), "pointerSize": len(pointer)}
                self.server.blobs[sha256] = (self.key(path), file)
            listing.append(item)
        dirs = [{"type": "directory", "oid": "1" * 40, "size": 0, "path": d} for d in folders]
        self.listing = sorted(listing + dirs, key=lambda i: i["path"])

    def top_level(self) -> list[dict]:
        return [i for i in self.listing if "/" not in i["path"]]

    def resolve(self, handler, path: str) -> None:
        item = next((i for i in self.listing if i["path"] == path and i["type"] == "file"), None)
        if item is None:
            self.server._error(handler, 404, {"X-Error-Code": "EntryNotFound"})
            return
        headers = {"X-Repo-Commit": self.commit, "ETag": f'"{item["oid"]}"'}
        if "lfs" in item:
            sha256 = item["lfs"]["oid"]
            location = f"/cdn-lfs/repos/{self.commit[:2]}/{self.commit}/{sha256}"
            location += "?Expires=9999999999&Signature=replica&Key-Pair-Id=replica"
            with self.server.lock:
                self.server.requests.append((self.key(path) + " (redirect)", None))
            handler.send_response(302)
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.send_header("X-Linked-Size", str(item["size"]))
            handler.send_header("X-Linked-Etag", f'"{sha256}"')
            handler.send_header("Location", self.server.url + location)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        self.server._send_file(handler, self.key(path), self.files / path, headers)


def publish(server: Server, repo: str, source: Path, into: Path) -> Repo:
    """Copy an Immich-layout folder to `into` (with the README and .gitattributes every hub
    repository has) and publish it as `repo`."""
    shutil.copytree(source, into)
    (into / "README.md").write_text("---\nlicense: mit\n---\nnot needed by photofind\n")
    (into / ".gitattributes").write_text("*.onnx filter=lfs diff=lfs merge=lfs -text\n")
    return server.add_repo(repo, into)

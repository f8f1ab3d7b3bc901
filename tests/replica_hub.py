"""A loopback replica of the Hugging Face hub, speaking the API huggingface_hub uses.

Two HTTP servers on 127.0.0.1, as huggingface.co and its CDN are two hosts:

- the hub (`url`):
  - `GET /api/models/<repo>/revision/<rev>`: `{"id", "sha", "siblings"}`;
  - `GET /api/models/<repo>/tree/<rev>[/<path>]?recursive=true|false`: the listing (type, path,
    size, git oid, `lfs: {oid: sha256, size, pointerSize}` for LFS files, folders too), in pages
    of `page_size` linked by `Link: <...&cursor=N>; rel="next"`;
  - `HEAD|GET /<repo>/resolve/<rev>/<path>`: `X-Repo-Commit`, `ETag` (the git blob sha1);
    small files are answered directly, LFS files by a 302 to the CDN with `X-Linked-Etag`
    (their sha256) and `X-Linked-Size`;
- the CDN (`cdn_url`): `HEAD|GET /repos/<..>/<sha256>?Expires=..&Signature=..`, a signed URL.

`<rev>` is the branch name given to `add_repo` or the repository's commit (`Repo.commit`).
Every file answers `Range`. Faults are set per file key (`<repo>/resolve/<rev>/<path>`, the
branch name in it, however the file is reached): drop the connection halfway once, drop after
every `n` bytes, corrupt the last byte, ignore Range, or stop at a byte offset until a gate
opens (for kill -9 or cancel in the middle of a file).
`served[key]` counts the body bytes sent for each file; `requests` logs (key, Range) for each
body sent; `log` holds every request either server received (method, path, headers).
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import http.server
import json
import shutil
import ssl
import threading
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from photofind.modelstore import immich, registry

LFS_SUFFIXES = (".onnx", ".onnx_data", ".weight", ".bin")  # what the hub keeps in git LFS


def git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass
class Gate:
    """Stop sending a file at byte `at` until `opened` is set; `reached` says we are there."""

    at: int
    opened: threading.Event = field(default_factory=threading.Event)
    reached: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True)
class Request:
    server: str  # "hub" or "cdn"
    method: str
    path: str
    headers: dict[str, str]


class Server:
    """The hub and its CDN; repositories are added with `add_repo`."""

    def __init__(self, certificate: tuple[Path, Path] | None = None) -> None:
        """`certificate` (cert, key): serve HTTPS with it."""
        self.certificate = certificate
        self.repos: dict[str, Repo] = {}
        self.blobs: dict[str, tuple[str, Path]] = {}  # sha256 -> (key, file) for the CDN
        self.drop_once: set[str] = set()
        self.drop_every: dict[str, int] = {}
        self.corrupt: set[str] = set()
        self.ignore_range: set[str] = set()  # answer 200 with the whole file, as some hosts do
        self.gates: dict[str, Gate] = {}
        self.served: collections.Counter[str] = collections.Counter()
        self.requests: list[tuple[str, str | None]] = []
        self.log: list[Request] = []
        self.lock = threading.Lock()
        self.hub = self._serve("hub")
        self.cdn = self._serve("cdn")
        scheme = "https" if certificate else "http"
        self.url = f"{scheme}://127.0.0.1:{self.hub.server_address[1]}"
        self.cdn_url = f"{scheme}://127.0.0.1:{self.cdn.server_address[1]}"

    def _serve(self, name: str) -> http.server.ThreadingHTTPServer:
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                self._handle()

            def do_HEAD(self) -> None:
                self._handle()

            def _handle(self) -> None:
                with server.lock:
                    server.log.append(Request(name, self.command, self.path, dict(self.headers)))
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    # (a reset: the client went away, a killed or cancelled install)
                    (server._route_hub if name == "hub" else server._route_cdn)(self)

        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        if self.certificate is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.certificate)
            httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        return httpd

    def add_repo(self, repo: str, files: Path, revision: str = "main") -> Repo:
        """Publish the files of folder `files` as hub repository `repo`."""
        self.repos[repo] = Repo(self, repo, files, revision)
        return self.repos[repo]

    def close(self) -> None:
        for gate in self.gates.values():
            gate.opened.set()
        for httpd in (self.hub, self.cdn):
            httpd.shutdown()
            httpd.server_close()

    def hub_requests(self, method: str | None = None) -> list[Request]:
        return [r for r in self.log if method is None or r.method == method]

    # -- routing ---------------------------------------------------------------------------

    def _route_hub(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        url = urllib.parse.urlsplit(handler.path)
        path = urllib.parse.unquote(url.path).lstrip("/")
        query = urllib.parse.parse_qs(url.query)
        if path.startswith("api/models/"):
            rest = path.removeprefix("api/models/")
            for repo in self.repos.values():
                if rest.startswith(f"{repo.name}/tree/"):
                    repo.tree(handler, rest.removeprefix(f"{repo.name}/tree/"), query)
                    return
                if rest.startswith(f"{repo.name}/revision/"):
                    repo.info(handler, rest.removeprefix(f"{repo.name}/revision/"))
                    return
            self._error(handler, 404, {"X-Error-Code": "RepoNotFound"})
            return
        for repo in self.repos.values():
            if path.startswith(f"{repo.name}/resolve/"):
                repo.resolve(handler, path.removeprefix(f"{repo.name}/resolve/"))
                return
        self._error(handler, 404, {"X-Error-Code": "RepoNotFound"})

    def _route_cdn(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        url = urllib.parse.urlsplit(handler.path)
        found = self.blobs.get(url.path.rsplit("/", 1)[-1])
        if found is None or "Signature" not in urllib.parse.parse_qs(url.query):
            self._error(handler, 403)
            return
        self._send_file(handler, *found)

    def _json(self, handler, data: object, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(data).encode()
        handler.send_response(200)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(body)

    def _error(self, handler, code: int, headers: dict[str, str] | None = None) -> None:
        body = json.dumps({"error": http.HTTPStatus(code).phrase}).encode()
        handler.send_response(code)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(body)

    def _send_file(self, handler, key: str, file: Path, headers: dict | None = None) -> None:
        """The file's bytes from the requested Range, with the faults set for `key`."""
        data = file.read_bytes()
        if key in self.corrupt:
            data = data[:-1] + bytes([data[-1] ^ 0xFF])
        start = 0
        ranged = handler.headers.get("Range") and key not in self.ignore_range
        if ranged:
            start = int(handler.headers["Range"].split("=")[1].split("-")[0])
            if start >= len(data):
                self._error(handler, 416, {"Content-Range": f"bytes */{len(data)}"})
                return
        body = data[start:]
        handler.send_response(206 if ranged else 200)
        if ranged:
            handler.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Accept-Ranges", "bytes")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if handler.command == "HEAD":
            return
        with self.lock:
            self.requests.append((key, handler.headers.get("Range")))
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
        self.commit = _catalog_commit(name) or hashlib.sha1(name.encode()).hexdigest()
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

    def _revision(self, rest: str) -> tuple[str | None, str]:
        for rev in (self.commit, self.revision):
            if rest == rev or rest.startswith(rev + "/"):
                return rev, rest[len(rev) + 1 :]
        return None, ""

    def info(self, handler, rest: str) -> None:
        rev, _ = self._revision(rest)
        if rev is None:
            self.server._error(handler, 404, {"X-Error-Code": "RevisionNotFound"})
            return
        files = [{"rfilename": i["path"]} for i in self.listing if i["type"] == "file"]
        self.server._json(handler, {"id": self.name, "sha": self.commit, "siblings": files})

    def tree(self, handler, rest: str, query: dict[str, list[str]]) -> None:
        rev, folder = self._revision(rest)
        if rev is None:
            self.server._error(handler, 404, {"X-Error-Code": "RevisionNotFound"})
            return
        prefix = f"{folder}/" if folder else ""
        items = [i for i in self.listing if i["path"].startswith(prefix)]
        if query.get("recursive", ["false"])[0].lower() != "true":
            items = [i for i in items if "/" not in i["path"].removeprefix(prefix)]
        start = int(query.get("cursor", ["0"])[0])
        headers = {}
        if start + self.page_size < len(items):
            following = dict(query, cursor=[str(start + self.page_size)])
            link = f"{self.server.url}/api/models/{self.name}/tree/{rest}"
            link += "?" + urllib.parse.urlencode(following, True)
            headers["Link"] = f'<{link}>; rel="next"'
        self.server._json(handler, items[start : start + self.page_size], headers)

    def resolve(self, handler, rest: str) -> None:
        rev, path = self._revision(rest)
        if rev is None:
            self.server._error(handler, 404, {"X-Error-Code": "RevisionNotFound"})
            return
        item = next((i for i in self.listing if i["path"] == path and i["type"] == "file"), None)
        headers = {"X-Repo-Commit": self.commit}
        if item is None:
            self.server._error(handler, 404, {**headers, "X-Error-Code": "EntryNotFound"})
            return
        headers["ETag"] = f'"{item["oid"]}"'
        if "lfs" in item:
            sha256 = item["lfs"]["oid"]
            location = f"{self.server.cdn_url}/repos/{self.commit[:2]}/{self.commit}/{sha256}"
            location += "?Expires=9999999999&Signature=replica&Key-Pair-Id=replica"
            if handler.command == "GET":
                with self.server.lock:
                    self.server.requests.append((self.key(path) + " (redirect)", None))
            handler.send_response(302)
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.send_header("X-Linked-Size", str(item["size"]))
            handler.send_header("X-Linked-Etag", f'"{sha256}"')
            handler.send_header("Location", location)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        self.server._send_file(handler, self.key(path), self.files / path, headers)


def _catalog_commit(repo: str) -> str | None:
    """The commit the catalog pins for `repo`, so a replica of it serves that commit."""
    from photofind.modelstore import registry

    for entry in registry.entries():
        source = entry.get("source") or {}
        revision = str(source.get("revision") or "")
        if source.get("repo") == repo and len(revision) == 40:
            return revision
    return None


def publish(server: Server, repo: str, source: Path, into: Path) -> Repo:
    """Copy a published-layout folder to `into` (with the README and .gitattributes every hub
    repository has) and publish it as `repo`."""
    shutil.copytree(source, into)
    (into / "README.md").write_text("---\nlicense: mit\n---\nnot needed by photofind\n")
    (into / ".gitattributes").write_text("*.onnx filter=lfs diff=lfs merge=lfs -text\n")
    return server.add_repo(repo, into)


TINY_REPO = "immich-app/tiny__immich"  # where the install tests publish the tiny Immich export


def list_in_catalog(monkeypatch: Any, commit: str) -> dict:
    """Make the model catalog hold one entry: the replica's TINY_REPO at `commit`, in Immich's
    layout (every install test needs the same one)."""
    item = {
        "name": "tiny__immich",
        "source": {"kind": "immich", "repo": TINY_REPO, "revision": commit},
        "files": [{"path": p} for p in immich.FILES],
    }
    monkeypatch.setattr(registry, "find_entry", lambda name: item)
    return item

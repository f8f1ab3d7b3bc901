"""The Hugging Face hub as an installer sees it: where it is, its URLs, its file listing.

The hub's address comes from `HF_ENDPOINT`, the variable Hugging Face's own tools read, so a
user behind a mirror (or a test against a loopback replica) sets it once for every tool. The
catalog names a repository, a revision and paths; the URLs are built here, in one place.
"""

from __future__ import annotations

import os
import urllib.parse
from typing import Any

from photofind.errors import DownloadError
from photofind.modelstore.web import get_json_pages
from photofind.tasks import TaskControl

DEFAULT_ENDPOINT = "https://huggingface.co"


def endpoint() -> str:
    """The hub's base URL: $HF_ENDPOINT, else huggingface.co (read on each install)."""
    return (os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def resolve_url(repo: str, revision: str, path: str) -> str:
    """Where a file is downloaded; the hub redirects large (LFS) files to its CDN."""
    rev = urllib.parse.quote(revision, safe="")
    return f"{endpoint()}/{repo}/resolve/{rev}/{urllib.parse.quote(path)}"


def tree_url(repo: str, revision: str) -> str:
    """The API's recursive file listing of a repository (paginated with `Link` headers)."""
    rev = urllib.parse.quote(revision, safe="")
    return f"{endpoint()}/api/models/{repo}/tree/{rev}?recursive=true"


def listing(repo: str, revision: str, control: TaskControl | None = None) -> dict[str, Any]:
    """The repository's files by path, every page of the listing read."""
    items = get_json_pages(tree_url(repo, revision), control=control)
    return {
        item["path"]: item
        for item in items
        if isinstance(item, dict) and item.get("type") == "file" and "path" in item
    }


def hub_files(entry: dict[str, Any], control: TaskControl | None = None) -> list[dict[str, Any]]:
    """A catalog entry's files as download jobs, completed from the hub's own listing.

    The listing gives every file's size, the sha256 of large (LFS) files and the git blob
    hash of small ones, so each download is checked against what the hub says it holds even
    where the catalog could not record a hash.
    """
    source = entry["source"]
    repo, revision = source["repo"], source.get("revision", "main")
    by_path = listing(repo, revision, control)
    files = []
    for wanted in entry["files"]:
        item = by_path.get(wanted["path"])
        if item is None:
            raise DownloadError(f"{repo} on the hub no longer has {wanted['path']}")
        lfs = item.get("lfs") or {}
        files.append(
            {
                **wanted,
                "url": resolve_url(repo, revision, wanted["path"]),
                "size": wanted.get("size") or lfs.get("size") or item.get("size"),
                "sha256": wanted.get("sha256") or lfs.get("oid"),
                "git_sha1": None if lfs else item.get("oid"),
            }
        )
    return files

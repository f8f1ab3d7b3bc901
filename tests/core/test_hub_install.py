"""Installing Immich's exports through huggingface_hub from a loopback replica of the hub (no Qt).

The replica (tests/replica_hub.py) speaks the API huggingface_hub uses: a paginated tree
listing, `resolve` with X-Repo-Commit and ETag, LFS files behind a 302 to a CDN on another
origin with X-Linked-Etag/Size, HEAD and Range. `HF_ENDPOINT` points the installer at it,
`HF_HUB_CACHE` (set per test by conftest.py) is the user's hub cache.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import threading

import huggingface_hub
import pytest
from replica_hub import Gate, Server, git_blob_sha1, publish

from photofind.cli.progress import ProgressPrinter
from photofind.clip.model import ClipModel
from photofind.errors import Cancelled, DownloadError, ModelFolderError
from photofind.modelstore import ModelStore, hubclient, immich, layouts, registry, store
from photofind.tasks import BYTES, Progress, TaskControl

REPO = "immich-app/tiny__immich"
TEXTS = ["a photo of a red circle", "two small blue squares at the top"]


@pytest.fixture
def entry(repo, monkeypatch):
    item = {
        "name": "tiny__immich",
        "arch": "tiny-resnet-synthetic",
        "pretrained": "synthetic",
        "license": "MIT",
        "source": {"kind": "immich", "repo": REPO, "revision": repo.commit},
        "files": [{"path": p, "size": None, "sha256": None} for p in immich.FILES],
    }
    monkeypatch.setattr(registry, "find_entry", lambda name: item)
    return item


def _sizes(repo) -> dict[str, int]:
    return {i["path"]: i["size"] for i in repo.listing if i["path"] in immich.FILES}


def _since(server, before: dict[str, int]) -> dict[str, int]:
    """Bytes served per file since `before` was taken (files not served left out)."""
    return {k: n - before.get(k, 0) for k, n in server.served.items() if n > before.get(k, 0)}


def _cache_repo(tmp_path):
    return hubclient.cache_dir() / f"models--{REPO.replace('/', '--')}"


def test_install_reports_download_progress_every_printer_can_draw(
    tmp_path, server, repo, entry, tiny_model_dir
):
    store_ = ModelStore(tmp_path / "models")
    seen: list[Progress] = []
    terminal, plain = io.StringIO(), io.StringIO()
    printers = [ProgressPrinter(terminal, tty=True), ProgressPrinter(plain, tty=False)]

    def report(progress: Progress) -> None:
        seen.append(progress)
        for printer in printers:
            printer(progress)

    installed = store_.install("tiny__immich", progress=report)
    for printer in printers:
        printer.finish()
    total = sum(_sizes(repo).values())
    assert {p.phase for p in seen} == {"download"} and {p.unit for p in seen} == {BYTES}
    assert seen[-1].done == seen[-1].total == total
    assert [p.done for p in seen] == sorted(p.done for p in seen)
    assert {p.current for p in seen} >= set(immich.FILES)  # each file named, however fast
    assert "MB" in plain.getvalue() and "download: " in plain.getvalue()
    assert "100%" in terminal.getvalue().rsplit("\r", 1)[-1]
    # Large files came through the hub's redirect to its CDN; README.md was never fetched.
    redirected = {k for k, _ in server.requests if k.endswith("(redirect)")}
    assert redirected == {f"{repo.key(p)} (redirect)" for p in immich.GRAPHS if "onnx" in p}
    assert {r.server for r in server.log if r.method == "GET" and r.path.startswith("/repos/")}
    assert not any("README" in r.path for r in server.log)
    source = installed.manifest.raw["source"]
    assert source == {"kind": "immich", "repo": REPO, "revision": repo.commit}
    original, model = ClipModel.load(tiny_model_dir), ClipModel.load(installed.folder)
    cos = (original.text.encode_texts(TEXTS) * model.text.encode_texts(TEXTS)).sum(1)
    assert cos.min() > 0.9999
    assert not list((tmp_path / "models").glob(".incoming-*"))
    # The files are in the user's hub cache, as huggingface_hub lays it out.
    snapshot = _cache_repo(tmp_path) / "snapshots" / repo.commit
    assert {p.relative_to(snapshot).as_posix() for p in snapshot.rglob("*") if p.is_file()} == set(
        immich.FILES
    )
    assert not list(_cache_repo(tmp_path).glob("blobs/*.incomplete"))


def test_a_model_already_in_the_hub_cache_is_installed_with_no_request(
    tmp_path, server, repo, entry
):
    # The user fetched the repository earlier with huggingface_hub's own tools.
    huggingface_hub.snapshot_download(
        REPO, revision=repo.commit, cache_dir=hubclient.cache_dir(), endpoint=server.url
    )
    server.log.clear()
    installed = ModelStore(tmp_path / "models").install("tiny__immich")
    assert server.log == []
    ModelStore(tmp_path / "models").verify(installed.name)
    # And a second library on the same machine: nothing fetched either.
    ModelStore(tmp_path / "other" / "models").install("tiny__immich")
    assert server.log == []


def test_hf_hub_offline_installs_from_the_cache_only(tmp_path, server, repo, entry, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(DownloadError, match="HF_HUB_OFFLINE is set") as caught:
        ModelStore(tmp_path / "models").install("tiny__immich")
    assert "\n" not in str(caught.value) and REPO in str(caught.value)
    assert server.log == [] and ModelStore(tmp_path / "models").installed() == []
    monkeypatch.delenv("HF_HUB_OFFLINE")
    ModelStore(tmp_path / "first" / "models").install("tiny__immich")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    server.log.clear()
    installed = ModelStore(tmp_path / "models").install("tiny__immich")
    assert server.log == [] and installed.name == "tiny__immich"


def test_a_mirror_named_by_hf_endpoint_serves_everything(
    tmp_path, server, repo, entry, tiny_immich_dir, monkeypatch
):
    mirror = Server()
    try:
        publish(mirror, REPO, tiny_immich_dir, tmp_path / "mirror" / REPO)
        monkeypatch.setenv("HF_ENDPOINT", mirror.url + "/")
        ModelStore(tmp_path / "models").install("tiny__immich")
        assert server.log == [] and mirror.log
    finally:
        mirror.close()


def test_the_standard_proxy_variables_are_followed(tmp_path, server, repo, entry, monkeypatch):
    """HTTP_PROXY names the proxy (here the replica itself, which answers absolute-URI
    requests as a forward proxy would pass them on); the hub's name need not resolve."""
    monkeypatch.setenv("HF_ENDPOINT", "http://hub.invalid")
    monkeypatch.setenv("HTTP_PROXY", server.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # the CDN is reached directly
    ModelStore(tmp_path / "models").install("tiny__immich")
    hub = [r for r in server.log if r.server == "hub"]
    assert hub and all(r.path.startswith("http://hub.invalid/") for r in hub)
    assert all(r.path.startswith("/repos/") for r in server.log if r.server == "cdn")


def test_nothing_goes_out_but_the_listing_and_the_model_files(
    tmp_path, server, repo, entry, monkeypatch
):
    monkeypatch.setenv("HF_TOKEN", "hf_a_secret_token_of_the_user")
    token_home = tmp_path / "hf-home"
    token_home.mkdir()
    (token_home / "token").write_text("hf_another_secret")
    monkeypatch.setenv("HF_TOKEN_PATH", str(token_home / "token"))
    ModelStore(tmp_path / "models").install("tiny__immich")
    assert server.log
    user_agent = re.compile(r"photofind/[\w.+-]+; hf_hub/[\w.+-]+; python/[\w.+-]+")
    base = f"/{REPO}/resolve/{repo.commit}/"
    wanted = {base + p for p in immich.FILES}
    for request in server.log:
        headers = {k.lower(): v for k, v in request.headers.items()}
        assert "authorization" not in headers and "cookie" not in headers, request
        assert user_agent.fullmatch(headers["user-agent"]), headers["user-agent"]
        path = request.path.split("?")[0]
        if request.server == "cdn":
            assert path.rsplit("/", 1)[-1] in {i["lfs"]["oid"] for i in repo.listing if "lfs" in i}
        else:
            tree = f"/api/models/{REPO}/tree/{repo.commit}"
            assert path in wanted or path == tree, request
    assert not any("telemetry" in r.path or "/api/agent" in r.path for r in server.log)


def test_every_page_of_the_listing_is_read(tmp_path, server, repo, entry):
    repo.page_size = 2
    pages = len(repo.listing) // 2 + 1
    assert pages >= 4
    ModelStore(tmp_path / "models").install("tiny__immich")
    listed = [r for r in server.log if "/tree/" in r.path]
    assert len([r for r in listed if "cursor=" in r.path]) >= pages - 1


def test_a_corrupted_graph_fails_the_hubs_sha256_and_installs_nothing(
    tmp_path, server, repo, entry
):
    server.corrupt.add(repo.key("textual/model.onnx"))
    store_ = ModelStore(tmp_path / "models")
    with pytest.raises(DownloadError, match=r"textual/model\.onnx failed its checksum") as caught:
        store_.install("tiny__immich")
    assert "\n" not in str(caught.value)
    assert store_.installed() == []
    assert not list(_cache_repo(tmp_path).glob("blobs/*.incomplete"))  # not kept to resume
    assert not (_cache_repo(tmp_path) / "snapshots").exists()


def test_a_corrupted_small_file_fails_the_hubs_git_hash(tmp_path, server, repo, entry):
    server.corrupt.add(repo.key("config.json"))
    with pytest.raises(DownloadError, match=r"config\.json does not match the hub's record"):
        ModelStore(tmp_path / "models").install("tiny__immich")


def test_resume_after_the_connection_drops(tmp_path, server, repo, entry):
    key = repo.key("visual/model.onnx")
    server.drop_once.add(key)
    ModelStore(tmp_path / "models").install("tiny__immich")
    ranges = [r for k, r in server.requests if k == key]
    assert ranges[0] is None and ranges[1].startswith("bytes=")
    # Nothing fetched twice but the bytes huggingface_hub held in its last unfinished chunk.
    assert 0 <= server.served[key] - _sizes(repo)["visual/model.onnx"] < hubclient.CHUNK


def test_a_host_that_ignores_range_gets_the_file_again_from_its_start(
    tmp_path, server, repo, entry
):
    key = repo.key("textual/model.onnx")
    server.drop_once.add(key)
    server.ignore_range.add(key)
    ModelStore(tmp_path / "models").install("tiny__immich")  # the sha256 still matches
    size = _sizes(repo)["textual/model.onnx"]
    assert size < server.served[key] < 2 * size


def test_a_failure_in_a_later_file_keeps_the_finished_ones(tmp_path, server, repo, entry):
    last = repo.key("visual/preprocess_cfg.json")  # the listing's last file
    server.corrupt.add(last)
    store_ = ModelStore(tmp_path / "models")
    with pytest.raises(DownloadError, match=r"preprocess_cfg\.json"):
        store_.install("tiny__immich")
    server.corrupt.clear()
    before = dict(server.served)
    store_.install("tiny__immich")
    assert _since(server, before) == {last: _sizes(repo)["visual/preprocess_cfg.json"]}


def test_a_cancelled_install_keeps_its_partial_file_and_resumes_from_it(
    tmp_path, server, repo, entry, monkeypatch
):
    control = TaskControl()
    middle = "textual/model.onnx"
    sizes = _sizes(repo)
    earlier = sum(s for p, s in sizes.items() if p < middle)  # the listing is sorted by path
    monkeypatch.setattr(store, "REPORT_EVERY", 0.0)  # a report for every chunk

    at_cancel: list[int] = []

    def report(progress: Progress) -> None:
        if earlier + 100_000 < progress.done < earlier + sizes[middle] and not at_cancel:
            control.cancel()
            at_cancel.append(progress.done - earlier)

    store_ = ModelStore(tmp_path / "models")
    with pytest.raises(Cancelled):
        store_.install("tiny__immich", progress=report, control=control)
    assert store_.installed() == []
    sha256 = next(i["lfs"]["oid"] for i in repo.listing if i["path"] == middle)
    partial = _cache_repo(tmp_path) / "blobs" / f"{sha256}.incomplete"
    kept = partial.stat().st_size
    assert 100_000 < kept < sizes[middle]
    assert kept == at_cancel[0]  # it stopped at the chunk it was on: nothing more was read
    asked = len(server.requests)
    seen: list[Progress] = []
    store_.install("tiny__immich", progress=seen.append)
    again = [(k, r) for k, r in server.requests[asked:] if not k.endswith("(redirect)")]
    assert again[0] == (repo.key(middle), f"bytes={kept}-")  # resumed where it stopped
    assert all(k > repo.key(middle) for k, _ in again[1:])  # finished files not fetched again
    assert seen[0].done == kept  # the bar starts with what was kept


def test_an_external_data_model_gets_every_file_of_each_encoders_folder(
    tmp_path, server, tiny_immich_dir, monkeypatch
):
    """ViT-H-14's graphs keep their weights beside them (model.onnx_data, many *.weight): every
    file of each folder is fetched, over many listing pages, and handed to the converter with
    each encoder's files in its own folder, as ONNX Runtime looks for them beside the graph."""
    folder = tmp_path / "hub" / "big"
    shutil.copytree(tiny_immich_dir, folder)
    extra = {}
    for encoder in ("visual", "textual"):
        extra[f"{encoder}/model.onnx_data"] = os.urandom(200_000)
        for n in range(12):
            extra[f"{encoder}/onnx__MatMul_{n}.weight"] = os.urandom(5_000 + n)
    for path, data in extra.items():
        (folder / path).write_bytes(data)
    (folder / "README.md").write_text("not needed")
    big = server.add_repo("immich-app/big__external", folder)
    big.page_size = 7
    item = {
        "name": "big__external",
        "source": {"kind": "immich", "repo": big.name, "revision": big.commit},
        "files": [{"path": p} for p in ("config.json", "visual/*", "textual/*")],
    }
    monkeypatch.setattr(registry, "find_entry", lambda name: item)
    handed: dict[str, object] = {}
    real_convert = layouts.convert

    def convert(kind, source, work, **kwargs):
        handed["files"] = {p.relative_to(source).as_posix(): p.read_bytes() for p in
                           source.rglob("*") if p.is_file()}  # fmt: skip
        handed["hashes"] = kwargs["hashes"]
        return real_convert(kind, source, work, **kwargs)

    monkeypatch.setattr(layouts, "convert", convert)
    ModelStore(tmp_path / "models").install("big__external")
    files = handed["files"]
    assert isinstance(files, dict)
    expected = {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p.name != "README.md" and p.name != ".gitattributes"
    }
    assert set(files) == expected and {p: files[p] for p in extra} == extra
    assert handed["hashes"] == {p: hashlib.sha256(data).hexdigest() for p, data in files.items()}
    pages = [r for r in server.log if "/tree/" in r.path]
    assert len(pages) >= len(big.listing) // 7  # every page followed
    assert not any("README" in r.path for r in server.log)


def test_a_cancel_ends_a_download_the_hub_has_stalled(tmp_path, server, repo, entry, monkeypatch):
    """The hub stops sending mid-file: the cancel still ends the install (not the read timeout,
    here two minutes), and what arrived is kept for the next try."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_DOWNLOAD_TIMEOUT", 120)
    key = repo.key("textual/model.onnx")
    gate = server.gates[key] = Gate(at=4 * hubclient.CHUNK)
    control = TaskControl()
    outcome: list[BaseException] = []

    def install() -> None:
        try:
            ModelStore(tmp_path / "models").install("tiny__immich", control=control)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=install)
    thread.start()
    assert gate.reached.wait(30)
    control.cancel()
    thread.join(20)
    stalled = not gate.opened.is_set()
    gate.opened.set()
    assert not thread.is_alive() and stalled, "the cancel waited for the stalled read"
    assert [type(e) for e in outcome] == [Cancelled]
    sha256 = next(i["lfs"]["oid"] for i in repo.listing if i["path"] == "textual/model.onnx")
    partial = _cache_repo(tmp_path) / "blobs" / f"{sha256}.incomplete"
    assert 0 < partial.stat().st_size <= gate.at  # (a chunk still in flight is not waited for)


def test_an_entry_with_a_subfolder_fetches_only_that_folder(
    tmp_path, server, tiny_immich_dir, monkeypatch
):
    """rclip keeps one model per folder of one repository (`source.subfolder`): the entry's
    files are paths inside it, and nothing of the other folders is fetched."""
    folder = tmp_path / "hub" / "many"
    shutil.copytree(tiny_immich_dir, folder / "tiny")
    shutil.copytree(tiny_immich_dir, folder / "other")
    many = server.add_repo("someone/many-models", folder)
    item = {
        "name": "tiny__sub",
        "source": {
            "kind": "immich",
            "repo": many.name,
            "revision": many.commit,
            "subfolder": "tiny/",
        },
        "files": [{"path": p} for p in immich.FILES],
    }
    monkeypatch.setattr(registry, "find_entry", lambda name: item)
    ModelStore(tmp_path / "models").install("tiny__sub")
    fetched = {r.path.split(f"/resolve/{many.commit}/")[-1] for r in server.log if
               "/resolve/" in r.path and r.method == "GET"}  # fmt: skip
    assert fetched == {f"tiny/{p}" for p in immich.FILES}


def test_a_second_install_of_the_same_model_is_refused_while_one_runs(
    tmp_path, server, repo, entry
):
    key = repo.key("textual/model.onnx")
    gate = server.gates[key] = Gate(at=1 << 20)
    first = ModelStore(tmp_path / "models")
    outcome: list[object] = []
    thread = threading.Thread(target=lambda: outcome.append(first.install("tiny__immich")))
    thread.start()
    assert gate.reached.wait(30)
    with pytest.raises(DownloadError, match="already downloading tiny__immich"):
        ModelStore(tmp_path / "models").install("tiny__immich")
    gate.opened.set()
    thread.join(60)
    assert [m.name for m in outcome] == ["tiny__immich"]  # the first went on, unharmed


def test_a_file_missing_from_the_hub_is_named(tmp_path, repo, entry):
    repo.listing = [i for i in repo.listing if i["path"] != "textual/model.onnx"]
    with pytest.raises(DownloadError, match=r"has no textual/model\.onnx"):
        ModelStore(tmp_path / "models").install("tiny__immich")


def test_an_unusable_export_on_the_hub_is_not_installed(tmp_path, repo, entry):
    config = repo.files / "visual" / "preprocess_cfg.json"
    config.write_text(json.dumps({**json.loads(config.read_text()), "resize_mode": "longest"}))
    repo.refresh()
    store_ = ModelStore(tmp_path / "models")
    with pytest.raises(ModelFolderError, match="resize mode 'longest'"):
        store_.install("tiny__immich")
    assert store_.installed() == []
    assert not list((tmp_path / "models").glob(".incoming-*"))


def test_a_catalog_entry_must_pin_a_commit(tmp_path, server, repo, entry, monkeypatch):
    monkeypatch.delenv(hubclient.UNPINNED_FOR_TESTS)
    entry["source"]["revision"] = "main"
    with pytest.raises(DownloadError, match="names revision 'main', not a commit"):
        ModelStore(tmp_path / "models").install("tiny__immich")
    assert server.log == []


def test_an_entry_that_says_why_it_is_not_pinned_installs_the_branchs_commit(
    tmp_path, server, repo, entry, monkeypatch, caplog
):
    """No commit of the published repositories could be verified from here (registry.json's
    revision_note): such an entry still installs for a real user, from the commit the branch
    names now, and says so in the log."""
    monkeypatch.delenv(hubclient.UNPINNED_FOR_TESTS)
    entry["source"]["revision"] = "main"
    entry["source"]["revision_note"] = "not pinned: no commit could be verified"
    with caplog.at_level("WARNING", logger="photofind.modelstore.hubclient"):
        installed = ModelStore(tmp_path / "models").install("tiny__immich")
    assert installed.name == "tiny__immich"
    assert any("pins no commit" in r.getMessage() for r in caplog.records)


def test_the_hub_is_huggingface_unless_hf_endpoint_says_otherwise(monkeypatch):
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    assert hubclient.endpoint() == "https://huggingface.co"
    monkeypatch.setenv("HF_ENDPOINT", "https://hf-mirror.example/")
    assert hubclient.endpoint() == "https://hf-mirror.example"


def test_the_hub_cache_is_found_as_huggingface_hub_finds_it(tmp_path, monkeypatch):
    monkeypatch.delenv("HF_HUB_CACHE")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    assert hubclient.cache_dir() == tmp_path / "hf" / "hub"
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "elsewhere"))
    assert hubclient.cache_dir() == tmp_path / "elsewhere"


def test_catalog_entries_from_immichs_hub_name_every_file():
    hub_entries = [e for e in registry.entries() if immich.is_immich_entry(e)]
    assert {e["name"] for e in hub_entries} >= {"ViT-B-32__openai", "ViT-B-32__laion2b_s34b_b79k"}
    for item in hub_entries:
        assert item["source"]["repo"].startswith("immich-app/") and item["source"]["revision"]
        assert [f["path"] for f in item["files"]] == immich.wanted_files(item)


def test_git_blob_hash_matches_gits():
    from photofind.modelstore.blobs import git_blob_sha1 as ours

    assert (
        ours(b"hello\n")
        == git_blob_sha1(b"hello\n")
        == (
            "ce013625030ba8dba906f756967f9e9ca394464a"  # `git hash-object` of "hello\n"
        )
    )


def test_one_module_imports_huggingface_hub():
    """hubclient.py switches telemetry and token sending off before the import; any other
    importer could load the library first, with them on."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    importers = []
    for path in sorted((root / "photofind").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])  # fmt: skip
            if any(n.split(".")[0] in ("huggingface_hub", "httpx2") for n in names):
                importers.append(path.relative_to(root).as_posix())
    assert set(importers) == {"photofind/modelstore/hubclient.py"}

"""Installing Immich's exports from a loopback replica of the Hugging Face hub (no Qt).

The replica (tests/replica_hub.py) answers as huggingface.co does: a paginated tree listing
with sizes, LFS sha256 and git blob hashes, `resolve` URLs that redirect LFS files to a CDN,
Range requests; faults are set per file. `HF_ENDPOINT` points the installer at it.
"""

from __future__ import annotations

import io
import json
import threading

import pytest
from replica_hub import Gate, Server, git_blob_sha1, publish

from photofind.cli.progress import ProgressPrinter
from photofind.clip.model import ClipModel
from photofind.errors import Cancelled, DownloadError, ModelFolderError
from photofind.modelstore import ModelStore, download, hub, immich, registry, web
from photofind.tasks import BYTES, Progress, TaskControl

REPO = "immich-app/tiny__immich"
TEXTS = ["a photo of a red circle", "two small blue squares at the top"]


@pytest.fixture
def server(tmp_path, monkeypatch):
    s = Server()
    monkeypatch.setenv("HF_ENDPOINT", s.url)
    yield s
    s.close()


@pytest.fixture
def repo(server, tmp_path, tiny_immich_dir):
    return publish(server, REPO, tiny_immich_dir, tmp_path / "hub" / REPO)


@pytest.fixture
def waits(monkeypatch) -> list[float]:
    """The retry waits asked for (recorded, not slept)."""
    asked: list[float] = []
    monkeypatch.setattr(web, "sleep", lambda seconds, control: asked.append(seconds))
    return asked


@pytest.fixture
def entry(repo, waits, monkeypatch):
    item = {
        "name": "tiny__immich",
        "arch": "tiny-resnet-synthetic",
        "pretrained": "synthetic",
        "license": "MIT",
        "source": {"kind": "immich", "repo": REPO, "revision": "main"},
        "files": [{"path": p, "size": None, "sha256": None} for p in immich.FILES],
    }
    monkeypatch.setattr(registry, "find_entry", lambda name: item)
    return item


def _sizes(repo) -> dict[str, int]:
    return {i["path"]: i["size"] for i in repo.listing if i["path"] in immich.FILES}


def _since(server, before: dict[str, int]) -> dict[str, int]:
    """Bytes served per file since `before` was taken (files not served left out)."""
    return {k: n - before.get(k, 0) for k, n in server.served.items() if n > before.get(k, 0)}


def test_install_reports_download_progress_every_printer_can_draw(
    tmp_path, server, repo, entry, tiny_model_dir
):
    store = ModelStore(tmp_path / "models")
    seen: list[Progress] = []
    terminal, plain = io.StringIO(), io.StringIO()
    printers = [ProgressPrinter(terminal, tty=True), ProgressPrinter(plain, tty=False)]

    def report(progress: Progress) -> None:
        seen.append(progress)
        for printer in printers:
            printer(progress)

    installed = store.install("tiny__immich", progress=report)
    for printer in printers:
        printer.finish()
    total = sum(_sizes(repo).values())
    assert {p.phase for p in seen} == {"download"} and {p.unit for p in seen} == {BYTES}
    assert seen[-1].done == seen[-1].total == total
    assert [p.done for p in seen] == sorted(p.done for p in seen)
    assert {p.current for p in seen} == set(immich.FILES)
    assert "MB" in plain.getvalue() and "download: " in plain.getvalue()
    assert "100%" in terminal.getvalue().rsplit("\r", 1)[-1]
    # Large files came through the hub's redirect to its CDN; README.md was never fetched.
    redirected = {k for k, _ in server.requests if k.endswith("(redirect)")}
    assert redirected == {f"{repo.key(p)} (redirect)" for p in immich.GRAPHS if "onnx" in p}
    assert not any("README" in k for k, _ in server.requests)
    assert installed.manifest.raw["source"] == {"kind": "immich", "repo": REPO, "revision": "main"}
    original, model = ClipModel.load(tiny_model_dir), ClipModel.load(installed.folder)
    cos = (original.text.encode_texts(TEXTS) * model.text.encode_texts(TEXTS)).sum(1)
    assert cos.min() > 0.9999
    assert not list((tmp_path / "models").glob(".incoming-*"))
    assert not (tmp_path / "models" / ".downloads" / "tiny__immich").exists()


def test_a_corrupted_graph_fails_the_hubs_sha256(tmp_path, server, repo, entry):
    server.corrupt.add(repo.key("textual/model.onnx"))
    store = ModelStore(tmp_path / "models")
    with pytest.raises(DownloadError, match=r"textual/model\.onnx failed its checksum"):
        store.install("tiny__immich")
    assert store.installed() == []


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
    assert server.served[key] == _sizes(repo)["visual/model.onnx"]  # nothing fetched twice


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
    last = repo.key("textual/tokenizer.json")
    server.corrupt.add(last)
    store = ModelStore(tmp_path / "models")
    with pytest.raises(DownloadError, match=r"tokenizer\.json"):
        store.install("tiny__immich")
    server.corrupt.clear()
    before = dict(server.served)
    store.install("tiny__immich")
    again = _since(server, before)
    assert again == {last: _sizes(repo)["textual/tokenizer.json"]}


def test_a_cancelled_install_resumes_without_fetching_finished_files(
    tmp_path, server, repo, entry, monkeypatch
):
    control = TaskControl()
    middle = repo.key("textual/model.onnx")
    sizes = _sizes(repo)
    earlier = immich.FILES[: immich.FILES.index("textual/model.onnx")]
    before_middle = sum(sizes[p] for p in earlier)
    monkeypatch.setattr(download, "REPORT_EVERY", 0.0)  # a report for every chunk

    def report(progress: Progress) -> None:
        if before_middle < progress.done < before_middle + sizes["textual/model.onnx"]:
            control.cancel()

    store = ModelStore(tmp_path / "models")
    with pytest.raises(Cancelled):
        store.install("tiny__immich", progress=report, control=control)
    assert store.installed() == []
    asked = len(server.requests)
    store.install("tiny__immich")
    again = [(k, r) for k, r in server.requests[asked:] if not k.endswith("(redirect)")]
    assert [k for k, _ in again] == [middle, repo.key("textual/tokenizer.json")]
    assert again[0][1].startswith("bytes=") and again[0][1] != "bytes=0-"  # resumed


def test_the_retry_count_starts_again_while_bytes_arrive(tmp_path, server, repo, entry):
    key = repo.key("textual/model.onnx")
    size = _sizes(repo)["textual/model.onnx"]
    server.drop_every[key] = size // 12  # 12 connections, more than RETRIES
    assert size // server.drop_every[key] > web.RETRIES
    ModelStore(tmp_path / "models").install("tiny__immich")
    assert len([k for k, _ in server.requests if k == key]) >= 12
    assert server.served[key] == size


def test_a_server_that_sends_nothing_is_given_up_on(tmp_path, server, repo, entry, waits):
    server.drop_every[repo.key("visual/model.onnx")] = 0
    with pytest.raises(DownloadError, match="the connection kept dropping"):
        ModelStore(tmp_path / "models").install("tiny__immich")
    assert len(waits) == web.RETRIES


def test_429_waits_as_long_as_retry_after_asks(tmp_path, server, repo, entry, waits):
    server.too_many[repo.key("config.json")] = ["3"]
    server.too_many[repo.key("visual/model.onnx")] = ["Wed, 21 Oct 2015 07:28:00 GMT"]  # past
    server.listing_429.append("2")
    ModelStore(tmp_path / "models").install("tiny__immich")
    assert waits == [2.0, 3.0, 0.0]


def test_a_long_retry_after_is_a_message_not_a_hang(tmp_path, server, repo, entry, waits):
    server.too_many[repo.key("config.json")] = ["7200"]
    with pytest.raises(DownloadError, match="asks to wait 120 minutes; try again later"):
        ModelStore(tmp_path / "models").install("tiny__immich")
    assert waits == []


def test_every_page_of_the_listing_is_read(tmp_path, server, repo, entry):
    repo.page_size = 2
    pages = len(repo.listing) // 2 + 1
    assert pages >= 4
    ModelStore(tmp_path / "models").install("tiny__immich")
    assert set(immich.FILES) <= set(hub.listing(REPO, "main"))


def test_a_file_missing_from_the_hub_is_named(tmp_path, repo, entry):
    repo.listing = [i for i in repo.listing if i["path"] != "textual/model.onnx"]
    with pytest.raises(DownloadError, match=r"no longer has textual/model\.onnx"):
        ModelStore(tmp_path / "models").install("tiny__immich")


def test_an_unusable_export_on_the_hub_is_not_installed(tmp_path, repo, entry):
    config = repo.files / "visual" / "preprocess_cfg.json"
    config.write_text(json.dumps({**json.loads(config.read_text()), "resize_mode": "longest"}))
    repo.refresh()
    store = ModelStore(tmp_path / "models")
    with pytest.raises(ModelFolderError, match="resize mode 'longest'"):
        store.install("tiny__immich")
    assert store.installed() == []
    assert not (tmp_path / "models" / ".downloads" / "tiny__immich").exists()


def test_a_second_install_of_the_same_model_is_refused_while_one_runs(
    tmp_path, server, repo, entry
):
    key = repo.key("textual/model.onnx")
    gate = server.gates[key] = Gate(at=100_000)
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


def test_the_hub_is_huggingface_unless_hf_endpoint_says_otherwise(monkeypatch):
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    assert hub.resolve_url("immich-app/X", "main", "visual/model.onnx") == (
        "https://huggingface.co/immich-app/X/resolve/main/visual/model.onnx"
    )
    assert hub.tree_url("immich-app/X", "main") == (
        "https://huggingface.co/api/models/immich-app/X/tree/main?recursive=true"
    )
    monkeypatch.setenv("HF_ENDPOINT", "https://hf-mirror.example/")
    assert (
        hub.resolve_url("a/b", "v1.0", "c.json")
        == "https://hf-mirror.example/a/b/resolve/v1.0/c.json"
    )


def test_catalog_entries_from_immichs_hub_name_every_file():
    hub_entries = [e for e in registry.entries() if immich.is_immich_entry(e)]
    assert {e["name"] for e in hub_entries} >= {"ViT-B-32__openai", "ViT-B-32__laion2b_s34b_b79k"}
    for item in hub_entries:
        assert item["source"]["repo"].startswith("immich-app/") and item["source"]["revision"]
        assert [f["path"] for f in item["files"]] == immich.wanted_files(item)
        assert "sha256" in item["source"]["hashes"]


def test_git_blob_hash_matches_gits(tmp_path):
    from photofind.modelstore.download import git_blob_sha1 as ours

    (tmp_path / "f").write_bytes(b"hello\n")
    assert (
        ours(tmp_path / "f")
        == git_blob_sha1(b"hello\n")
        == (
            "ce013625030ba8dba906f756967f9e9ca394464a"  # `git hash-object` of "hello\n"
        )
    )

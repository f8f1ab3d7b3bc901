"""What the installer's download path costs next to a bare HTTP read, and what a rerun costs.

    python bench/install_download.py [--mb 350] [--rounds 5]

A loopback replica of the hub (tests/replica_hub.py) publishes one LFS file of --mb random
megabytes (the size of ViT-B-32's image graph) behind its redirect to a CDN. Interleaved,
A B C D A B C D: (A) a bare read through huggingface_hub's HTTP client (httpx2), discarded (the
ceiling); (B) the same read written to a file with its sha256 taken, the least a checked
download must do; (C) photofind's `hubclient.fetch` into a fresh hub cache (listing, resumable
partial file written unbuffered, sha256 as bytes arrive, checked against the hub's, blob
renamed, snapshot linked by huggingface_hub); (D) huggingface_hub's own `hf_hub_download` into a
fresh cache (no resume across runs, no hash check). Printed: the median MB/s of each, C/A, C/B
and C/D, then a rerun of C over the warm cache (no request at all), and the load average
(the machine is shared; compare ratios, not absolute times).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, median

sys.path.insert(0, str(ROOT / "tests"))
from replica_hub import Server

from photofind.modelstore import hubclient

REPO = "immich-app/bench__download"
PATH = "visual/model.onnx"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=350)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="photofind-bench-") as tmp:
        root = Path(tmp)
        (root / "repo" / "visual").mkdir(parents=True)
        blob = root / "repo" / PATH
        with blob.open("wb") as out:
            for _ in range(args.mb):
                out.write(os.urandom(1 << 20))
        server = Server()
        repo = server.add_repo(REPO, root / "repo")
        os.environ["HF_ENDPOINT"] = server.url
        url = f"{server.url}/{REPO}/resolve/{repo.commit}/{PATH}"
        size = blob.stat().st_size
        bare, checked, ours, theirs = [], [], [], []
        for n in range(args.rounds):
            bare.append(size / 1e6 / _bare_read(url))
            checked.append(size / 1e6 / _bare_read(url, root / "checked"))
            os.environ["HF_HUB_CACHE"] = str(root / f"cache-{n}")
            started = time.perf_counter()
            hubclient.fetch(REPO, repo.commit, [PATH], on_bytes=lambda path, n: None)
            ours.append(size / 1e6 / (time.perf_counter() - started))
            theirs.append(size / 1e6 / _hf_hub_download(server, repo, root / f"theirs-{n}"))
            if n < args.rounds - 1:
                shutil.rmtree(root / f"cache-{n}")
        rerun = []
        for _ in range(args.rounds):
            asked = len(server.log)
            started = time.perf_counter()
            hubclient.fetch(REPO, repo.commit, [PATH])
            rerun.append(time.perf_counter() - started)
            assert len(server.log) == asked, "a warm rerun made a request"
        server.close()
    print(f"file: {size / 1e6:.0f} MB, {args.rounds} rounds interleaved A B C D")
    print(f"A bare read (httpx2):         {median(bare):7.1f} MB/s (median)")
    print(f"B read, write, sha256:        {median(checked):7.1f} MB/s (median)")
    print(f"C photofind hubclient.fetch:  {median(ours):7.1f} MB/s (median)")
    print(f"D huggingface_hub download:   {median(theirs):7.1f} MB/s (median)")
    c = median(ours)
    ratios = {"C/A": median(bare), "C/B": median(checked), "C/D": median(theirs)}
    print("   ".join(f"{name} {c / base:.2f}" for name, base in ratios.items()))
    print(f"rerun, warm hub cache:        {1000 * median(rerun):7.1f} ms (median; 0 requests)")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def _bare_read(url: str, into: Path | None = None) -> float:
    from huggingface_hub import get_session

    started = time.perf_counter()
    digest = hashlib.sha256()
    with get_session().stream("GET", url) as response:
        if into is None:
            for _ in response.iter_bytes(1 << 16):
                pass
        else:
            with into.open("wb") as out:
                for chunk in response.iter_bytes(1 << 16):
                    out.write(chunk)
                    digest.update(chunk)
    return time.perf_counter() - started


def _hf_hub_download(server: Server, repo, cache: Path) -> float:
    from huggingface_hub import hf_hub_download

    started = time.perf_counter()
    hf_hub_download(REPO, PATH, revision=repo.commit, cache_dir=cache, endpoint=server.url)
    elapsed = time.perf_counter() - started
    shutil.rmtree(cache)
    return elapsed


if __name__ == "__main__":
    main()

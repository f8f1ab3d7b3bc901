"""What the installer's download path costs next to a bare HTTP read, and what a rerun costs.

    python bench/install_download.py [--mb 350] [--rounds 5]

A loopback replica of the hub (tests/replica_hub.py) publishes one LFS file of --mb random
megabytes (the size of ViT-B-32's image graph). Interleaved, A B C A B C: (A) a bare urllib
read through the hub's redirect, discarded (the ceiling); (B) the same read written to a file
with its sha256 taken, the least a checked download must do; (C) photofind's `download_files`
(resumable .part written unbuffered, sha256 taken as bytes arrive, progress reported) into a
fresh area. Printed: the median MB/s of each, C/A and C/B, then the time of a rerun over an
area whose file is finished (no byte fetched: the listing and a stat), and the load average
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
import urllib.request
from pathlib import Path

from common import ROOT, median

sys.path.insert(0, str(ROOT / "tests"))
from replica_hub import Server

from photofind.modelstore import download, hub

REPO = "immich-app/bench__download"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=350)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="photofind-bench-") as tmp:
        root = Path(tmp)
        (root / "repo" / "visual").mkdir(parents=True)
        blob = root / "repo" / "visual" / "model.onnx"
        with blob.open("wb") as out:
            for _ in range(args.mb):
                out.write(os.urandom(1 << 20))
        server = Server()
        server.add_repo(REPO, root / "repo")
        os.environ["HF_ENDPOINT"] = server.url
        entry = {
            "name": "bench",
            "source": {"kind": "immich", "repo": REPO, "revision": "main"},
            "files": [{"path": "visual/model.onnx", "size": None, "sha256": None}],
        }
        files = hub.hub_files(entry)
        size = blob.stat().st_size
        bare, checked, ours = [], [], []
        for n in range(args.rounds):
            bare.append(size / 1e6 / _bare_read(files[0]["url"]))
            checked.append(size / 1e6 / _bare_read(files[0]["url"], root / "checked"))
            area = root / f"area-{n}"
            started = time.perf_counter()
            download.download_files(files, area, progress=lambda p: None)
            ours.append(size / 1e6 / (time.perf_counter() - started))
            if n < args.rounds - 1:
                shutil.rmtree(area)
        rerun = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            download.download_files(hub.hub_files(entry), area)
            rerun.append(time.perf_counter() - started)
        server.close()
    print(f"file: {size / 1e6:.0f} MB, {args.rounds} rounds interleaved A B C")
    print(f"A bare urllib read:         {median(bare):7.1f} MB/s (median)")
    print(f"B read, write, sha256:      {median(checked):7.1f} MB/s (median)")
    print(f"C photofind download_files: {median(ours):7.1f} MB/s (median)")
    print(f"C/A {median(ours) / median(bare):.2f}   C/B {median(ours) / median(checked):.2f}")
    print(f"rerun, file finished:       {1000 * median(rerun):7.1f} ms (median; 0 bytes fetched)")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def _bare_read(url: str, into: Path | None = None) -> float:
    started = time.perf_counter()
    digest = hashlib.sha256()
    with urllib.request.urlopen(url) as response:
        if into is None:
            while response.read(1 << 16):
                pass
        else:
            with into.open("wb") as out:
                while chunk := response.read(1 << 16):
                    out.write(chunk)
                    digest.update(chunk)
    return time.perf_counter() - started


if __name__ == "__main__":
    main()

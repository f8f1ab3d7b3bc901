"""A cold CLI text query on a built library: `photofind search` vs rclip 4.0.8, whole processes.

    python bench/cold_query.py [--model DIR] [--rclip /work/venvs/rclip/bin/rclip]
                               [--files 48] [--rounds 5] [--query "red circle"]

Builds a photofind library and an rclip database over the same 12 MP photos (rclip's model
folder as bench/vs_rclip.py makes it), then times `photofind search QUERY` and
`rclip --no-indexing QUERY` as fresh processes, interleaved, and prints both medians, their
ratio and the load average. Goal (issue 14): photofind under 0.5 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import WORK, camera_photos, median, model_dir
from vs_rclip import rclip_datadir


def wall(cmd: list[str], cwd: Path | None = None, env: dict | None = None) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True)
    took = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{done.stderr.decode(errors='replace')[-2000:]}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path)
    parser.add_argument("--rclip", default="/work/venvs/rclip/bin/rclip")
    parser.add_argument("--files", type=int, default=48)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--query", default="red circle")
    args = parser.parse_args()
    folder = model_dir(args.model)
    photos_dir = WORK / "photos12mp"
    camera_photos(photos_dir, args.files)
    datadir = rclip_datadir(folder, WORK / "rclip-data")
    env = {**os.environ, "RCLIP_DATADIR": str(datadir)}
    lib = Path(tempfile.mkdtemp(prefix="cold-query-", dir=WORK))
    ours = [sys.executable, "-m", "photofind", "--library", str(lib), "--model", str(folder)]
    subprocess.run([*ours, "folders", "add", str(photos_dir)], check=True, capture_output=True)
    subprocess.run([*ours, "index"], check=True, capture_output=True)
    (datadir / "db.sqlite3").unlink(missing_ok=True)
    subprocess.run([args.rclip, "-f", "x"], cwd=photos_dir, env=env, check=True,
                   capture_output=True)  # fmt: skip
    photofind_cmd = [*ours, "search", args.query]
    rclip_cmd = [args.rclip, "--no-indexing", "-f", args.query]
    wall(photofind_cmd)  # both warm the page cache once; every timed run is a new process
    wall(rclip_cmd, cwd=photos_dir, env=env)
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    a, b = [], []
    for _ in range(args.rounds):
        a.append(wall(photofind_cmd))
        b.append(wall(rclip_cmd, cwd=photos_dir, env=env))
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    print(f"photofind search: median {median(a):.2f} s  ({' '.join(f'{t:.2f}' for t in a)})")
    print(f"rclip query:      median {median(b):.2f} s  ({' '.join(f'{t:.2f}' for t in b)})")
    print(f"ratio photofind / rclip: {median(a) / median(b):.2f}  (goal: photofind < 0.5 s)")
    shutil.rmtree(lib, ignore_errors=True)


if __name__ == "__main__":
    main()

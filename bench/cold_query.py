"""A cold CLI text query on a built library: `photofind search` vs rclip 4.0.8, whole processes.

    python bench/cold_query.py [--model DIR] [--rclip /work/venvs/rclip/bin/rclip]
                               [--files 48] [--rounds 5] [--query "red circle"] [--compare SRC]

Builds a photofind library and an rclip database over the same 12 MP photos (rclip's model
folder as bench/vs_rclip.py makes it), then times `photofind search QUERY` and
`rclip --no-indexing QUERY` as fresh processes, interleaved with a floor (a bare
`python -c "import numpy, onnxruntime"`, which neither can avoid), and prints the medians,
the ratio and the load average (then the CPU time of each, which a loaded machine moves
less). Goal (issue 14): photofind under 0.5 s. `--compare SRC` also times `photofind search`
run from another source tree (e.g. `git archive` of an earlier commit, extracted) on the same
library, in the same interleaved rounds: an A/B of a change as whole processes.
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
from vs_rclip import CHILD_ENV, rclip_datadir


def wall(cmd: list[str], cwd: Path | None = None, env: dict | None = None) -> tuple[float, float]:
    """(seconds from start to exit, CPU seconds: user+sys of all its threads) of `cmd` run as
    a new process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env or CHILD_ENV, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)  # fmt: skip
    err = proc.stderr.read() if proc.stderr else b""
    _, status, usage = os.wait4(proc.pid, 0)
    took = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{err.decode(errors='replace')[-2000:]}")
    return took, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path)
    parser.add_argument("--rclip", default="/work/venvs/rclip/bin/rclip")
    parser.add_argument("--files", type=int, default=48)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--query", default="red circle")
    parser.add_argument("--compare", type=Path, help="also run photofind from this source tree")
    args = parser.parse_args()
    folder = model_dir(args.model)
    photos_dir = WORK / "photos12mp"
    camera_photos(photos_dir, args.files)
    datadir = rclip_datadir(folder, WORK / "rclip-data")
    env = {**CHILD_ENV, "RCLIP_DATADIR": str(datadir)}
    lib = Path(tempfile.mkdtemp(prefix="cold-query-", dir=WORK))
    ours = [sys.executable, "-m", "photofind", "--library", str(lib), "--model", str(folder)]
    for step in (["folders", "add", str(photos_dir)], ["index"]):
        subprocess.run([*ours, *step], check=True, capture_output=True, env=CHILD_ENV)
    (datadir / "db.sqlite3").unlink(missing_ok=True)
    subprocess.run([args.rclip, "-f", "x"], cwd=photos_dir, env=env, check=True,
                   capture_output=True)  # fmt: skip
    photofind_cmd = [*ours, "search", args.query]
    rclip_cmd = [args.rclip, "--no-indexing", "-f", args.query]
    wall(photofind_cmd)  # both warm the page cache once; every timed run is a new process
    wall(rclip_cmd, cwd=photos_dir, env=env)
    floor_cmd = [sys.executable, "-c", "import numpy, onnxruntime"]
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    a, b, c, d = [], [], [], []
    cpu: tuple[list[float], ...] = ([], [], [], [])
    runs = [(a, cpu[0], photofind_cmd, {}), (b, cpu[1], rclip_cmd, {"cwd": photos_dir, "env": env}),
            (c, cpu[2], floor_cmd, {})]  # fmt: skip
    if args.compare:  # `python -m photofind` from that tree: its folder comes first on sys.path
        base = args.compare.absolute()
        base_env = {**CHILD_ENV, "PYTHONPATH": str(base)}
        wall(photofind_cmd, cwd=base, env=base_env)
        runs.append((d, cpu[3], photofind_cmd, {"cwd": base, "env": base_env}))
    for _ in range(args.rounds):
        for times, used, cmd, where in runs:
            took, seconds = wall(cmd, **where)
            times.append(took)
            used.append(seconds)
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    print(f"photofind search: median {median(a):.2f} s  ({' '.join(f'{t:.2f}' for t in a)})")
    print(f"rclip query:      median {median(b):.2f} s  ({' '.join(f'{t:.2f}' for t in b)})")
    print(f"floor (python + numpy + onnxruntime imports): median {median(c):.2f} s")
    if args.compare:
        ratio, cpu_ratio = median(a) / median(d), median(cpu[0]) / median(cpu[3])
        print(f"photofind from {args.compare}: median {median(d):.2f} s  "
              f"({' '.join(f'{t:.2f}' for t in d)}); this tree / that one: "
              f"{ratio:.2f} (cpu {cpu_ratio:.2f})")  # fmt: skip
    print(f"ratio photofind / rclip: {median(a) / median(b):.2f}  (goal: photofind < 0.5 s)")
    print(f"photofind above the floor: {median(a) - median(c):.2f} s, "
          f"rclip above the floor: {median(b) - median(c):.2f} s")  # fmt: skip
    # CPU time (user+sys, all threads) moves far less than wall time on a shared machine.
    cpu_ours, cpu_rclip, cpu_floor = (median(v) for v in cpu[:3])
    print(f"cpu (user+sys) medians: photofind {cpu_ours:.2f} s, rclip {cpu_rclip:.2f} s, "
          f"floor {cpu_floor:.2f} s")  # fmt: skip
    shutil.rmtree(lib, ignore_errors=True)


if __name__ == "__main__":
    main()

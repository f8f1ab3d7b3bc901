"""Indexing as whole processes: photofind (fp32 and --fast int8) vs rclip 4.0.8, same photos.

    python bench/vs_rclip.py [--model DIR] [--rclip /work/venvs/rclip/bin/rclip]
                             [--photos DIR | --real] [--files 48] [--rounds 5]
                             [--compare SRC]

`--real` indexes the real mixed files instead of the 12 MP set: the pictures the system ships
(wallpapers, login and boot screens: JPEG, PNG and WebP up to 4096x4096; common.real_mixed_photos).
`--compare SRC` also runs photofind from another source tree (e.g. `git archive main`), fp32
and --fast, in the same interleaved rounds: an A/B of a change, whole processes.

rclip downloads its model from a hub at first use; here it gets an architecture-identical
export of the same random-weight ViT-B-32-256 folder photofind uses, laid out the way rclip
looks for it (`$RCLIP_DATADIR/<model>/visual.onnx`, `textual.onnx` with rclip's input name
"input", `tokenizer/bpe_simple_vocab_16e6.txt.gz` and its legal files), so neither side
downloads anything. Needs the `onnx` package (the export extra) to rename graph inputs.

Each round runs, interleaved: photofind fp32, rclip, photofind --fast, each on a fresh
library (rclip: a fresh database; `rclip -f x` indexes the folder, then answers one query,
which costs it the text session too); with --compare, this tree and the other take turns
going first. A photofind library starts from a template that
already holds the zero-shot label vectors: a user pays them once per model (rclip has no
labels), and the template needs 4 photos for them to be computed (then removed, and its
vector file brought in line with that once). Peak RSS is each
process's own (wait4, from a small launcher process: a child forked from this process would
count this process's memory at the fork as its own). The machine limit is 1 / (draft decode
per photo / cores + inference per photo on all cores), both measured in this process after
the rounds.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from common import WORK, camera_photos, median, model_dir, real_mixed_photos, timed

MODEL_SUBDIR = "ViT-B-32-256-datacomp_s34b_b86k"  # what rclip 4.0.8 asks its hub for
LEGAL = ("LICENSE", "OPENAI-CLIP-MIT.txt", "README.md", "THIRD_PARTY_NOTICES.md")
# Children may write .pyc files, as an installed app has them (pip compiles at install):
# without them every photofind process compiles ~90 modules from source first.
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def rclip_datadir(model: Path, datadir: Path) -> Path:
    """rclip's model folder, made from photofind's export (cached in `datadir`)."""
    import onnx

    target = datadir / MODEL_SUBDIR
    stamp = datadir / "made-from.json"
    source = json.dumps({"model": str(model), "mtime": (model / "visual.onnx").stat().st_mtime})
    if stamp.is_file() and stamp.read_text() == source:
        return datadir
    target.mkdir(parents=True, exist_ok=True)
    for name in ("visual.onnx", "textual.onnx"):
        graph = onnx.load(str(model / name))
        old = graph.graph.input[0].name
        graph.graph.input[0].name = "input"
        for node in graph.graph.node:
            node.input[:] = ["input" if i == old else i for i in node.input]
        onnx.save(graph, str(target / name))
    merges = json.loads((model / "tokenizer.json").read_text("utf-8"))["model"]["merges"]
    lines = [m if isinstance(m, str) else " ".join(m) for m in merges]
    (datadir / "tokenizer").mkdir(exist_ok=True)
    with gzip.open(datadir / "tokenizer" / "bpe_simple_vocab_16e6.txt.gz", "wt") as out:
        out.write("#version: 0.2\n" + "\n".join(lines) + "\n")
    for name in LEGAL:
        (datadir / name).write_text("random-weight benchmark model\n")
    stamp.write_text(source)
    return datadir


# Runs argv[1:] and prints its wall time, peak RSS (KB) and exit code: a small process to fork
# from, so the child's peak RSS is its own (Linux counts the forking process's pages in it).
LAUNCHER = """import os, subprocess, sys, time
start = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
print(time.perf_counter() - start, usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def run(cmd: list[str], cwd: Path | None = None, env: dict | None = None) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one whole process."""
    proc = subprocess.run([sys.executable, "-c", LAUNCHER, *cmd], cwd=cwd, env=env or CHILD_ENV,
                          capture_output=True, text=True)  # fmt: skip
    wall, rss, code = proc.stdout.split()
    if proc.returncode != 0 or code != "0":
        sys.exit(f"{' '.join(cmd)} failed ({code}):\n{proc.stderr[-2000:]}")
    return float(wall), int(rss) / 1024


def machine_limit(model_folder: Path, photos: list[Path]) -> tuple[float, float, float]:
    """(limit photos/s, draft decode ms, inference ms per photo on all cores)."""
    from photofind.clip import ClipModel
    from photofind.clip.pipeline import iter_mapped

    model = ClipModel.load(model_folder, verify=False)
    image = model.image
    sample = photos[:16]
    decode = median(timed(lambda: [image.preprocess_path(p) for p in sample], 3)) / len(sample)
    pixels = np.stack([image.preprocess_path(p) for p in sample])
    cores = os.cpu_count() or 1

    def infer() -> None:  # the pipeline's own way: a one-thread run per core
        list(iter_mapped(range(cores), lambda _: image.encode_pixels(pixels), workers=cores))

    infer()
    per_photo = median(timed(infer, 3)) / (cores * len(sample))
    return 1.0 / (decode / cores + per_photo), decode * 1000, per_photo * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path)
    parser.add_argument("--rclip", default="/work/venvs/rclip/bin/rclip")
    parser.add_argument("--photos", type=Path, help="a folder of photos (default: 12 MP JPEGs)")
    parser.add_argument("--real", action="store_true", help="the system's pictures (mixed)")
    parser.add_argument("--compare", type=Path, help="also run photofind from this source tree")
    parser.add_argument("--files", type=int, default=48)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    folder = model_dir(args.model)
    if args.real:
        photos_dir = WORK / "real-mixed"
        photos = real_mixed_photos(photos_dir)
    elif args.photos:
        photos_dir = args.photos.absolute()
        photos = sorted(p for p in photos_dir.rglob("*") if p.is_file())
    else:
        photos_dir = WORK / "photos12mp"
        photos = camera_photos(photos_dir, args.files)
        for stray in sorted(photos_dir.glob("*.jpg"))[args.files :]:
            stray.unlink()
    n = len(photos)
    datadir = rclip_datadir(folder, WORK / f"rclip-data-{folder.name}")
    photofind = [sys.executable, "-m", "photofind"]
    work = Path(tempfile.mkdtemp(prefix="vs-rclip-", dir=WORK))
    template = work / "template"
    seed = work / "seed-photo"
    seed.mkdir()
    for photo in photos[:4]:  # thresholds.MIN_PHOTOS: enough for the labels to be computed
        shutil.copy(photo, seed / photo.name)
    base = [*photofind, "--library", str(template), "--model", str(folder)]
    for extra in ([], ["--fast"]):  # label vectors for both graphs, then no photos
        subprocess.run([*base, "folders", "add", str(seed)], check=True, capture_output=True,
                       env=CHILD_ENV)  # fmt: skip
        subprocess.run([*base, "index", *extra], check=True, capture_output=True, env=CHILD_ENV)
        subprocess.run([*base, "folders", "remove", str(seed)], check=True, capture_output=True,
                       env=CHILD_ENV)  # fmt: skip
    # `folders remove` opens no model, so the vector file still holds the seed photos; any
    # command with the model drops them (once, as a user's next run would), not every round.
    subprocess.run([*base, "tags"], check=True, capture_output=True, env=CHILD_ENV)

    def ours(extra: list[str], source: Path | None = None) -> tuple[float, float]:
        lib = work / "lib"
        shutil.rmtree(lib, ignore_errors=True)
        shutil.copytree(template, lib)
        cmd = [*photofind, "--library", str(lib), "--model", str(folder)]
        env = {**CHILD_ENV, "PYTHONPATH": str(source)} if source else CHILD_ENV
        subprocess.run([*cmd, "folders", "add", str(photos_dir)], check=True, capture_output=True,
                       env=env)  # fmt: skip
        return run([*cmd, "index", *extra], env=env)

    def theirs() -> tuple[float, float]:
        (datadir / "db.sqlite3").unlink(missing_ok=True)
        env = {**CHILD_ENV, "RCLIP_DATADIR": str(datadir)}
        return run([args.rclip, "-f", "x"], cwd=photos_dir, env=env)

    print(f"{n} photos from {photos_dir}, {os.cpu_count()} cores, model {folder.name}")
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    results: dict[str, list[tuple[float, float]]] = {"fp32": [], "rclip": [], "fast": []}
    if args.compare:
        results.update({"base fp32": [], "base fast": []})
    base = args.compare.absolute() if args.compare else None

    def pair(key: str, extra: list[str], first_ours: bool) -> None:
        """This tree and the compared one, in turns first (A B, then B A): a run right
        after another one pays for its teardown and writeback, whichever it is."""
        runs = [(key, None), (f"base {key}", base)] if base is not None else [(key, None)]
        for name, source in runs if first_ours else runs[::-1]:
            results[name].append(ours(extra, source))

    for round_ in range(args.rounds):
        pair("fp32", [], round_ % 2 == 0)
        results["rclip"].append(theirs())
        pair("fast", ["--fast"], round_ % 2 == 0)
    limit, decode_ms, infer_ms = machine_limit(folder, photos)
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    rate = {k: n / median([w for w, _ in v]) for k, v in results.items()}
    rss = {k: max(r for _, r in v) for k, v in results.items()}
    labels = [("fp32", "photofind fp32"), ("fast", "photofind --fast"), ("rclip", "rclip 4.0.8")]
    if args.compare:
        name = args.compare.name
        labels += [("base fp32", f"{name} fp32"), ("base fast", f"{name} --fast")]
    for key, label in labels:
        walls = " ".join(f"{w:.1f}" for w, _ in results[key])
        print(f"{label:17} {rate[key]:5.2f} photos/s (median of {args.rounds}: {walls} s), "
              f"peak RSS {rss[key]:.0f} MB")  # fmt: skip
    print(f"ratio fp32 / rclip:  {rate['fp32'] / rate['rclip']:.2f}  (goal >= 1.3)")
    print(f"ratio fast / rclip:  {rate['fast'] / rate['rclip']:.2f}  (goal >= 2.5)")
    print(f"machine limit (fp32): {limit:.2f} photos/s = 1 / (decode {decode_ms:.0f} ms / "
          f"{os.cpu_count()} cores + inference {infer_ms:.0f} ms)")  # fmt: skip
    print(f"fp32 fraction of the limit: {rate['fp32'] / limit:.2f}  (goal >= 0.9)")
    print(f"peak RSS fp32 / rclip: {rss['fp32'] / rss['rclip']:.2f}, fast / rclip: "
          f"{rss['fast'] / rss['rclip']:.2f}  (goal <= 1)")  # fmt: skip
    if args.compare:
        print(f"this tree / {args.compare.name}: fp32 {rate['fp32'] / rate['base fp32']:.2f}, "
              f"--fast {rate['fast'] / rate['base fast']:.2f}")  # fmt: skip
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

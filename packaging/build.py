"""Build the one-folder bundle and smoke-test it with no Python on PATH.

    python packaging/build.py [--venv /tmp/photofind-pkg] [--skip-build]

Makes a clean venv with photofind and PyInstaller (never torch), builds
packaging/dist/photofind/, prints its size, then runs `photofind --version` and an index +
search against the tiny test model with PATH reduced to /usr/bin:/bin minus any python.
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

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DIST = HERE / "dist"


def run(*cmd: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=3600)
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return done.stdout


def size_mb(folder: Path) -> float:
    return (
        sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink()) / 1e6
    )


def build(venv: Path) -> Path:
    if not (venv / "bin" / "pyinstaller").exists():
        run(sys.executable, "-m", "venv", str(venv))
        run(str(venv / "bin" / "pip"), "install", "-q", str(ROOT), "pyinstaller")
    start = time.monotonic()
    run(str(venv / "bin" / "pyinstaller"), "--noconfirm", "--clean", "--distpath", str(DIST),
        "--workpath", str(HERE / "build"), str(HERE / "photofind.spec"))  # fmt: skip
    bundle = DIST / "photofind"
    print(f"built {bundle} in {time.monotonic() - start:.0f} s: {size_mb(bundle):.0f} MB")
    return bundle


def smoke(bundle: Path) -> None:
    exe = bundle / "photofind"
    env = {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/tmp"), "LANG": "C.UTF-8"}
    assert not shutil.which("python", path=env["PATH"].replace("/usr/bin:", "")), "python on PATH"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        env["PHOTOFIND_HOME"] = str(work / "lib")
        print(run(str(exe), "--version", env=env).strip())
        sys.path.insert(0, str(ROOT / "models"))
        from synthetic import make_photo

        for colour, shape in [("red", "circle"), ("blue", "square"), ("green", "triangle")]:
            make_photo(work / "photos" / f"{colour}-{shape}.jpg", colour, shape)
        model = str(ROOT / "tests" / "fixtures" / "tiny-clip")
        run(str(exe), "folders", "add", str(work / "photos"), env=env)
        run(str(exe), "--model", model, "index", env=env)
        out = run(str(exe), "--model", model, "search", "a photo of a blue square", "-k", "1",
                  env=env)  # fmt: skip
        assert "blue-square.jpg" in out, out
        print("bundle smoke test passed: --version, folders add, index, search")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, default=Path(tempfile.gettempdir()) / "photofind-pkg")
    parser.add_argument("--skip-build", action="store_true")
    args = parser.parse_args()
    bundle = DIST / "photofind" if args.skip_build else build(args.venv)
    smoke(bundle)


if __name__ == "__main__":
    main()

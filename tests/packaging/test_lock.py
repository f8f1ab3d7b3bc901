"""The bundle's lock file pins every runtime dependency pyproject names, within its bounds.

`packaging/build.py` installs the bundle from `requirements-lock.txt` alone (hashes required,
photofind itself with --no-deps), so a dependency added to pyproject without regenerating the
lock would be missing from the bundle: regenerate it with the pip-compile command in
packaging/README.md.
"""

from __future__ import annotations

import re
from pathlib import Path

import tomllib
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)(?:\s*;\s*([^\\]+?))?\s*\\?$")


def locked() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "packaging" / "requirements-lock.txt").read_text().splitlines():
        match = PIN.match(line)
        if match:
            pins[canonicalize_name(match.group(1))] = match.group(2)
    return pins


def test_every_runtime_dependency_is_locked_within_its_bounds() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = locked()
    for line in project["dependencies"]:
        req = Requirement(line)
        if req.marker is not None and not req.marker.evaluate():
            continue  # another platform's wheel (onnxruntime-directml on Windows, ...)
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is not in packaging/requirements-lock.txt"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"the lock pins {req.name}=={pins[name]}, outside pyproject's {req.specifier}"
        )


def test_the_build_installs_from_the_lock_with_hashes() -> None:
    build = (ROOT / "packaging" / "build.py").read_text()
    assert '"--require-hashes", "-r"' in build and "--no-deps" in build
    pins = (ROOT / "packaging" / "requirements-lock.txt").read_text().split("==")[1:]
    assert pins and all("--hash=sha256:" in block for block in pins)

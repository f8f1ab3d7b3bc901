"""Every component photofind ships with has its licence text, in pip installs and the bundle."""

from __future__ import annotations

import json
import re
from pathlib import Path

import tomllib
from packaging.requirements import Requirement

from photofind import licences
from photofind.licences import Notice, installed_notices, notices, python_notice, to_json

ROOT = Path(__file__).resolve().parents[2]


def _runtime_requirements() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    reqs = [Requirement(r) for r in project["dependencies"]]
    return [r.name for r in reqs if r.marker is None or r.marker.evaluate()]


def _key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_runtime_dependency_has_a_notice_with_text():
    found = {_key(n.name): n for n in installed_notices()}
    for name in _runtime_requirements():
        notice = found.get(_key(name))
        assert notice is not None, f"{name} is missing from the licence notices"
        assert sum(len(text) for _, text in notice.texts) > 500, f"{name}: no licence text"


def test_photofind_comes_first_with_its_mit_licence():
    first = installed_notices()[0]
    assert first.name == "photofind" and first.licence == "MIT"
    assert "Permission is hereby granted" in first.texts[0][1]
    assert (ROOT / "LICENSE").read_text("utf-8") == first.texts[0][1]


def test_qt_which_ships_only_a_licence_name_gets_the_lgpl_text():
    (qt,) = [n for n in installed_notices() if _key(n.name) == "pyside6-essentials"]
    names = [name for name, _ in qt.texts]
    assert names == ["LGPL-3.0.txt", "GPL-3.0.txt"]
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in qt.texts[0][1]


def test_onnx_runtime_brings_its_third_party_notices():
    (ort,) = [n for n in installed_notices() if _key(n.name) == "onnxruntime"]
    assert any("ThirdPartyNotices" in name for name, _ in ort.texts)


def test_python_itself_is_listed():
    notice = python_notice()
    assert notice.texts and "PYTHON SOFTWARE FOUNDATION LICENSE" in notice.texts[0][1]


def test_a_bundled_list_wins_over_the_installed_metadata(tmp_path, monkeypatch):
    """The bundle carries no dist-info; the spec writes assets/licences.json instead."""
    items = [Notice("photofind", "9.9", "MIT", (("LICENSE", "text"),))]
    path = tmp_path / "licences.json"
    path.write_text(to_json(items), "utf-8")
    monkeypatch.setattr(licences, "BUNDLED", path)
    assert notices() == items
    assert json.loads(path.read_text("utf-8"))[0]["texts"] == [["LICENSE", "text"]]

"""`photofind index`: a long labels phase says the photos are searchable already, once."""

from __future__ import annotations

import pytest

from photofind.cli import commands
from photofind.tasks import Progress


def test_a_long_labels_phase_says_the_photos_are_searchable_once(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = [100.0]
    monkeypatch.setattr(commands.time, "monotonic", lambda: clock[0])
    seen: list[Progress] = []
    report = commands._saying_waits(seen.append)
    report(Progress("index", 10, 10))
    report(Progress("labels", 0, 1845))
    clock[0] += 1.0
    report(Progress("labels", 64, 1845))
    assert commands.LABELS_NOTICE not in capsys.readouterr().err  # a quick phase says nothing
    for step in range(5):
        clock[0] += 1.0
        report(Progress("labels", 128 + 64 * step, 1845))
    err = capsys.readouterr().err
    assert err.count(commands.LABELS_NOTICE) == 1
    assert [p.done for p in seen if p.phase == "labels"] == [0, 64, 128, 192, 256, 320, 384]
    # JSON lines carry progress only.
    report = commands._saying_waits(seen.append, json_lines=True)
    for step in range(5):
        clock[0] += 1.0
        report(Progress("labels", step, 1845))
    assert commands.LABELS_NOTICE not in capsys.readouterr().err

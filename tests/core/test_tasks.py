"""The task vocabulary: progress reports and their text, the rate/ETA meter, pause/resume/cancel."""

from __future__ import annotations

import threading

import pytest

from photofind import tasks
from photofind.errors import Cancelled
from photofind.tasks import (
    BYTES,
    Progress,
    ProgressMeter,
    TaskControl,
    describe,
    format_size,
    status_text,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_progress_fraction() -> None:
    assert Progress("scan", 5, 10).fraction == 0.5
    assert Progress("scan", 3, 0).fraction is None
    assert Progress("index", 12, 10).fraction == 1.0


def test_meter_rate_and_eta_from_a_steady_pace() -> None:
    clock = FakeClock()
    meter = ProgressMeter("index", total=100, clock=clock)
    first = meter.update(0)
    assert first.rate == 0.0 and first.eta is None
    for done in range(10, 60, 10):
        clock.now += 1.0
        report = meter.update(done)
    assert report.rate == pytest.approx(10.0)
    assert report.eta == pytest.approx(5.0)
    assert (report.phase, report.done, report.total) == ("index", 50, 100)


def test_meter_smooths_one_slow_window() -> None:
    clock = FakeClock()
    meter = ProgressMeter("index", total=1000, clock=clock, smoothing=0.2)
    done = 0
    for _ in range(5):
        clock.now += 1.0
        done += 10
        meter.update(done)
    clock.now += 10.0  # one file took ten seconds
    done += 10
    report = meter.update(done)
    assert 5.0 < report.rate < 10.0  # the raw window rate would be 1/s


def test_meter_counts_errors_and_current_item() -> None:
    clock = FakeClock()
    meter = ProgressMeter("scan", clock=clock)
    meter.advance(3)
    report = meter.advance(2, errors=1, current="b.jpg")
    assert (report.done, report.errors, report.current) == (5, 1, "b.jpg")
    assert report.eta is None  # total unknown


def test_meter_leaves_out_paused_time() -> None:
    clock = FakeClock()
    control = TaskControl(clock=clock)
    meter = ProgressMeter("index", total=100, control=control, clock=clock)
    clock.now += 1.0
    meter.update(10)
    control.pause()
    clock.now += 100.0
    control.resume()
    clock.now += 1.0
    report = meter.update(20)
    assert report.rate == pytest.approx(10.0)
    assert control.paused_seconds == pytest.approx(100.0)


def test_cancel_raises_at_checkpoint() -> None:
    control = TaskControl()
    control.checkpoint()
    control.cancel()
    assert control.cancelled
    with pytest.raises(Cancelled):
        control.checkpoint()


def test_checkpoint_blocks_while_paused_until_resumed() -> None:
    control = TaskControl()
    control.pause()
    entered, passed = threading.Event(), threading.Event()

    def worker() -> None:
        entered.set()
        control.checkpoint()
        passed.set()

    thread = threading.Thread(target=worker)
    thread.start()
    assert entered.wait(5)
    assert not passed.wait(0.05)  # still blocked
    control.resume()
    thread.join(5)
    assert passed.is_set() and not control.paused


def test_cancel_wakes_a_paused_worker() -> None:
    control = TaskControl()
    control.pause()
    outcome: list[str] = []

    def worker() -> None:
        try:
            control.checkpoint()
            outcome.append("passed")
        except Cancelled:
            outcome.append("cancelled")

    thread = threading.Thread(target=worker)
    thread.start()
    control.cancel()
    thread.join(5)
    assert outcome == ["cancelled"]
    assert not control.paused


def test_sleep_returns_early_on_cancel() -> None:
    control = TaskControl()
    threading.Timer(0.05, control.cancel).start()
    with pytest.raises(Cancelled):
        control.sleep(60)


def test_a_resumed_download_counts_only_new_bytes_in_its_rate() -> None:
    clock = FakeClock()
    meter = ProgressMeter("download", total=1000, unit=BYTES, done=600, clock=clock)
    clock.now += 2.0
    report = meter.update(700)
    assert report.rate == pytest.approx(50.0)  # 100 new bytes in 2 s, not 700
    assert report.eta == pytest.approx(6.0) and report.unit == BYTES


@pytest.mark.parametrize(
    ("n", "text"),
    [(0, "0 B"), (812, "812 B"), (4_044_487, "4.0 MB"), (351_000_000, "351.0 MB"),
     (1_210_000_000, "1.21 GB")],
)  # fmt: skip
def test_sizes_are_shown_as_download_pages_show_them(n, text) -> None:
    assert format_size(n) == text


def test_a_download_is_described_in_bytes_with_its_file() -> None:
    line = describe(
        Progress("download", 4_000_000, 12_300_000, rate=2_500_000, eta=3.3,
                 current="visual/model.onnx", unit=BYTES)
    )  # fmt: skip
    assert line == "download: 4.0 MB/12.3 MB (33%), 2.5 MB/s, ETA 0:03, visual/model.onnx"


def test_the_old_import_path_gives_the_same_types() -> None:
    from photofind.library import events

    assert events.Progress is tasks.Progress and events.TaskControl is tasks.TaskControl
    assert events.ProgressMeter is tasks.ProgressMeter


def test_status_text_says_what_each_phase_does_with_its_numbers() -> None:
    text = status_text(Progress("index", 120, 480, rate=12.0, eta=30.0))
    assert text.startswith("Indexing 120 / 480") and "12.0/s" in text and "0:30 left" in text
    assert status_text(Progress("scan", 1204, 0)) == "Looking for photos… 1,204 found"
    download = status_text(
        Progress(
            "download", 4_000_000, 12_300_000, rate=1.2e6, eta=7, current="visual.onnx", unit=BYTES
        )
    )
    assert download == "Downloading 4.0 MB / 12.3 MB (33%) · 1.2 MB/s · 0:07 left · visual.onnx"
    assert status_text(Progress("wait", 0, 0, current="waiting for pid 12")) == "waiting for pid 12"
    done = status_text(Progress("index", 480, 480, rate=10.0, eta=0.0, errors=2))
    assert "left" not in done and "2 unreadable" in done

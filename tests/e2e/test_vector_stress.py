"""The vector index under the window's load: Qt pool and Python threads searching while another
adds, removes and saves, cores busy, in fresh processes that open the saved index from disk.

bench/vector_stress.py does the work (its --minutes run is the long version); here it runs for
about 25 s. A crash shows as a failed round with returncode -11, a deadlock as a hung round.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_vector_index_survives_qt_pool_and_python_threads() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "vector_stress.py"), "--seconds", "25"],
        capture_output=True, text=True, timeout=280,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )  # fmt: skip
    report = done.stdout + done.stderr
    assert done.returncode == 0, report
    summary = done.stdout.strip().splitlines()[-1]
    assert "0 wrong, 0 crashed, 0 hung" in summary, report
    rounds = int(summary.split()[0])
    assert rounds >= 3, report  # several launches, or the test proved little

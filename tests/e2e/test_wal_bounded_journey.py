"""A long `photofind index` while another process keeps the catalog open and reads it (as the
window does) leaves no large write-ahead log behind, though the reader never lets go of the
file: before, 16.5 MB of WAL stayed beside a 2.3 MB catalog after 3,000 photos."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from pathlib import Path

import numpy as np
from library_journey import photofind
from PIL import Image

from photofind.library.sqlite import WAL_SIZE_LIMIT

PHOTOS = 3000  # enough rows that the WAL passes SQLite's automatic checkpoint (1,000 pages)


def test_an_index_run_beside_a_reader_leaves_a_small_wal(
    tmp_path: Path, tiny_model_dir: Path
) -> None:
    photos, library = tmp_path / "photos", tmp_path / "lib"
    photos.mkdir()
    rng = np.random.default_rng(0)
    for i in range(PHOTOS):
        pixels = rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(photos / f"p{i:05}.jpg")
    photofind(library, "folders", "add", str(photos))
    wal = library / "catalog.sqlite-wal"
    stop, reads, peak = threading.Event(), [0], [0]

    def read_all_along() -> None:  # one connection, held from start to end, like the window
        with contextlib.closing(sqlite3.connect(library / "catalog.sqlite")) as conn:
            while not stop.is_set():
                conn.execute("SELECT count(*) FROM embeddings").fetchone()
                conn.execute("SELECT count(*) FROM files WHERE status = 'ok'").fetchone()
                reads[0] += 1
                peak[0] = max(peak[0], wal.stat().st_size if wal.exists() else 0)
                time.sleep(0.01)

    reader = threading.Thread(target=read_all_along)
    reader.start()
    try:
        photofind(library, "index", model=tiny_model_dir)
        time.sleep(0.2)
        left = wal.stat().st_size if wal.exists() else 0
    finally:
        stop.set()
        reader.join(30)
    assert reads[0] > 10, "the reader read along"
    assert peak[0] > WAL_SIZE_LIMIT, "the reader saw the log grow as the run wrote"
    assert left <= WAL_SIZE_LIMIT, f"a {left / 1e6:.1f} MB WAL is left beside the reader"
    with contextlib.closing(sqlite3.connect(library / "catalog.sqlite")) as conn:
        assert conn.execute("SELECT count(*) FROM embeddings").fetchone()[0] == PHOTOS

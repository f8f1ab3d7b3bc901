"""`photofind index --watch`: photos dropped in while its first pass is still indexing are
indexed too, without waiting for some later change to the folder. (The watcher used to start
only after the first pass: what arrived during it was missed until the next event.)"""

from __future__ import annotations

import contextlib
import json
import subprocess
import threading
import time
from pathlib import Path

from library_journey import command, embeddings, env, make_photos, photofind


def test_photos_dropped_during_the_first_pass_are_indexed(tmp_path: Path, tiny_model_dir) -> None:
    photos, library = tmp_path / "photos", tmp_path / "lib"
    make_photos(photos, 300)
    photofind(library, "folders", "add", str(photos))
    args = command(library, "index", "--watch", "--json", model=tiny_model_dir)
    watching = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=env())  # fmt: skip
    encoding = threading.Event()

    def read_progress() -> None:  # every line, so the pipe never fills
        assert watching.stderr is not None
        for line in watching.stderr:
            with contextlib.suppress(json.JSONDecodeError, AttributeError):
                if json.loads(line).get("phase") == "index":
                    encoding.set()  # the first pass's scan is over

    reader = threading.Thread(target=read_progress, daemon=True)
    reader.start()
    try:
        assert encoding.wait(60), "the first pass never reached its index phase"
        make_photos(photos / "dropped", 5, prefix="late")  # behind the first pass's scan
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(embeddings(library)) < 305:
            time.sleep(0.2)
        assert watching.poll() is None, "the watcher stopped"
        assert len(embeddings(library)) == 305, "the photos dropped during the first pass"
    finally:
        watching.terminate()
        watching.communicate(timeout=30)
        reader.join(timeout=10)

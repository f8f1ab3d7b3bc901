"""A process that only searches sees what another process removed or added, without reopening:
the vector index catches up before each search (schema v5 counts removed vectors)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from library_journey import env, make_photos, photofind

# A searching process, as the window is: it opens the library once, then answers a line of
# stdin with how many vectors a search sees (`count`) and the ids it returns.
SEARCHER = textwrap.dedent(
    """
    import json, sys
    from photofind.search.query import Query
    from photofind.session import open_session

    with open_session(sys.argv[1], sys.argv[2]) as session:
        for line in sys.stdin:
            query = Query(text="a photo of a red circle", k=500)
            hits = session.searcher.search(query)
            print(json.dumps({
                "count": session.searcher.count(query),
                "index": len(session.library.vectors),
                "hits": sorted(h.file.path.name for h in hits),
            }), flush=True)
    """
)


def _ask(proc: subprocess.Popen) -> dict:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("go\n")
    proc.stdin.flush()
    line = proc.stdout.readline()
    assert line, proc.stderr.read() if proc.stderr else ""
    return json.loads(line)


def test_a_searching_process_sees_another_process_delete_and_add(tmp_path: Path, tiny_model_dir):
    library, photos = tmp_path / "lib", tmp_path / "photos"
    made = make_photos(photos / "a", 12)
    photofind(library, "folders", "add", str(photos))
    photofind(library, "index", model=tiny_model_dir)
    proc = subprocess.Popen(
        [sys.executable, "-c", SEARCHER, str(library), str(tiny_model_dir)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=env(),
    )  # fmt: skip
    try:
        first = _ask(proc)
        assert first["count"] == first["index"] == 12
        for rounds in range(3):  # delete in another process, then add there, a few times over
            for path in made[rounds * 3 : rounds * 3 + 3]:
                path.unlink()
            photofind(library, "index", model=tiny_model_dir)  # its scan removes them
            seen = _ask(proc)
            left = 12 - 3 * (rounds + 1) + 2 * rounds
            assert seen["index"] == seen["count"] == left, seen
            assert not {p.name for p in made[: rounds * 3 + 3]} & set(seen["hits"])
            make_photos(photos / f"new{rounds}", 2, prefix=f"n{rounds}-")
            photofind(library, "index", model=tiny_model_dir)
            seen = _ask(proc)
            assert seen["index"] == seen["count"] == left + 2, seen
            assert {f"n{rounds}-0000.jpg", f"n{rounds}-0001.jpg"} <= set(seen["hits"]), seen
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=60)
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""

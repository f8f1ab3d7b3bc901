"""After `photofind model use` of a model that has not indexed the photos yet, `status` and
`folders list` say they wait for `photofind index` (not "up to date"), and `index` does it."""

from __future__ import annotations

import json

from library_journey import photofind, two_model_library


def counts(library) -> tuple[dict, dict]:
    status = json.loads(photofind(library, "status", "--json").stdout)
    return status["counts"], status["folders"][0]


def test_status_counts_the_photos_the_active_model_has_not_indexed(
    tmp_path, tiny_model_dir, tiny_immich_dir
):
    library = tmp_path / "lib"
    two_model_library(library, tmp_path / "photos", tiny_model_dir, tiny_immich_dir)
    photofind(library, "model", "use", "tiny-clip")
    photofind(library, "index")
    total, folder = counts(library)
    assert (total["ok"], total["pending"]) == (6, 0) and folder["state"] == "up to date"

    photofind(library, "model", "use", "tiny-clip-immich")  # it has indexed nothing
    total, folder = counts(library)
    assert (total["ok"], total["pending"], total["files"]) == (0, 6, 6), total
    assert folder["counts"]["pending"] == 6 and folder["state"] == "waiting", folder
    shown = photofind(library, "status").stdout
    assert "0 indexed, 6 waiting" in shown and "up to date" not in shown, shown
    assert "6 waiting" in photofind(library, "folders", "list").stdout

    photofind(library, "index")
    total, folder = counts(library)
    assert (total["ok"], total["pending"]) == (6, 0) and folder["state"] == "up to date"
    photofind(library, "model", "use", "tiny-clip")  # its vectors are still there
    assert counts(library)[0]["ok"] == 6

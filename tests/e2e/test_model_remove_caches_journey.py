"""`photofind model remove` takes the model's cache files with it: the tokenizer table its
queries wrote and the label text vectors its index run computed go, another installed model's
stay, and that model still searches (from its caches) afterwards."""

from __future__ import annotations

import json
from pathlib import Path

from library_journey import photofind, two_model_library


def cache_files(library: Path) -> set[str]:
    cache = library / "cache"
    return {str(p.relative_to(cache)) for p in cache.rglob("*") if p.is_file()}


def use(library: Path, model: str, *index: str) -> None:
    """What a person does with a model: index with it, then search."""
    photofind(library, "--model", model, "index", *index)
    found = photofind(library, "--model", model, "search", "a red circle", "--json").stdout
    assert json.loads(found)["hits"], found


def test_removing_a_model_removes_its_caches_and_keeps_the_others(
    tmp_path: Path, tiny_model_dir: Path, tiny_immich_dir: Path
) -> None:
    library = tmp_path / "lib"
    two_model_library(library, tmp_path / "photos", tiny_model_dir, tiny_immich_dir)
    use(library, "tiny-clip")
    first = cache_files(library)
    assert any(f.startswith("tokenizer-tables/") for f in first), first
    assert any(f.startswith("text-vectors/") and f.endswith(".npz") for f in first), first
    use(library, "tiny-clip-immich")
    second = cache_files(library) - first
    assert any(f.startswith("tokenizer-tables/") for f in second), second
    assert any(f.startswith("text-vectors/") and f.endswith(".npz") for f in second), second

    done = photofind(library, "model", "remove", "tiny-clip", "--json")
    assert json.loads(done.stdout)["removed"] == "tiny-clip"
    assert json.loads(done.stdout)["cache_files_removed"] == len(first)
    left = cache_files(library)
    assert left & first == set(), left & first  # the removed model's caches are gone
    assert second <= left  # the other model's are kept
    use(library, "tiny-clip-immich")
    assert cache_files(library) == left  # still served from its caches: nothing rewritten

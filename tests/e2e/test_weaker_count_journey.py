"""How many weaker photos `photofind search` says lie below its matches: the number there
is, whatever -k shows, never "1+ weaker one" (one or more of one?) or "2+" for exactly two."""

from __future__ import annotations

from pathlib import Path

from library_journey import photofind

from photofind.testing.synthetic import make_photo


def test_the_weaker_photos_are_counted_exactly_whatever_k(tmp_path, tiny_model_dir) -> None:
    photos, library = tmp_path / "photos", tmp_path / "library"
    for n, (colour, shape) in enumerate([("red", "circle"), ("blue", "square"),
                                         ("green", "star")]):  # fmt: skip
        make_photo(photos / f"{colour}-{shape}.jpg", colour, shape, seed=n)
    photofind(library, "folders", "add", str(photos), model=tiny_model_dir)
    photofind(library, "index", model=tiny_model_dir)
    for k in ("1", "2", "20"):
        done = photofind(library, "search", "a photo of a red circle", "-k", k,
                         model=tiny_model_dir)  # fmt: skip
        assert Path(done.stdout.split()[-1]).name == "red-circle.jpg", done.stdout
        said = "1 matching photo; 2 weaker ones with --more or --all"
        assert said in done.stderr, (k, done.stderr)

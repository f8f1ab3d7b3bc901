"""Queries in German, Russian and Chinese through the CLI, on a SigLIP-2-style Immich export.

tests/fixtures/tiny-siglip-immich (models/siglip_layout.py) has Immich's SigLIP 2 layout: a
SentencePiece tokenizer.json, canonicalized text, squashed images, an int32 text graph of
fixed length. Its text encoder is a bag of tokens solved so that each phrase in four languages
gives the tiny model's vector of the English phrase. What this proves: the folder installs
through `photofind model import`, non-ASCII queries survive argv, cleaning, SentencePiece
(byte fallback included) and the graph, and find what the English query finds. What it does not
prove: how well a real multilingual model (SigLIP 2, XLM-R) ranks photos; that needs its
weights, which cannot be had here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from photofind.testing.synthetic import make_photo
from tests.e2e.test_cli import run

SIGLIP = Path(__file__).resolve().parents[1] / "fixtures" / "tiny-siglip-immich"
QUERIES = {
    "red-circle.png": [
        "a photo of a red circle", "ein Foto von einem roten Kreis", "фото: красный круг",
        "红色的圆圈",
    ],
    "blue-square.jpg": [
        "a photo of a blue square", "ein Foto von einem blauen Quadrat", "фото: синий квадрат",
        "蓝色的方形",
    ],
    "green-triangle.webp": [
        "a photo of a green triangle", "ein Foto von einem grünen Dreieck",
        "фото: зелёный треугольник", "绿色的三角形",
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    photos = tmp_path_factory.mktemp("photos")
    make_photo(photos / "red-circle.png", "red", "circle", size=(256, 256), seed=1)
    make_photo(photos / "blue-square.jpg", "blue", "square", size=(300, 300), seed=2)
    make_photo(photos / "green-triangle.webp", "green", "triangle", size=(256, 256), seed=3)
    make_photo(photos / "yellow-star.jpg", "yellow", "star", size=(256, 256), seed=4)
    library = tmp_path_factory.mktemp("library")
    done = run("model", "import", str(SIGLIP), library=library)
    assert "imported tiny-siglip-immich" in done.stdout
    run("folders", "add", str(photos), library=library)
    assert "indexed 4 photos" in run("index", library=library).stdout
    return library, photos


def test_the_import_is_a_sentencepiece_model(library) -> None:
    listed = json.loads(run("model", "list", "--json", library=library[0]).stdout)
    assert listed["active"] == "tiny-siglip-immich"


@pytest.mark.parametrize("photo", sorted(QUERIES))
def test_a_query_in_any_language_finds_what_the_english_one_finds(library, photo) -> None:
    lib, photos = library
    found = []
    for text in QUERIES[photo]:
        done = run("search", text, "-k", "4", "--json", library=lib)
        hits = json.loads(done.stdout)["hits"]
        found.append([h["path"] for h in hits])
        assert hits[0]["path"] == str(photos / photo), text
    assert all(order == found[0] for order in found)  # the same ranking, not just the top


def test_queries_the_vocabulary_lacks_still_search(library) -> None:
    # Emoji and Japanese fall back to bytes in the SentencePiece model (tokens the tiny text
    # encoder gives no meaning): the search runs and answers, however few the hits.
    for text in ["🔴⭕", "赤い丸の写真", "!!!"]:
        done = run("search", text, "-k", "2", "--json", library=library[0])
        assert isinstance(json.loads(done.stdout)["hits"], list), text

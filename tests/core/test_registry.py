"""The catalog of installable models (photofind/modelstore/registry.json) is well-formed."""

from __future__ import annotations

import re

import pytest

from photofind.modelstore import layouts, registry

ENTRIES = registry.entries()
HEX40 = re.compile(r"[0-9a-f]{40}")


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["name"] for e in ENTRIES])
def test_every_entry_is_well_formed(entry):
    assert entry["name"] == f"{entry['arch']}__{entry['pretrained']}"
    assert isinstance(entry["multilingual"], bool)
    assert entry["license"].strip() and entry["speed"] and entry["good_for"]
    assert isinstance(entry["embed_dim"], int) and entry["embed_dim"] > 0
    size = entry["download_bytes"]
    assert size is None or (isinstance(size, int) and size > 10_000_000)
    quality = entry["quality"]
    assert quality["source"].strip()  # every figure says where it was published
    top1 = quality["imagenet_zero_shot_top1"]
    assert top1 is None or 0 < top1 < 1
    for key in ("flickr30k_text_to_image_recall", "coco_text_to_image_recall"):
        recall = quality[key]
        if recall is not None:
            assert 0 < recall["r1"] <= recall["r5"] <= recall["r10"] < 1


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.get("source")], ids=lambda e: e["name"])
def test_a_downloadable_entry_pins_a_commit_or_says_why_not(entry):
    source = entry["source"]
    assert layouts.kind_of_entry(entry) == source["kind"]
    assert re.fullmatch(r"[\w.-]+/[\w.-]+", source["repo"])
    revision = source["revision"]
    if not HEX40.fullmatch(revision):
        assert revision == "main" and "not pinned" in source["revision_note"]
    wanted = layouts.wanted_files(entry)
    assert wanted and all(not w.startswith("/") and ".." not in w for w in wanted)
    layout_default = layouts.wanted_files({k: v for k, v in entry.items() if k != "files"})
    assert wanted == layout_default  # the entry's list is the layout's, nothing forgotten
    assert registry.downloadable(entry)


def test_the_default_is_rclips_download_and_multilingual_models_are_offered():
    default = registry.find_entry(registry.default_name())
    assert default["source"]["kind"] == "rclip" and registry.downloadable(default)
    assert registry.recommended() == default["name"]
    languages = registry.recommended_multilingual()
    assert languages is not None and registry.find_entry(languages)["multilingual"]
    assert "multilingual" in registry.summary(registry.find_entry(languages))


def test_external_data_exports_fetch_whole_encoder_folders():
    entry = registry.find_entry("ViT-H-14-quickgelu__dfn5b")
    wanted = layouts.wanted_files(entry)
    assert "visual/*" in wanted and "textual/*" in wanted and "config.json" in wanted

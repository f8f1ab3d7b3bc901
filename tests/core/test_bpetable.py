"""The tokenizer table for short ASCII texts (clip/bpetable.py): the same ids as the tokenizers
library and open_clip, on strings the table was not checked on; everything else falls back."""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
from tokenizers import Tokenizer

from photofind.clip import bpetable
from photofind.clip.manifest import read_manifest
from photofind.clip.tokenizer import ClipTokenizer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CLIP_BPE = {
    "export": FIXTURES / "tiny-clip" / "tokenizer.json",  # models/export_onnx.py's form
    "hugging-face": FIXTURES / "tiny-clip-immich" / "textual" / "tokenizer.json",  # HF CLIP
}


def library_ids(path: Path):
    tokenizer = Tokenizer.from_file(str(path))

    def reference(texts: list[str]) -> list[list[int]]:
        return [e.ids for e in tokenizer.encode_batch(texts, add_special_tokens=False)]

    return reference


def built_table(source: Path, folder: Path) -> bpetable.BpeTable:
    """The table of `source`, written (after its own check) and opened from `folder`."""
    path = folder / "table.sqlite"
    assert bpetable.build(source, path, library_ids(source))
    table = bpetable.open_table(path)
    assert table is not None
    return table


def wait_for_table_writers() -> None:
    for thread in threading.enumerate():
        if thread.name == "tokenizer-table":
            thread.join()


def unseen_strings(count: int = 4000) -> list[str]:
    """Printable ASCII the table's own check did not use (another seed, other shapes)."""
    rng = random.Random(20261201)
    chars = [chr(c) for c in range(0x20, 0x7F)]
    words = ["sunset", "beach", "kids", "it's", "WE'LL", "don't", "o'clock", "rock'n'roll",
             "e-mail", "3.5mm", "x" * 40, "aaaa", "''s", "'S", "#tbt", "c++", "&amp;"]  # fmt: skip
    out = []
    for _ in range(count):
        if rng.random() < 0.4:
            out.append(" ".join(rng.choice(words) for _ in range(rng.randint(1, 6))))
        else:
            out.append("".join(rng.choice(chars) for _ in range(rng.randint(1, 60))))
    return out


@pytest.mark.parametrize("form", sorted(CLIP_BPE))
def test_a_table_gives_the_libraries_ids_on_strings_it_was_not_checked_on(form, tmp_path):
    source = CLIP_BPE[form]
    table = built_table(source, tmp_path)
    texts = unseen_strings()
    expected = library_ids(source)(texts)
    got = [table.encode(t) for t in texts]
    assert all(g is not None for g in got)  # printable ASCII without added tokens: all ours
    mismatches = [(t, g, e) for t, g, e in zip(texts, got, expected, strict=True) if g != e]
    assert mismatches == []


def test_text_the_table_does_not_serve_is_left_to_the_library(tmp_path):
    source = CLIP_BPE["export"]
    table = built_table(source, tmp_path)
    for text in ["straße", "日本", "🙂", "tab\there", "<end_of_text>", "a <START_OF_TEXT> b"]:
        assert table.encode(text) is None, text
    assert table.encode("a photo of a dog") is not None


def test_the_tokenizer_with_a_table_gives_open_clips_ids(tiny_model_dir, tmp_path):
    """open_clip's own ids (reference.json, recorded from SimpleTokenizer), unicode and all,
    through ClipTokenizer with a table and without one; the second process-like tokenizer
    reads the table and never parses tokenizer.json for ASCII text."""
    manifest = read_manifest(tiny_model_dir)
    cases = json.loads((tiny_model_dir / "reference" / "reference.json").read_text("utf-8"))
    cases = cases["tokenizer_cases"]
    texts = [c["text"] for c in cases]
    want = np.array([c["ids"] for c in cases])
    args = (tiny_model_dir / "tokenizer.json", manifest.context_length, manifest.tokenizer)
    first = ClipTokenizer(*args, table_dir=tmp_path)
    assert (first(texts) == want).all()
    wait_for_table_writers()
    assert [p.suffix for p in tmp_path.iterdir()] == [".sqlite"]
    second = ClipTokenizer(*args, table_dir=tmp_path)
    assert second._tokenizer is None  # the table was read, tokenizer.json was not
    rows = [second([t])[0] for t in texts]  # one at a time: the way a query is tokenised
    assert (np.array(rows) == want).all()
    ascii_only = [t for t in texts if t.isascii() and t.isprintable()]
    assert ascii_only and second._tokenizer is not None  # the unicode cases needed the library
    third = ClipTokenizer(*args, table_dir=tmp_path)
    for text in ascii_only:
        third([text])
    assert third._tokenizer is None


def test_a_tokenizer_the_table_cannot_mirror_is_remembered_and_left_alone(tmp_path):
    source = FIXTURES / "tiny-siglip-immich" / "textual" / "tokenizer.json"  # SentencePiece
    path = tmp_path / "table.sqlite"
    assert not bpetable.build(source, path, library_ids(source))
    assert path.is_file() and bpetable.open_table(path) is None  # no second attempt


def test_a_table_that_disagrees_with_the_library_is_not_used(tmp_path, caplog):
    source = CLIP_BPE["export"]
    honest = library_ids(source)

    def off_by_one(texts: list[str]) -> list[list[int]]:
        return [[*ids[:-1], ids[-1] + 1] if ids else ids for ids in honest(texts)]

    path = tmp_path / "table.sqlite"
    with caplog.at_level(logging.WARNING):
        assert not bpetable.build(source, path, off_by_one)
    assert "no ASCII tokenizer table" in caplog.text
    assert bpetable.open_table(path) is None


def test_a_changed_tokenizer_file_gets_a_new_table_and_the_old_one_goes(tmp_path):
    source = tmp_path / "model" / "tokenizer.json"
    source.parent.mkdir()
    shutil.copy(CLIP_BPE["export"], source)
    tables = tmp_path / "tables"
    before = bpetable.table_path(tables, source)
    assert bpetable.build(source, before, library_ids(source))
    data = json.loads(source.read_text("utf-8"))
    data["model"]["vocab"]["dog</w>"], data["model"]["vocab"]["cat</w>"] = (
        data["model"]["vocab"]["cat</w>"],
        data["model"]["vocab"]["dog</w>"],
    )
    source.write_text(json.dumps(data), "utf-8")
    os.utime(source, ns=(1, 1))  # even with an mtime from the past, the size changed
    after = bpetable.table_path(tables, source)
    assert after != before
    assert bpetable.build(source, after, library_ids(source))
    assert sorted(tables.iterdir()) == [after]
    table = bpetable.open_table(after)
    assert table is not None
    assert table.encode("dog") == library_ids(source)(["dog"])[0]


def test_a_damaged_table_is_ignored_with_a_warning(tiny_model_dir, tmp_path, caplog):
    manifest = read_manifest(tiny_model_dir)
    source = tiny_model_dir / "tokenizer.json"
    path = bpetable.table_path(tmp_path, source)
    path.write_bytes(b"SQLite format 3\x00" + b"\x07" * 4000)
    with caplog.at_level(logging.WARNING):
        tokenizer = ClipTokenizer(source, manifest.context_length, manifest.tokenizer, tmp_path)
    assert "damaged tokenizer table" in caplog.text
    plain = ClipTokenizer(source, manifest.context_length, manifest.tokenizer)
    assert (tokenizer(["a red circle"]) == plain(["a red circle"])).all()


def test_a_cache_folder_that_cannot_be_written_costs_only_speed(tiny_model_dir, tmp_path):
    manifest = read_manifest(tiny_model_dir)
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    source = tiny_model_dir / "tokenizer.json"
    tokenizer = ClipTokenizer(source, manifest.context_length, manifest.tokenizer, blocked / "t")
    plain = ClipTokenizer(source, manifest.context_length, manifest.tokenizer)
    assert (tokenizer(["a blue square"]) == plain(["a blue square"])).all()
    wait_for_table_writers()
    assert blocked.read_text() == "x"


def test_threads_sharing_a_table_get_what_one_thread_gets(tmp_path):
    source = CLIP_BPE["export"]
    table = built_table(source, tmp_path)
    texts = unseen_strings(400)
    expected = library_ids(source)(texts)
    results: list[list] = [[] for _ in range(6)]

    def work(slot: int) -> None:
        results[slot] = [table.encode(t) for t in texts]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == expected for r in results)


@pytest.mark.parametrize("pattern", [r"\P{L}+", r"\p{Lu}+", r"[\p{Greek}]", r"\s*", r"(unclosed"])
def test_patterns_the_table_cannot_mirror_exactly_are_refused(pattern):
    with pytest.raises(bpetable.Unsupported):
        bpetable.ascii_regex(pattern)


def test_unicode_classes_become_their_ascii_ranges_inside_and_outside_brackets():
    assert bpetable.ascii_regex(r"[\p{L}]+|\p{N}").findall("ab12 c") == ["ab", "1", "2", "c"]
    assert bpetable.ascii_regex(r"[^\s\p{L}\p{N}]+").findall("a,.b !?") == [",.", "!?"]


BUILD_IN_A_PROCESS = """
import sys
from pathlib import Path
from photofind.clip.manifest import read_manifest
from photofind.clip.tokenizer import ClipTokenizer
folder, tables = Path(sys.argv[1]), Path(sys.argv[2])
m = read_manifest(folder)
t = ClipTokenizer(folder / "tokenizer.json", m.context_length, m.tokenizer, tables)
print(t(["a photo of a red circle"])[0][:8].tolist())
"""


def test_two_processes_writing_the_table_at_once_leave_one_good_table(tiny_model_dir, tmp_path):
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    for round_ in range(2):
        tables = tmp_path / f"tables-{round_}"
        command = [sys.executable, "-c", BUILD_IN_A_PROCESS, str(tiny_model_dir), str(tables)]
        runs = [subprocess.Popen(command, stdout=subprocess.PIPE, env=env) for _ in range(2)]
        outputs = [r.communicate(timeout=120)[0] for r in runs]
        assert [r.returncode for r in runs] == [0, 0]
        assert outputs[0] == outputs[1]
        assert [p.suffix for p in tables.iterdir()] == [".sqlite"]  # no temporaries left
        table = bpetable.open_table(next(tables.iterdir()))
        assert table is not None
        texts = unseen_strings(300)
        assert [table.encode(t) for t in texts] == library_ids(CLIP_BPE["export"])(texts)


FIRST_USE_IN_A_DAEMON_THREAD = """
import sys, threading
from pathlib import Path
from photofind.clip.manifest import read_manifest
from photofind.clip.tokenizer import ClipTokenizer
folder, tables = Path(sys.argv[1]), Path(sys.argv[2])
m = read_manifest(folder)
def first_use():
    t = ClipTokenizer(folder / "tokenizer.json", m.context_length, m.tokenizer, tables)
    t(["a photo of a red circle"])
worker = threading.Thread(target=first_use, daemon=True)  # as the index's labels phase
worker.start()
worker.join()
"""


def test_a_table_begun_from_a_daemon_thread_is_finished_before_the_process_ends(
    tiny_model_dir, tmp_path
):
    """The labels phase of `photofind index` runs in a daemon thread, and a thread inherits
    its starter's daemon flag: the table's writer died with the process (on a full disk it
    left its temporary behind, seen by using it). It is a non-daemon thread whoever starts it."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    for round_ in range(3):
        tables = tmp_path / f"tables-{round_}"
        command = [sys.executable, "-c", FIRST_USE_IN_A_DAEMON_THREAD, str(tiny_model_dir),
                   str(tables)]  # fmt: skip
        subprocess.run(command, check=True, env=env, timeout=120)
        assert [p.suffix for p in tables.iterdir()] == [".sqlite"], list(tables.iterdir())
        assert bpetable.open_table(next(tables.iterdir())) is not None

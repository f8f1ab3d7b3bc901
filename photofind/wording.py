"""Counted nouns for the words both front ends show ("1 photo", "2,345 photos").

One owner, so the window, the CLI and the progress text never say "1 photos" again.
"""

from __future__ import annotations


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """`count` with its noun: "1 photo", "12 photos", "1 weaker match", "3 weaker matches"
    (the plural is `singular + "s"` unless given; thousands are separated)."""
    noun = singular if count == 1 else (plural or singular + "s")
    return f"{count:,} {noun}"

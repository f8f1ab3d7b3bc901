"""Reading one JSON object from a file, with one clear reason for each way it can be wrong.

Model folders carry several JSON files (photofind's manifest.json, Immich's config.json and
tokenizer files): each reader wants the same three answers (missing, unreadable, not an
object) in its own error type, so the caller passes the error to raise.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any


def read_object(
    path: Path,
    fail: Callable[[str], Exception],
    *,
    name: str | None = None,
    required: bool = True,
) -> dict[str, Any]:
    """The JSON object in `path`. On failure raises `fail(why)`, where `why` starts with
    `name` (default: the file's name): "... is missing", "... is unreadable (reason)" or
    "... is not a JSON object". A missing file that is not `required` reads as {}."""
    name = name or path.name
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if not required:
            return {}
        raise fail(f"{name} is missing") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise fail(f"{name} is unreadable ({exc})") from None
    if not isinstance(data, dict):
        raise fail(f"{name} is not a JSON object")
    return data

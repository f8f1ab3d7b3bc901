"""How the commands print: one-line human text by default, JSON with --json."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from photofind.library.catalog import FileRecord
    from photofind.search import Hit


def say(stream: TextIO, line: str) -> None:
    print(line, file=stream)


def print_json(data: Any) -> None:
    """JSON on stdout; ASCII escapes keep odd file names (not valid UTF-8) representable."""
    json.dump(data, sys.stdout, indent=2)
    sys.stdout.write("\n")


def iso_date(when: float | None) -> str | None:
    if when is None:
        return None
    try:
        return datetime.fromtimestamp(when).astimezone().isoformat(timespec="seconds")
    except (OverflowError, OSError, ValueError):
        return None


def file_json(f: FileRecord) -> dict[str, Any]:
    from photofind.library.metadata import photo_date  # reads EXIF with Pillow: not at start

    date = photo_date(f.taken_at, f.mtime_ns)
    return {
        "id": f.id,
        "path": str(f.path),
        "folder_id": f.folder_id,
        "kind": f.kind,
        "size": f.size,
        "width": f.width,
        "height": f.height,
        "taken_at": iso_date(f.taken_at),
        "date": iso_date(date),
        "camera": f.camera,
    }


def hit_json(hit: Hit) -> dict[str, Any]:
    return {"score": round(float(hit.score), 6), "offline": hit.offline, **file_json(hit.file)}


def human_hit(rank: int, hit: Hit) -> str:
    day = datetime.fromtimestamp(hit.date).strftime("%Y-%m-%d") if hit.date > 0 else "          "
    flag = "  (offline)" if hit.offline else ""
    return f"{rank:3d}  {hit.score:6.3f}  {day}  {hit.file.path}{flag}"


def folder_state_text(row: dict[str, Any]) -> str:
    """ "up to date", "offline (the reason)" or "waiting (what to run)" for a folder row of
    `status --json`."""
    reason = row.get("offline_reason")
    if row["state"] == "offline" and reason:
        return f"offline ({reason})"
    if row["state"] == "waiting":
        return "waiting (run `photofind index`)"
    return row["state"]


def status_lines(status: dict[str, Any]) -> list[str]:
    """The human form of `photofind status --json`."""
    model = status["model"]
    if model["folder"] is None:
        model_line = "none (run `photofind model install NAME` or `photofind model import DIR`)"
    else:
        name = model["name"] or "?"
        model_line = f"{name}  ({model['folder']}, from {model['source']})"
        if model["problem"]:
            model_line += f"  PROBLEM: {model['problem']}"
    c = status["counts"]
    lines = [
        f"library: {status['library']}",
        f"model:   {model_line}",
        f"photos:  {c['files']:,} ({c['ok']:,} indexed, {c['pending']:,} waiting, "
        f"{c['error']:,} failed)",
    ]
    if skipped := status.get("skipped"):
        kinds = ", ".join(f"{'RAW with its JPEG' if k == 'raw+jpeg' else k} {n:,}"
                          for k, n in skipped.items())  # fmt: skip
        lines.append(f"skipped: {sum(skipped.values()):,} files not read for their type ({kinds})")
    if status["folders"]:
        lines.append("folders:")
        for row in status["folders"]:
            n = row["counts"]
            lines.append(
                f"  [{row['id']}] {row['path']}  {folder_state_text(row)}  ({n['ok']:,} indexed, "
                f"{n['pending']:,} waiting, {n['error']:,} failed)"
            )
    else:
        lines.append("folders: none (add one with `photofind folders add PATH`)")
    lines.extend(_unreadable_lines(status))
    if status["errors"]:
        lines.append("files that could not be read:")
        lines.extend(
            f"  {e['path']}: {error_text(e['path'], e['error'])}" for e in status["errors"]
        )
    return lines


UNREADABLE_SHOWN = 5  # `status --json` lists the rest


def _unreadable_lines(status: dict[str, Any]) -> list[str]:
    """What the latest scans could not open: how many, and the first few with the reason."""
    total = sum(row.get("unreadable", 0) for row in status["folders"])
    if not total:
        return []
    shown = status.get("unreadable", [])[:UNREADABLE_SHOWN]
    lines = [f"not opened by the last scan: {total:,} (what the library knew of them is kept; "
             "index again once they can be read)"]  # fmt: skip
    lines.extend(f"  {item['path']}: {item['error']}" for item in shown)
    if total > len(shown):
        lines.append(f"  ... and {total - len(shown):,} more (`photofind status --json`)")
    return lines


def error_text(path: str, error: str | None) -> str:
    """A file's recorded error without the file name it may start with ("a.jpg: not an image"
    beside the path would name the file twice)."""
    text = error or "unreadable"
    name = Path(path).name
    for prefix in (f"{path}: ", f"{name}: "):
        if text.startswith(prefix):
            return text[len(prefix) :]
    return text


def query_json(query: Any) -> dict[str, Any]:
    """What a search asked for, as `--json` prints it (the Query's own JSON form)."""
    return query.to_json()

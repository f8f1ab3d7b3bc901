"""The model a first run offers, and download failures in a person's words (no Qt)."""

from __future__ import annotations

from dataclasses import dataclass

from photofind.errors import Cancelled, DownloadError
from photofind.modelstore import registry

OFFLINE = (
    "The model could not be downloaded: this computer seems to be offline, or the download "
    "site did not answer. Try again once you are connected, or import a model folder copied "
    "from another computer."
)

OFFLINE_WORDS = ("cannot reach", "online", "offline", "connection", "timed out", "unreachable")


@dataclass(frozen=True)
class ModelOffer:
    """What the one button installs, and the size and licence shown beside it."""

    name: str
    title: str
    size: str
    licence: str


def recommended_offer() -> ModelOffer:
    name = registry.recommended()
    entry = registry.find_entry(name)
    size = int(entry.get("download_bytes") or 0)
    title = f"{entry.get('arch', name)}, {entry.get('good_for', 'general use')}"
    licence = str(entry.get("license") or "unknown").split(" (")[0]  # the rest is in About
    return ModelOffer(name, title, f"{size / 1e6:,.0f} MB" if size else "size unknown",
                      f"licence: {licence}")  # fmt: skip


def download_problem(exc: BaseException) -> str | None:
    """The sentence to show for a failed download; None when the user cancelled."""
    if isinstance(exc, Cancelled):
        return None
    if isinstance(exc, DownloadError | OSError):
        text = str(exc)
        if any(word in text.lower() for word in OFFLINE_WORDS):
            return OFFLINE
        return f"The download failed: {text}. Try again, or import a model folder."
    return f"The model could not be installed: {exc}"

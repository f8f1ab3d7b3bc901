"""The one exception tree: what a user can act on, kept apart from bugs.

Every layer may import this leaf module. Front ends catch `PhotofindError` and show its message;
anything else is a bug and gets a traceback.
"""

from __future__ import annotations


class PhotofindError(Exception):
    """A failure the user can understand and act on; `str()` is a one-line message."""


class ModelError(PhotofindError):
    """No usable model: missing, unreadable, or its runtime failed to start."""


class ModelFolderError(ModelError):
    """A model folder is incomplete or damaged; the message names the file."""


class ImageLoadError(PhotofindError):
    """One image cannot be read; the batch it belongs to goes on without it."""


class CatalogError(PhotofindError):
    """The catalog is locked, full, corrupt or from a newer photofind."""


class LibraryError(PhotofindError):
    """A library operation was refused (not a folder, unreadable, already added, ...)."""


class DownloadError(PhotofindError):
    """A model download or install failed (no network, 404, checksum, disk full)."""


class Cancelled(PhotofindError):
    """Long work was cancelled by the user."""

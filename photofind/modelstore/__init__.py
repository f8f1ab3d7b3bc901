"""Installed CLIP models: the store, the catalog of installable ones, and downloads (no Qt)."""

from photofind.modelstore.store import InstalledModel, ModelStore

__all__ = ["InstalledModel", "ModelStore"]

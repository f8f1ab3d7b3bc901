"""Which folders are on disk now, for what readers show: status, the folder list, searches.

The catalog's `online` flag is what the latest scan saw. A drive unplugged after it (with no
watcher running, or before the watcher's next poll) still reads as online there, and a
search then took each of its missing photos for a deleted one and left it out, while
`photofind status` called the folder "up to date". Readers ask here instead: a folder the
scan saw online is checked again with the scan's own test (`scanner.check_folder`), nothing
is written (the next scan records it and catches up). A folder the scan saw offline stays
offline until a scan brings it back, since only a scan knows what changed on it meanwhile.
"""

from __future__ import annotations

import dataclasses

from photofind.library.catalog import Catalog
from photofind.library.mounts import MountTable
from photofind.library.records import Folder
from photofind.library.scanner import check_folder


def folders_now(catalog: Catalog) -> list[Folder]:
    """The catalog's folders, those gone since their last scan marked offline with the
    reason a scan would give (one mount-table read for all of them)."""
    mounts: MountTable | None = None
    folders = []
    for folder in catalog.folders():
        if folder.online:
            mounts = mounts or MountTable.read()
            check = check_folder(catalog, folder, mounts)
            if not check.online:
                folder = dataclasses.replace(folder, online=False, offline_reason=check.reason)
        folders.append(folder)
    return folders

"""The justified layout: rows of whole photos, each at its own aspect ratio, filling the width.

As Google Photos, Flickr and Immich lay out: photos are added to a row at a target height
until the row would be wider than the view, then the row is scaled to fit the width exactly
(so one row has one height, and each photo's width is proportional to its aspect ratio:
nothing is cropped). The last row of a section keeps the target height and is not stretched.
A section starts at each new date header and has a header band above it.

Pure arithmetic, no Qt, so a test checks the geometry directly. `append` lays out only the
new photos and the unfinished row before them: a timeline page costs its own size, never the
library's. Rectangles are (x, y, w, h) in content pixels, y growing down.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field

MIN_ASPECT, MAX_ASPECT = 0.25, 6.0  # beyond: letterboxed inside its tile, still whole


@dataclass(frozen=True)
class Header:
    label: str
    y: int
    height: int
    first: int  # the first item under it


@dataclass
class JustifiedLayout:
    width: int = 800
    row_height: int = 180
    spacing: int = 4
    header_height: int = 36
    rects: list[tuple[int, int, int, int]] = field(default_factory=list)
    headers: list[Header] = field(default_factory=list)
    row_tops: list[int] = field(default_factory=list)  # y of each row, for hit tests
    row_starts: list[int] = field(default_factory=list)  # first item of each row
    height: int = 0
    _aspects: list[float] = field(default_factory=list)
    _labels: list[str | None] = field(default_factory=list)

    def set_items(self, aspects: Sequence[float], labels: Sequence[str | None] | None) -> None:
        """Lay out from scratch; `labels[i]` is the header of item i (None: no headers)."""
        self._aspects, self._labels = [], []
        self.rects, self.headers, self.row_tops, self.row_starts = [], [], [], []
        self.height = 0
        self.append(aspects, labels)

    def append(self, aspects: Sequence[float], labels: Sequence[str | None] | None) -> None:
        """Add items at the end; re-lays out only the unfinished last row."""
        restart = self.row_starts[-1] if self.row_starts else 0
        self._aspects.extend(min(MAX_ASPECT, max(MIN_ASPECT, a or 1.0)) for a in aspects)
        self._labels.extend(labels if labels is not None else [None] * len(aspects))
        self._layout_from(restart)

    def relayout(self, width: int) -> None:
        self.width = max(1, int(width))
        self._layout_from(0)

    def __len__(self) -> int:
        return len(self.rects)

    # -- geometry -------------------------------------------------------------------------

    def _layout_from(self, start: int) -> None:
        """Lay out items `start`.. (`start` begins a row, or is 0)."""
        del self.rects[start:]
        keep = bisect.bisect_left(self.row_starts, start)
        y = self.row_tops[keep] if keep < len(self.row_tops) else self.height
        del self.row_tops[keep:], self.row_starts[keep:]
        while self.headers and self.headers[-1].first >= start:
            y = self.headers.pop().y
        row: list[int] = []
        n = len(self._aspects)
        for i in range(start, n):
            label = self._labels[i]
            new_section = i == 0 or label != self._labels[i - 1]
            if new_section and label is not None:
                if row:
                    y = self._place(row, y, full=False)
                    row = []
                if i > 0 or y > 0:
                    y += self.spacing * 2
                self.headers.append(Header(label, y, self.header_height, i))
                y += self.header_height
            row.append(i)
            if self._natural_width(row) >= self.width:
                # Close the row with or without this photo, whichever height is nearer the
                # target: rows stay near `row_height` instead of always shrinking below it.
                if len(row) > 1 and abs(self._full_height(row[:-1]) - self.row_height) < abs(
                    self._full_height(row) - self.row_height
                ):
                    y = self._place(row[:-1], y, full=True)
                    row = [i]
                    if self._natural_width(row) < self.width:
                        continue
                y = self._place(row, y, full=True)
                row = []
        if row:
            y = self._place(row, y, full=False)
        self.height = y

    def _natural_width(self, row: list[int]) -> float:
        return sum(self._aspects[i] for i in row) * self.row_height + self.spacing * (len(row) - 1)

    def _full_height(self, row: list[int]) -> float:
        return (self.width - self.spacing * (len(row) - 1)) / sum(self._aspects[i] for i in row)

    def _place(self, row: list[int], y: int, full: bool) -> int:
        """Place one row at `y`; `full` stretches it to the width. Returns the next row's y."""
        gaps = self.spacing * (len(row) - 1)
        total = sum(self._aspects[i] for i in row)
        height = self.row_height
        if full:
            height = max(1, round((self.width - gaps) / total))
        available = (self.width - gaps) if full else total * height
        x_float, x = 0.0, 0
        for n, i in enumerate(row):
            x_float += self._aspects[i] / total * available
            right = round(x_float) if not (full and n == len(row) - 1) else self.width - gaps
            width = max(1, right - x)
            self.rects.append((x + self.spacing * n, y, width, height))
            x = right
        self.row_tops.append(y)
        self.row_starts.append(row[0])
        return y + height + self.spacing

    # -- queries --------------------------------------------------------------------------

    def items_in(self, top: int, bottom: int) -> range:
        """Items whose rows overlap the band [top, bottom)."""
        if not self.rects:
            return range(0)
        first_row = max(0, bisect.bisect_right(self.row_tops, top) - 1)
        last_row = bisect.bisect_left(self.row_tops, bottom)
        start = self.row_starts[first_row]
        end = self.row_starts[last_row] if last_row < len(self.row_starts) else len(self.rects)
        return range(start, end)

    def item_at(self, x: int, y: int) -> int | None:
        for i in self.items_in(y, y + 1):
            rx, ry, rw, rh = self.rects[i]
            if rx <= x < rx + rw and ry <= y < ry + rh:
                return i
        return None

    def row_of(self, item: int) -> int:
        return bisect.bisect_right(self.row_starts, item) - 1

    def headers_in(self, top: int, bottom: int) -> list[Header]:
        return [h for h in self.headers if h.y < bottom and h.y + h.height > top]

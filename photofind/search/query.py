"""What a search asks for (`Query`), what it finds (`Hit`), and the query-text syntax."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

from photofind.errors import PhotofindError
from photofind.library import metadata
from photofind.search.cut import STRICTNESS

if TYPE_CHECKING:
    from photofind.library.catalog import FileRecord

SORTS = ("relevance", "date")
MAX_K = 10_000

# A negative term is "-word" or '-"several words"' standing at the start of a token; a hyphen
# inside a word ("t-shirt", "x-ray") or a lone "-" stays part of the text.
_NEGATIVE = re.compile(r'(?<!\S)-(?:"([^"]*)"?|([^\s"-][^\s]*))')


class QueryError(PhotofindError):
    """A query that cannot run as given (nothing to look for, a bad k, an unknown sort...)."""


@dataclass(frozen=True)
class Term:
    """One weighted part of a composed query: a text or an image (library id or picture path).

    The query vector adds `weight * unit(vector of the term)`; a negative weight subtracts
    it ("- fruit" is weight -1), as in word-vector arithmetic ("king - man + woman").
    """

    weight: float = 1.0
    text: str | None = None
    image: Path | int | None = None

    def __post_init__(self) -> None:
        if (self.text is None) == (self.image is None):
            raise QueryError("a query term is either a text or an image")
        if self.text is not None and not self.text.strip():
            raise QueryError("an empty text term")
        if not math.isfinite(self.weight) or abs(self.weight) > 100:
            raise QueryError(f"a term weight must be a number up to 100, not {self.weight}")


@dataclass(frozen=True)
class Query:
    """One search: a text and/or an image, negative terms, filters and how to order the hits.

    `image` is a file id of the library or a path to any picture. With both a text and an
    image, the query vector is (1 - image_weight) * text + image_weight * image. `terms` add
    weighted texts and images on top (rclip's `"2:dog" + ./pool.jpg - fruit`). `like` and
    `unlike` are photos the user marked "more like this" / "not this" (ids or paths): the
    query moves toward and away from them (see `photofind.search.feedback`); unliked photos
    leave the results. `tag` keeps only photos carrying that label. Dates are unix
    times compared with the photo's date taken (EXIF), else its modification time; `date_to`
    is inclusive. `within` keeps photos under these folders (paths inside the library's
    folders: a subfolder, where `folders` are ids of the library's own). `kinds` are
    lower-case extensions ("jpg", "png"). `sort="date"` orders the best k hits newest first.
    """

    text: str | None = None
    image: Path | int | None = None
    image_weight: float = 0.5
    negative: tuple[str, ...] = ()
    terms: tuple[Term, ...] = ()
    like: tuple[Path | int, ...] = ()
    unlike: tuple[Path | int, ...] = ()
    tag: str | None = None
    k: int = 50
    folders: tuple[int, ...] = ()
    within: tuple[str, ...] = ()
    date_from: float | None = None
    date_to: float | None = None
    kinds: tuple[str, ...] = ()
    min_score: float | None = None
    sort: str = "relevance"
    cut: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.k, int) or not 1 <= self.k <= MAX_K:
            raise QueryError(f"the number of results must be between 1 and {MAX_K}, not {self.k}")
        if not 0.0 <= self.image_weight <= 1.0:
            raise QueryError(f"the image weight must be between 0 and 1, not {self.image_weight}")
        if self.sort not in SORTS:
            raise QueryError(f"unknown sort {self.sort!r}: use one of {', '.join(SORTS)}")
        if self.cut is not None and self.cut not in STRICTNESS:
            raise QueryError(f"unknown cut {self.cut!r}: use one of {', '.join(STRICTNESS)}")
        if self.min_score is not None and not -1.0 <= self.min_score <= 1.0:
            raise QueryError(f"the minimum score must be between -1 and 1, not {self.min_score}")
        if (
            self.date_from is not None
            and self.date_to is not None
            and self.date_from > self.date_to
        ):
            raise QueryError("the date range is empty: its start is after its end")
        # Normalise the tuples so callers may pass lists; frozen, hence object.__setattr__.
        object.__setattr__(self, "negative", tuple(n for n in self.negative if n.strip()))
        object.__setattr__(self, "folders", tuple(int(f) for f in self.folders))
        object.__setattr__(self, "within", tuple(str(w) for w in self.within))
        object.__setattr__(self, "terms", tuple(self.terms))
        object.__setattr__(self, "like", tuple(self.like))
        object.__setattr__(self, "unlike", tuple(self.unlike))
        object.__setattr__(self, "kinds", tuple(k.lower().lstrip(".") for k in self.kinds))

    @classmethod
    def parse(cls, text: str | None, **fields: object) -> Query:
        """A query from search-box text: "beach -people" gives text "beach", negative people."""
        if text is None:
            return cls(**fields)  # type: ignore[arg-type]
        positive, negative = parse_query(text)
        extra = tuple(cast("Iterable[str]", fields.pop("negative", ())))
        return cls(text=positive or None, negative=negative + extra, **fields)  # type: ignore[arg-type]

    def to_json(self) -> dict[str, object]:
        """The query as plain JSON data (smart albums store it; `--json` prints it)."""

        def image(value: Path | int | None) -> str | int | None:
            return value if value is None or isinstance(value, int) else str(value)

        return {
            "text": self.text,
            "image": image(self.image),
            "image_weight": self.image_weight,
            "negative": list(self.negative),
            "terms": [
                {"weight": t.weight, "text": t.text, "image": image(t.image)} for t in self.terms
            ],
            "like": [image(m) for m in self.like],
            "unlike": [image(m) for m in self.unlike],
            "tag": self.tag,
            "k": self.k,
            "folders": list(self.folders),
            "within": list(self.within),
            "date_from": self.date_from,
            "date_to": self.date_to,
            "kinds": list(self.kinds),
            "min_score": self.min_score,
            "sort": self.sort,
            "cut": self.cut,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Query:
        """The inverse of `to_json`; QueryError for data that is not a query."""

        def image(value: object) -> Path | int | None:
            return value if value is None or isinstance(value, int) else Path(str(value))

        try:
            fields = dict(data)
            fields["image"] = image(fields.get("image"))
            fields["terms"] = tuple(
                Term(float(t["weight"]), t.get("text"), image(t.get("image")))
                for t in cast("Iterable[dict]", fields.get("terms", ()))
            )
            for key in ("like", "unlike"):
                fields[key] = tuple(image(m) for m in cast("Iterable[object]", fields.get(key, ())))
            return cls(**fields)  # type: ignore[arg-type]
        except (TypeError, KeyError, ValueError, AttributeError) as exc:
            raise QueryError(f"not a saved query: {exc}") from None

    @property
    def has_filters(self) -> bool:
        return bool(self.folders or self.within or self.kinds or self.tag) or (
            self.date_from is not None or self.date_to is not None
        )

    @property
    def has_target(self) -> bool:
        """Whether there is something to look for (a tag alone browses that label)."""
        positive = any(t.weight > 0 for t in self.terms) or bool(self.like)
        return bool((self.text or "").strip()) or self.image is not None or positive


@dataclass(frozen=True)
class Hit:
    """One result: the file, its score (cosine similarity with the query vector, higher is
    better) and whether its folder is offline (the file is kept; the GUI shows it greyed)."""

    file: FileRecord
    score: float
    offline: bool = False

    @property
    def date(self) -> float:
        """Date taken, else modification time (unix seconds)."""
        return photo_date(self.file)


@dataclass(frozen=True)
class SearchResult:
    """What `Searcher.find` returns: the matches and, for "show weaker matches", what follows.

    `hits` are the photos above the query's cut, in the query's order (best first, or newest
    first with sort="date"), at most `k`. `matches` counts every photo above the cut (more
    than len(hits) when k bounds them): the number a front end shows. `weaker` continues the
    ranking below the cut, best first, at most k more. `searched` is how many photos were
    scored (the library, or what the filters let through). Without a cut (`Query.cut` None)
    every ranked hit is a match and `weaker` is empty. `threshold` is the lowest score above
    the cut (None without a cut read off scores: no cut, a label alone, nothing searched).
    """

    hits: list[Hit]
    matches: int
    weaker: list[Hit]
    searched: int
    threshold: float | None = None

    @property
    def truncated(self) -> bool:
        """Whether k left matches out."""
        return self.matches > len(self.hits)


def photo_date(file: FileRecord) -> float:
    """A photo's date as filters and sorting use it (`library.metadata.photo_date`)."""
    return metadata.photo_date(file.taken_at, file.mtime_ns)


def parse_query(text: str) -> tuple[str, tuple[str, ...]]:
    """Split search text into the positive text and negative terms.

    "beach -people -\"red car\"" -> ("beach", ("people", "red car")). Whitespace is collapsed;
    hyphens inside words are kept ("t-shirt").
    """
    negatives: list[str] = []

    def take(match: re.Match[str]) -> str:
        term = " ".join((match.group(1) if match.group(1) is not None else match.group(2)).split())
        if term:
            negatives.append(term)
        return " "

    positive = _NEGATIVE.sub(take, text)
    return " ".join(positive.split()), tuple(dict.fromkeys(negatives))

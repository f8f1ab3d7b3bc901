"""Query arithmetic as people type it: `"2:golden retriever" + ./pool.jpg - fruit -people`.

The syntax is rclip's, so its users feel at home: a lone `+` or `-` between words starts a new
term added or subtracted; `W:` in front of a term weighs it; a term that is a picture path
(`./pool.jpg`, `~/a.png`, an existing file) is an image. `-word` glued to a word stays a
negative term (as in the search box), which pushes the query away more gently than `- word`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from photofind.clip.formats import IMAGE_SUFFIXES  # the formats the library reads: one list
from photofind.search.query import QueryError, Term, parse_query

_WEIGHT = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*:(.*)$", re.DOTALL)
_PATH_STARTS = ("./", "../", "/", "~", ".\\", "..\\")


@dataclass(frozen=True)
class Expression:
    """What `parse_expression` found: the leading plain text (it becomes `Query.text`, so a
    plain query behaves exactly as before), the `-word` negatives, and the other terms."""

    text: str | None
    negative: tuple[str, ...]
    terms: tuple[Term, ...]

    def fields(self) -> dict[str, object]:
        """Keyword arguments for `Query(...)`."""
        return {"text": self.text, "negative": self.negative, "terms": self.terms}


def looks_like_image(token: str) -> bool:
    """A path-like token: it exists as a file, starts like a path or ends like a picture."""
    token = token.strip()
    if not token or "\n" in token:
        return False
    if token.startswith(_PATH_STARTS) or Path(token).suffix.lower() in IMAGE_SUFFIXES:
        return True
    return os.sep in token and Path(token).expanduser().is_file()


def parse_expression(tokens: Sequence[str]) -> Expression:
    """Split command-line words (or search-box text split on whitespace) into terms.

    ["red", "car", "-people"] -> text "red car", negative ("people",): nothing changes for a
    plain query. ["2:golden retriever", "+", "./pool.jpg", "-", "fruit"] -> terms
    (2, "golden retriever"), (1, image pool.jpg), (-1, "fruit"). Raises QueryError for an
    operator with nothing after it.
    """
    groups: list[tuple[float, list[str]]] = []
    sign: float | None = 1.0
    for token in tokens:
        if token.strip() in ("+", "-"):
            if sign is not None and groups and not groups[-1][1]:
                raise QueryError(f"{token.strip()!r} needs a term after it")
            sign = 1.0 if token.strip() == "+" else -1.0
            groups.append((sign, []))
            continue
        if not groups:
            groups.append((1.0, []))
        groups[-1][1].append(token)
    if groups and not groups[-1][1]:
        raise QueryError(f"{'+' if groups[-1][0] > 0 else '-'!r} needs a term after it")
    text: str | None = None
    negatives: list[str] = []
    terms: list[Term] = []
    for n, (sign, words) in enumerate(groups):
        joined = " ".join(w.strip() for w in words if w.strip())
        weight = 1.0
        match = _WEIGHT.match(joined)
        if match:
            weight, joined = float(match.group(1)), match.group(2).strip()
            if not joined:
                raise QueryError(f"the weight {match.group(1)}: needs a term after it")
        if not joined:
            continue
        if len(words) == 1 and looks_like_image(joined):
            terms.append(Term(sign * weight, image=Path(joined).expanduser()))
            continue
        positive, negative = parse_query(joined)
        negatives.extend(negative)
        if not positive:
            continue
        if n == 0 and not match and text is None:
            text = positive  # the plain leading text: Query.text, as before
        else:
            terms.append(Term(sign * weight, text=positive))
    return Expression(text, tuple(dict.fromkeys(negatives)), tuple(terms))

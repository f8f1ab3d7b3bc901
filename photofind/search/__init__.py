"""Search: text and image queries, filters, negative terms and near-duplicate groups (no Qt).

Names load lazily (PEP 562), as in `photofind.clip`: importing one submodule
(`photofind.search.dates` for a date option, `photofind.search.query` for a limit) runs this
file first, and it must not pull in the searcher, the cut and numpy with it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_WHERE = {
    "NO_MODEL": "searcher",
    "SORTS": "query",
    "STRICTNESS": "cut",
    "Hit": "query",
    "Query": "query",
    "QueryError": "query",
    "SearchResult": "query",
    "Searcher": "searcher",
    "Term": "query",
    "find_duplicates": "duplicates",
    "parse_query": "query",
    "photo_date": "query",
}

if TYPE_CHECKING:
    from photofind.search.cut import STRICTNESS
    from photofind.search.duplicates import find_duplicates
    from photofind.search.query import (
        SORTS,
        Hit,
        Query,
        QueryError,
        SearchResult,
        Term,
        parse_query,
        photo_date,
    )
    from photofind.search.searcher import NO_MODEL, Searcher


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'photofind.search' has no attribute {name!r}")
    return getattr(importlib.import_module(f"photofind.search.{_WHERE[name]}"), name)


__all__ = [
    "NO_MODEL",
    "SORTS",
    "STRICTNESS",
    "Hit",
    "Query",
    "QueryError",
    "SearchResult",
    "Searcher",
    "Term",
    "find_duplicates",
    "parse_query",
    "photo_date",
]

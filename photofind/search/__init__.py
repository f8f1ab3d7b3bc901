"""Search: text and image queries, filters, negative terms and near-duplicate groups (no Qt)."""

from __future__ import annotations

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

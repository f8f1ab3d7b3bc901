"""Search: text and image queries, filters, negative terms and near-duplicate groups (no Qt)."""

from __future__ import annotations

from photofind.search.duplicates import find_duplicates
from photofind.search.query import SORTS, Hit, Query, QueryError, Term, parse_query, photo_date
from photofind.search.searcher import NO_MODEL, Searcher

__all__ = [
    "NO_MODEL",
    "SORTS",
    "Hit",
    "Query",
    "QueryError",
    "Searcher",
    "Term",
    "find_duplicates",
    "parse_query",
    "photo_date",
]

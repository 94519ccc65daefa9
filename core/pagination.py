"""Helpers for paginated lists."""

from __future__ import annotations


def query_without_page(request) -> str:
    """The request's query string without ``page``: the filters a page link must keep."""
    keep = request.GET.copy()
    keep.pop("page", None)
    return keep.urlencode()

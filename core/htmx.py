"""The one htmx partial helper (``request.htmx`` comes from django-htmx's middleware)."""

from __future__ import annotations


def partial_or_page(request, template: str, partial: str) -> str:
    """``template#partial`` for an htmx request (not a boosted one), else the full page.

    The response then differs by ``HX-Request``, so the caller sends ``Vary: HX-Request``.
    """
    return f"{template}#{partial}" if request.htmx and not request.htmx.boosted else template

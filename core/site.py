"""The site's own address, for links that leave it (e-mails).

``SITE_URL`` when configured (always in production). Otherwise — a developer's machine, the
embedded ``make run`` — the address the current request came to, so an invitation sent from a
site on port 8080 links to port 8080; without a request (a worker), the default of ``runserver``.
"""

from __future__ import annotations

from contextvars import ContextVar

from django.conf import settings

_UNCONFIGURED_DEFAULT = "http://127.0.0.1:8000"
_current_request = ContextVar("current_request", default=None)


def site_url() -> str:
    """``scheme://host[:port]`` without a trailing slash."""
    if settings.SITE_URL:
        return settings.SITE_URL
    request = _current_request.get()
    if request is not None:
        return request.build_absolute_uri("/").rstrip("/")
    return _UNCONFIGURED_DEFAULT


class SiteAddressMiddleware:
    """Makes the request's address known to :func:`site_url` for the length of the request.

    The request is kept, not its host: ``get_host()`` (checked against ``ALLOWED_HOSTS``) runs
    only when an e-mail asks for it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)

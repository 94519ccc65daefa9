"""The client's address, the one answer for rate limits, sessions and the access log.

Behind a reverse proxy every request comes from the proxy (``REMOTE_ADDR``); the client's own
address is in a header the proxy writes. A header is only believed when the operator says a
proxy of theirs writes it — otherwise anyone could name any address:

- ``TRUSTED_CLIENT_IP_HEADER`` (e.g. ``X-Real-IP``): the proxy *overwrites* this header with the
  address it saw; its (rightmost) value is the client.
- ``TRUSTED_PROXY_COUNT`` = N: N proxies of ours each *append* to ``X-Forwarded-For``; the Nth
  entry from the right is the client, everything left of it is whatever the client claimed.
- Neither (the default): ``X-Forwarded-For`` is ignored and the peer address is the client.

When the header is missing or not an address (a request that did not come through the proxy,
such as the container's own health check), the peer address is used.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings

FORWARDED_FOR = "X-Forwarded-For"


def client_ip(request) -> str | None:
    """The client's address for a Django request."""
    return _client_ip(request.META.get("REMOTE_ADDR"), request.headers.get)


def client_ip_from_scope(scope) -> str | None:
    """The client's address for an ASGI scope (a websocket): ``client`` and ``headers``."""
    headers: dict[str, list[str]] = {}
    for name, value in scope.get("headers") or ():
        headers.setdefault(name.decode("latin-1").lower(), []).append(value.decode("latin-1"))
    peer = (scope.get("client") or (None, None))[0]

    def header(name: str) -> str | None:
        values = headers.get(name.lower())
        return ",".join(values) if values else None

    return _client_ip(peer, header)


def _client_ip(peer: str | None, header) -> str | None:
    trusted_header = settings.TRUSTED_CLIENT_IP_HEADER
    proxy_count = settings.TRUSTED_PROXY_COUNT
    claimed = None
    if trusted_header:
        values = _split(header(trusted_header))
        claimed = values[-1] if values else None
    elif proxy_count:
        values = _split(header(FORWARDED_FOR))
        claimed = values[-proxy_count] if len(values) >= proxy_count else None
    return _address(claimed) or _address(peer)


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _address(value: str | None) -> str | None:
    """``value`` as a normalised IP address, without a port; None when it is not one."""
    if not value:
        return None
    value = value.strip()
    if value.startswith("["):  # [2001:db8::1]:443
        value = value[1:].split("]", 1)[0]
    elif value.count(":") == 1:  # 192.0.2.1:443
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None

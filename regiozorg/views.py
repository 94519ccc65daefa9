from __future__ import annotations

import asyncio
import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from network.access import Actor
from regiozorg.start import start_block_for, start_page_for

HEALTH_TIMEOUT = 2.0


@login_required
@require_GET
def home(request):
    """*Vandaag*: the work waiting for the user and the organisation they act for."""
    return render(
        request,
        "home.html",
        {
            "membership": request.membership,
            "blocks": start_page_for(actor=Actor.from_request(request)),
        },
    )


@login_required
@require_GET
def start_block(request, key):
    """One block of the start page, fetched again by htmx when a live event says it changed."""
    block = start_block_for(actor=Actor.from_request(request), key=key)
    if block is None:
        raise Http404
    return render(request, "home.html#block", {"block": block})


def _check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True, "vendor": connection.vendor}


def _check_redis() -> dict:
    import redis

    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_timeout=HEALTH_TIMEOUT, socket_connect_timeout=HEALTH_TIMEOUT
    )
    try:
        client.ping()
    finally:
        client.close()
    return {"ok": True}


async def _channel_round_trip() -> None:
    layer = get_channel_layer()
    channel = await layer.new_channel(prefix="healthz")
    token = uuid.uuid4().hex
    await layer.send(channel, {"type": "healthz.ping", "token": token})
    message = await asyncio.wait_for(layer.receive(channel), timeout=HEALTH_TIMEOUT)
    if message.get("token") != token:
        raise RuntimeError("channel layer returned a different message")


def _check_channel_layer() -> dict:
    async_to_sync(_channel_round_trip)()
    return {"ok": True, "backend": settings.CHANNEL_LAYERS["default"]["BACKEND"].rsplit(".", 1)[-1]}


@never_cache
@require_GET
def healthz(request):
    """Liveness and dependencies for the load balancer: 200 when all answer, else 503."""
    checks = {"database": _check_database, "channel_layer": _check_channel_layer}
    if settings.REDIS_URL:
        checks["redis"] = _check_redis
    results = {}
    for name, check in checks.items():
        try:
            results[name] = check()
        except Exception as exc:
            results[name] = {"ok": False, "error": type(exc).__name__}
    healthy = all(result["ok"] for result in results.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": results}, status=200 if healthy else 503
    )


def not_offered(request, *args, **kwargs):
    """allauth pages the product does not offer: 404.

    ``accounts/email/`` would let whoever holds a session make an unconfirmed address the
    account's primary one (e-mail verification is off), and so redirect its password resets.
    An address changes through the helpdesk's process, never from one session alone.
    """
    raise Http404

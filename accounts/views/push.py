"""Web Push on/off per device: the profile page's script posts the browser's subscription."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import services
from accounts.forms import PushSubscriptionForm
from accounts.services.push import push_enabled

_BROWSERS = (
    ("Edg/", "Edge"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


def device_label(user_agent: str) -> str:
    """'Chrome · Android': enough for a person to recognise a device, nothing more."""
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), "")
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), "")
    return " · ".join(part for part in (browser, system) if part)


def _posted(request) -> dict:
    """The subscription as ``PushSubscription.toJSON()`` posts it, or as plain form fields."""
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            return {}
        if not isinstance(data, dict):
            return {}
        keys = data.get("keys") if isinstance(data.get("keys"), dict) else {}
        return {
            "endpoint": data.get("endpoint"),
            "p256dh": keys.get("p256dh"),
            "auth": keys.get("auth"),
        }
    return request.POST


@login_required
@require_POST
def push_subscribe(request):
    if not push_enabled():
        return JsonResponse(
            {"error": _("Notifications on devices are not set up for this site.")}, status=400
        )
    form = PushSubscriptionForm(_posted(request))
    if not form.is_valid():
        errors = [str(error) for field in form.errors.values() for error in field]
        return JsonResponse({"error": " ".join(errors)}, status=400)
    services.push_subscription_save(
        user=request.user,
        user_agent=device_label(request.headers.get("User-Agent", "")),
        **form.cleaned_data,
    )
    return JsonResponse({"message": _("Notifications are on for this device.")})


@login_required
@require_POST
def push_unsubscribe(request):
    endpoint = _posted(request).get("endpoint")
    removed = isinstance(endpoint, str) and services.push_subscription_remove(
        user=request.user, endpoint=endpoint
    )
    return JsonResponse(
        {"removed": bool(removed), "message": _("Notifications are off for this device.")}
    )

"""Web Push: switching it on and off per device, and sending an event to people's devices.

The payload never carries medical content or a patient's name: only one of a few fixed texts
("Nieuw bericht in Regiozorg") and a link to a list page. Who is notified is decided by the
feature app that owns the event (the same people it e-mails); this module only delivers.
"""

from __future__ import annotations

import datetime
import json
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.models import PushDelivery, PushSubscription

logger = logging.getLogger(__name__)

# Event kinds and the one text each may show. The event key is "<kind>:<id>".
PUSH_TEXTS = {
    "message": _("New message in Regiozorg"),
    "consultation": _("New consultation in Regiozorg"),
    "referral": _("New referral in Regiozorg"),
}
PUSH_TITLE = "Regiozorg"
GONE_STATUSES = (404, 410)


class PushTemporaryError(Exception):
    """The push service did not take the notification; the task tries again later."""


def push_enabled() -> bool:
    return bool(settings.WEBPUSH_VAPID_PUBLIC_KEY and settings.WEBPUSH_VAPID_PRIVATE_KEY)


def push_subscription_save(
    *, user, endpoint: str, p256dh: str, auth: str, user_agent: str = ""
) -> PushSubscription:
    """Store (or move to ``user``) the subscription of one device. Idempotent: the endpoint
    is unique, so a browser that subscribes twice keeps one row; a browser where someone else
    signed in before now notifies only the person who switched it on last."""
    subscription, _created = PushSubscription.objects.update_or_create(
        endpoint=endpoint,
        defaults={"user": user, "p256dh": p256dh, "auth": auth, "user_agent": user_agent[:100]},
    )
    return subscription


def push_subscription_remove(*, user, endpoint: str) -> bool:
    """Switch push off for one of ``user``'s devices; somebody else's endpoint is left alone
    (and answered the same as one that does not exist)."""
    deleted, _by_model = PushSubscription.objects.filter(user=user, endpoint=endpoint).delete()
    return bool(deleted)


def push_send(*, user_ids, event_key: str, url: str = "/") -> int:
    """Queue one notification for ``event_key`` to every device of ``user_ids``; returns how
    many were queued. A device that already has this event queued or sent is skipped, so a
    duplicate event or a rerun of the caller sends nothing twice. Sent after commit.

    ``event_key`` is "<kind>:<id>" with a kind of :data:`PUSH_TEXTS`; ``url`` a list page on
    this site (never a patient's)."""
    kind = event_key.split(":", 1)[0]
    if kind not in PUSH_TEXTS:
        raise ValueError(f"unknown push event kind {kind!r}")
    if not url.startswith("/") or url.startswith("//"):
        raise ValueError("a push links to a path on this site")
    ids = set(user_ids)
    if not ids or not push_enabled():
        return 0
    from accounts.tasks import push_deliver_task

    queued = []
    subscriptions = PushSubscription.objects.filter(user_id__in=ids, user__is_active=True)
    for subscription in subscriptions:
        try:
            with transaction.atomic():
                delivery = PushDelivery.objects.create(
                    event_key=event_key, subscription=subscription
                )
        except IntegrityError:
            continue  # this device has (or had) this event already
        queued.append(delivery.pk)
    for delivery_id in queued:
        transaction.on_commit(
            lambda pk=delivery_id: push_deliver_task.delay(delivery_id=pk, url=url)
        )
    return len(queued)


def push_payload(*, event_key: str, url: str, language: str) -> str:
    kind = event_key.split(":", 1)[0]
    with translation.override(language or settings.LANGUAGE_CODE):
        body = str(PUSH_TEXTS[kind])
    return json.dumps({"title": PUSH_TITLE, "body": body, "url": url})


def push_deliver(*, delivery_id: int, url: str = "/") -> str:
    """Send one delivery to its push service. Idempotent: the row is locked while sending and
    marked sent, so a retried or duplicated task sends nothing more. A device the push service
    no longer knows (404, 410) is forgotten; any other failure raises
    :class:`PushTemporaryError` for the task to retry."""
    from pywebpush import WebPushException, webpush

    with transaction.atomic():
        delivery = (
            PushDelivery.objects.select_for_update(of=("self",))
            .select_related("subscription__user")
            .filter(pk=delivery_id, sent_at__isnull=True)
            .first()
        )
        if delivery is None:
            return "done"  # sent before, or the device is gone
        subscription = delivery.subscription
        if not push_enabled() or not subscription.user.is_active:
            return "skipped"
        payload = push_payload(
            event_key=delivery.event_key, url=url, language=subscription.user.language
        )
        try:
            webpush(
                subscription_info=subscription.as_subscription_info(),
                data=payload,
                vapid_private_key=settings.WEBPUSH_VAPID_PRIVATE_KEY,
                vapid_claims={"sub": settings.WEBPUSH_SUBJECT},
                ttl=settings.WEBPUSH_TTL,
                timeout=10,
            )
        except WebPushException as exc:
            status = exc.response.status_code if exc.response is not None else None
            if status in GONE_STATUSES:
                subscription.delete()
                logger.info("push subscription %s is gone (%s): removed", subscription.pk, status)
                return "gone"
            raise PushTemporaryError(f"push service answered {status}") from exc
        now = timezone.now()
        delivery.sent_at = now
        delivery.save(update_fields=["sent_at"])
        PushSubscription.objects.filter(pk=subscription.pk).update(last_success_at=now)
    return "sent"


def push_deliveries_prune(*, older_than_days: int = 30) -> int:
    """Forget deliveries older than a month: an event is not repeated that late, and the rows
    would otherwise grow by one per event and device for ever."""
    cutoff = timezone.now() - datetime.timedelta(days=older_than_days)
    deleted, _by_model = PushDelivery.objects.filter(created_at__lt=cutoff).delete()
    return deleted

"""Web Push: one subscription per browser (device) that a person switched on, and one delivery
row per event and subscription, so that an event reaches each device at most once."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PushSubscription(models.Model):
    """What a browser's ``pushManager.subscribe()`` returned. The endpoint is the device: the
    same browser subscribing again (or another person signing in there) replaces the row."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="push_subscriptions",
        verbose_name=_("user"),
    )
    endpoint = models.CharField(_("endpoint"), max_length=1024, unique=True)
    p256dh = models.CharField(_("public key of the device"), max_length=100)
    auth = models.CharField(_("authentication secret"), max_length=40)
    user_agent = models.CharField(_("device"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_success_at = models.DateTimeField(_("last delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("push subscription")
        verbose_name_plural = _("push subscriptions")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.user_agent or self.endpoint[:40]}"

    def as_subscription_info(self) -> dict:
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


class PushDelivery(models.Model):
    """One event for one device. The unique pair makes a duplicate event or a retried task
    send once; ``sent_at`` says that it went out."""

    event_key = models.CharField(_("event"), max_length=100)
    subscription = models.ForeignKey(
        PushSubscription,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("push subscription"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("push delivery")
        verbose_name_plural = _("push deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["event_key", "subscription"], name="push_delivery_once_per_device"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_key} → {self.subscription_id}"

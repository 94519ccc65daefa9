"""Access grants: temporary access to one patient for an organisation (or one of its teams).

A feature app that gives access for a while — an open referral lets its receivers see the
patient — writes it down here, in network's own terms, in the same transaction as the step
that opens or ends it. So ``network.access`` reads only network tables and never asks upward.
``source`` names what the grant came from ("referral:12"); network keeps no foreign key to it.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, Team
from network.models.patients import Patient


class AccessGrantReason(models.TextChoices):
    REFERRAL = "referral", _("referral")


class AccessGrantQuerySet(models.QuerySet):
    def active(self):
        return self.filter(ended_at__isnull=True)


class AccessGrant(models.Model):
    """While active (not ended), the members of ``organisation`` — only the members of ``team``
    when one is set — may see ``patient``, with the categories the matrix allows their kind."""

    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="+", verbose_name=_("patient")
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
    )
    reason = models.CharField(_("reason"), max_length=16, choices=AccessGrantReason.choices)
    source = models.CharField(max_length=100, db_index=True)
    started_at = models.DateTimeField(_("since"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    objects = AccessGrantQuerySet.as_manager()

    class Meta:
        ordering = ["started_at", "pk"]
        constraints = [
            # One active grant per source: opening twice (a retried step) gives no second row.
            models.UniqueConstraint(
                fields=["source"],
                condition=Q(ended_at__isnull=True),
                name="access_grant_active_source_unique",
            ),
        ]
        indexes = [
            # The access rule: "active grants for this organisation (and team) and patient".
            models.Index(
                fields=["organisation", "patient"],
                condition=Q(ended_at__isnull=True),
                name="access_grant_active_idx",
            ),
        ]

    def __str__(self):
        return f"{self.source} → {self.organisation_id}/{self.team_id or '-'}: {self.patient_id}"

"""The authorisation matrix: which data categories each kind of partner may see."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import OrganisationKind
from network.models.patients import DataCategory


class AuthorisationRule(models.Model):
    """One row of the matrix: an organisation kind and a yes/no per data category.

    Edited by the helpdesk in the admin; every change is written to
    :class:`AuthorisationRuleChange`. Pages read the current row at request time.
    """

    organisation_kind = models.CharField(
        _("kind of organisation"),
        max_length=32,
        choices=OrganisationKind.choices,
        unique=True,
    )
    identity = models.BooleanField(DataCategory.IDENTITY.label, default=False)
    episodes = models.BooleanField(DataCategory.EPISODES.label, default=False)
    medication = models.BooleanField(DataCategory.MEDICATION.label, default=False)
    contra_indications = models.BooleanField(DataCategory.CONTRA_INDICATIONS.label, default=False)
    measurements = models.BooleanField(DataCategory.MEASUREMENTS.label, default=False)
    journal = models.BooleanField(DataCategory.JOURNAL.label, default=False)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("authorisation matrix row")
        verbose_name_plural = _("authorisation matrix")
        ordering = ["organisation_kind"]

    def __str__(self):
        return str(self.get_organisation_kind_display())

    @property
    def categories(self) -> frozenset[str]:
        return frozenset(c for c in DataCategory.values if getattr(self, c))

    def snapshot(self) -> dict[str, bool]:
        return {c: bool(getattr(self, c)) for c in DataCategory.values}


class AuthorisationRuleChange(models.Model):
    """Who changed a row of the matrix, when, and what it was before and after."""

    organisation_kind = models.CharField(
        _("kind of organisation"), max_length=32, choices=OrganisationKind.choices
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)
    before = models.JSONField(_("before"), default=dict)
    after = models.JSONField(_("after"), default=dict)

    class Meta:
        verbose_name = _("authorisation matrix change")
        verbose_name_plural = _("authorisation matrix changes")
        ordering = ["-changed_at", "-pk"]

    def __str__(self):
        return f"{self.get_organisation_kind_display()} {self.changed_at:%Y-%m-%d %H:%M}"

    @property
    def differences(self) -> list[tuple[str, bool | None, bool]]:
        """(category label, before, after) for each category that changed."""
        labels = dict(DataCategory.choices)
        return [
            (str(labels[c]), self.before.get(c), self.after.get(c))
            for c in DataCategory.values
            if self.before.get(c) != self.after.get(c)
        ]

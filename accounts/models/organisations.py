"""Organisations, their teams, who works where (memberships), and partner overviews.

The tables keep the names they had when these models lived in the network app.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.levels import Capability, Level, OrganisationKind, Role, capabilities_for
from accounts.validators import (
    validate_agb_code,
    validate_phone,
    validate_postal_code,
    validate_ura_number,
)


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=OrganisationKind.choices)
    agb_code = models.CharField(
        _("AGB code"), max_length=8, blank=True, validators=[validate_agb_code]
    )
    ura_number = models.CharField(
        _("URA number"), max_length=8, blank=True, validators=[validate_ura_number]
    )
    # Its identity in FHIR (with settings.FHIR_IDENTIFIER_SYSTEM), never a database number.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    street = models.CharField(_("street and number"), max_length=200, blank=True)
    postal_code = models.CharField(
        _("postal code"), max_length=7, blank=True, validators=[validate_postal_code]
    )
    city = models.CharField(_("city"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[validate_phone])
    email = models.EmailField(_("e-mail address"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when a practice proposes a new organisation while inviting someone of it; the
    # organisation stays inactive until the helpdesk confirms it.
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organisations_proposed",
        verbose_name=_("proposed by"),
    )
    confirmed_at = models.DateTimeField(_("confirmed by the helpdesk at"), null=True, blank=True)

    class Meta:
        db_table = "network_organisation"
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["agb_code"],
                condition=~models.Q(agb_code=""),
                name="organisation_agb_unique",
                violation_error_message=_("An organisation with this AGB code already exists."),
            ),
        ]
        indexes = [models.Index(fields=["kind", "name"], name="organisation_kind_name_idx")]

    def __str__(self):
        return self.name

    @property
    def is_gp_practice(self) -> bool:
        return self.kind == OrganisationKind.GP_PRACTICE

    @property
    def awaits_confirmation(self) -> bool:
        return self.proposed_by_id is not None and self.confirmed_at is None

    @property
    def address(self) -> str:
        place = " ".join(p for p in (self.postal_code, self.city) if p)
        return ", ".join(p for p in (self.street, place) if p)


class Team(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="teams", verbose_name=_("organisation")
    )
    name = models.CharField(_("name"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)
    # Its identity in FHIR (an Organization, part of its organisation's).
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        db_table = "network_team"
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["organisation__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="team_name_unique"),
        ]

    def __str__(self):
        return f"{self.name} ({self.organisation.name})"


class MembershipQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True, organisation__is_active=True, user__is_active=True)


class Membership(models.Model):
    """A user working for an organisation: a level in a GP practice, a role elsewhere."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="memberships",
        verbose_name=_("user"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="memberships",
        verbose_name=_("organisation"),
    )
    level = models.CharField(_("level"), max_length=2, choices=Level.choices, blank=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, blank=True)
    has_patient_data_access = models.BooleanField(_("has access to patient data"), default=False)
    # NEN 7513 asks on whose responsibility someone works (an assistant for a GP). Empty: their own.
    acts_for = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("works under the responsibility of"),
    )
    teams = models.ManyToManyField(
        Team,
        blank=True,
        related_name="memberships",
        verbose_name=_("teams"),
        db_table="network_membership_teams",
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        db_table = "network_membership"
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["organisation__name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique"),
        ]
        indexes = [
            models.Index(fields=["user", "is_active"], name="membership_user_active_idx"),
            models.Index(fields=["organisation", "is_active"], name="membership_org_active_idx"),
        ]

    def __str__(self):
        return f"{self.user} – {self.organisation} ({self.position_label})"

    def clean(self):
        super().clean()
        if not self.organisation_id:
            return
        if self.organisation.is_gp_practice:
            if not self.level:
                raise ValidationError({"level": _("Staff of a GP practice need a level.")})
            if self.role:
                raise ValidationError({"role": _("A GP practice uses levels, not roles.")})
        else:
            if self.level:
                raise ValidationError({"level": _("Levels only exist in GP practices.")})
            if not self.role:
                raise ValidationError({"role": _("Choose lead provider or provider.")})

    @property
    def capabilities(self) -> frozenset[Capability]:
        if not self.is_active:
            return frozenset()
        return capabilities_for(kind=self.organisation.kind, level=self.level, role=self.role)

    def can(self, capability: Capability) -> bool:
        return capability in self.capabilities

    @property
    def position_label(self) -> str:
        """Level (practice) or role (partner); the care group's helpdesk staff are "Helpdesk",
        not a care provider: they run the platform and see no patients."""
        if self.level:
            return str(self.get_level_display())
        if self.organisation.kind == OrganisationKind.CARE_GROUP and self.user.is_staff:
            return str(_("Helpdesk"))
        return str(self.get_role_display()) if self.role else ""


class PartnerImport(models.Model):
    """A practice's overview of its network partners (CSV), uploaded by the helpdesk.

    Kept so the dry-run preview and the import read the very same content, and so there is
    a record of what was imported, when and by whom.
    """

    practice = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="partner_imports",
        verbose_name=_("practice"),
        limit_choices_to={"kind": OrganisationKind.GP_PRACTICE},
    )
    file_name = models.CharField(_("file"), max_length=255)
    content = models.TextField(editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="partner_imports",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    applied_at = models.DateTimeField(_("imported at"), null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )
    summary = models.JSONField(_("result"), default=dict, blank=True)

    class Meta:
        db_table = "network_partnerimport"
        verbose_name = _("network partner overview")
        verbose_name_plural = _("network partner overviews")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.file_name} ({self.practice})"

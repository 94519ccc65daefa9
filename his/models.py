"""Connections to other systems and what is sent to them.

``HisEndpoint``: where a practice's HIS accepts notes, configured by the helpdesk.
``HisExport``: one export (of a conversation, of a partner's feedback, …) to the patient's
journal in the practice's HIS, with the note and the FHIR resource exactly as they were built
(a later message does not change what was sent), and how delivery went. Its ``source`` says
what was exported; the app that owns the source reads it with ``his.selectors``.

The abstract ``FhirEndpoint`` and ``FhirDelivery`` serve every connection of this kind (the
referrals app's endpoints and deliveries are built on them too).

Both tables were made by the conversations app and keep its names (``his/0001_initial``).
"""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, OrganisationKind

# ICPC-1-NL (the NHG's ICPC, which Dutch HISes and nl-core use): a chapter letter and a
# two-digit component ("T90"), with a subcode after a dot ("T90.02"). Only the chapter letters
# of ICPC, so an ICD-10 code ("E11") is caught.
ICPC_CODE_RE = re.compile(r"^[ABDFHKLNPRSTUWXYZ]\d{2}(\.\d{1,2})?$")
# Plain HTTP only to this machine: the test receiver. Anything else carries patient data.
HTTP_ALLOWED_HOSTS = {"127.0.0.1"}


def icpc_code_normalise(value: str) -> str:
    """Upper case, a decimal comma as a dot: " t90,02 " is ICPC-1-NL subcode "T90.02"."""
    return (value or "").strip().upper().replace(",", ".")


def validate_icpc_code(value: str) -> None:
    if value and not ICPC_CODE_RE.match(value):
        raise ValidationError(
            _("Enter an ICPC code: a letter and two digits, such as K86 or T90.02."),
            code="icpc_code",
        )


def _is_safe_address(value: str) -> bool:
    parts = urlsplit(value or "")
    if parts.scheme == "https" and parts.hostname:
        return True
    return parts.scheme == "http" and parts.hostname in HTTP_ALLOWED_HOSTS


def validate_his_url(value: str) -> None:
    if not _is_safe_address(value):
        raise ValidationError(_("The HIS address must start with https://."), code="his_url")


def validate_fhir_url(value: str) -> None:
    """Another system's address: https only, since what goes there carries patient data."""
    if not _is_safe_address(value):
        raise ValidationError(_("The address must start with https://."), code="fhir_url")


class FhirEndpoint(models.Model):
    """Another system's FHIR endpoint, reached with a bearer token; kept by the helpdesk."""

    # Sent as "Authorization: Bearer <token>"; the admin never shows it back.
    token = models.CharField(_("token"), max_length=500)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class HisEndpoint(FhirEndpoint):
    """Where a practice's HIS receives notes: a FHIR endpoint with a bearer token."""

    practice = models.OneToOneField(
        Organisation,
        on_delete=models.PROTECT,
        related_name="his_endpoint",
        verbose_name=_("practice"),
        limit_choices_to={"kind": OrganisationKind.GP_PRACTICE},
    )
    url = models.URLField(_("HIS address"), max_length=500, validators=[validate_his_url])

    class Meta:
        db_table = "conversations_hisendpoint"
        verbose_name = _("HIS connection")
        verbose_name_plural = _("HIS connections")
        ordering = ["practice__name"]

    def __str__(self):
        return f"{self.practice.name}: {self.url}"

    def clean(self):
        super().clean()
        if self.practice_id and not self.practice.is_gp_practice:
            raise ValidationError({"practice": _("Only a GP practice has a HIS.")})


class FhirDelivery(models.Model):
    """A FHIR resource on its way to another system (``his.delivery``): built once, posted
    until it is taken or refused.

    ``idempotency_key`` goes with every delivery attempt (header and FHIR identifier), so the
    receiver stores it once however often we retry.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    fhir_json = models.JSONField(_("FHIR resource"))
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # Shown to the user as it is: written in Dutch (the task runs under the Dutch locale).
    last_error = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        abstract = True


class HisExport(FhirDelivery):
    """One export to the patient's journal in the practice's HIS."""

    # What was exported (a conversation, a partner's feedback on a referral, …): written by the
    # app that owns it, which also decides who may export and see it.
    source_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    source_id = models.PositiveBigIntegerField()
    source = GenericForeignKey("source_type", "source_id")
    practice = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="his_exports",
        verbose_name=_("practice"),
        limit_choices_to={"kind": OrganisationKind.GP_PRACTICE},
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    icpc_code = models.CharField(
        _("ICPC code"), max_length=10, blank=True, validators=[validate_icpc_code]
    )
    note_text = models.TextField(_("SOEP note"))

    class Meta:
        db_table = "conversations_hisexport"
        verbose_name = _("HIS export")
        verbose_name_plural = _("HIS exports")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["source_type", "source_id", "-created_at"], name="his_export_source_idx"
            )
        ]

    def __str__(self):
        source = ContentType.objects.get_for_id(self.source_type_id)
        return f"{source.model} {self.source_id} → HIS ({self.status})"

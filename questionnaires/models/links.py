"""Questionnaires sent to a patient: a link the patient opens without an account.

A :class:`PatientLink` is one questionnaire sent to one patient by a care provider, by e-mail or
text message. Each message (the first, a reminder) carries its own random token; only its
SHA-256 hash is stored (:class:`PatientLinkToken`), so the database holds nothing that opens a
link. The patient confirms their date of birth before the questions are shown; wrong tries are
counted on the link (locked for a while after a few, ended after more). The patient may save and
come back; their answers so far are kept in ``draft``. Submitting stores one
:class:`~questionnaires.models.Response` (its ``client_key`` comes from the form, so a double
submit or a resend stores one) and ends the link, as do expiry, revocation by the care provider
and too many wrong dates of birth. When a link ends, the address it was sent to is cleared.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from network.models import Patient
from questionnaires.models.library import Questionnaire, Response


class PatientLink(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        SMS = "sms", _("text message")

    class EndReason(models.TextChoices):
        SUBMITTED = "submitted", _("filled in")
        REVOKED = "revoked", _("withdrawn")
        BLOCKED = "blocked", _("blocked: date of birth wrong too often")
        EXPIRED = "expired", _("expired")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="patient_links"
    )
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="questionnaire_links"
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    # The sender's form key: the same form sent twice sends one questionnaire.
    client_key = models.UUIDField(unique=True)
    channel = models.CharField(_("sent by"), max_length=5, choices=Channel.choices)
    # Where it went; cleared when the link ends (no reminders are needed after that).
    email = models.EmailField(_("e-mail address"), blank=True)
    phone = models.CharField(_("mobile number"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)
    due_date = models.DateField(_("fill in by"))
    expires_at = models.DateTimeField(_("link works until"))
    reminder_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True, editable=False)
    draft = models.JSONField(default=dict, blank=True)
    draft_saved_at = models.DateTimeField(null=True, blank=True, editable=False)
    birth_date_failures = models.PositiveSmallIntegerField(default=0, editable=False)
    locked_until = models.DateTimeField(null=True, blank=True, editable=False)
    response = models.OneToOneField(
        Response, on_delete=models.PROTECT, null=True, blank=True, related_name="patient_link"
    )
    ended_at = models.DateTimeField(null=True, blank=True, editable=False)
    end_reason = models.CharField(max_length=10, choices=EndReason.choices, blank=True)

    class Meta:
        verbose_name = _("questionnaire sent to a patient")
        verbose_name_plural = _("questionnaires sent to patients")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The patient's sent questionnaires, newest first.
            models.Index(fields=["patient", "created_at"], name="patient_link_patient_idx"),
            # The reminder and expiry sweep: open links by due date.
            models.Index(
                fields=["due_date"],
                condition=models.Q(ended_at__isnull=True),
                name="patient_link_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.questionnaire} → {self.patient_id} ({self.created_at:%Y-%m-%d})"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_open(self) -> bool:
        return self.ended_at is None and not self.is_expired

    @property
    def status(self) -> str:
        """``sent``, ``opened``, ``locked`` or an :class:`EndReason` value."""
        if self.ended_at is not None:
            return self.end_reason
        if self.is_expired:
            return self.EndReason.EXPIRED
        if self.locked_until and self.locked_until > timezone.now():
            return "locked"
        return "opened" if self.opened_at else "sent"

    @property
    def status_label(self) -> str:
        labels = {
            "sent": _("sent"),
            "opened": _("opened by the patient"),
            "locked": _("locked for a while: date of birth wrong"),
            **dict(self.EndReason.choices),
        }
        return str(labels[self.status])


class PatientLinkToken(models.Model):
    """One message's token, as a hash: the first message and each reminder have their own."""

    link = models.ForeignKey(PatientLink, on_delete=models.CASCADE, related_name="tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("link token")
        verbose_name_plural = _("link tokens")

    def __str__(self) -> str:
        return f"{self.link_id}: {self.token_hash[:8]}…"

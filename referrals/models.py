"""Referrals (*verwijzingen*) from a GP practice to a network organisation or one of its teams.

Which transitions exist and who may make them is decided in ``referrals/states.py`` only; the
services carry them out. Every transition is kept as a :class:`ReferralEvent` (who, when, from,
to), so the history of a referral can be shown and checked.
"""

from __future__ import annotations

import re
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, Team
from files.models import PrivateFile
from his.models import FhirDelivery, FhirEndpoint, validate_fhir_url
from network.models import Patient

# An ICPC-1-NL code (T90, T90.02) or a chapter letter alone (T): what a pathway can require.
ICPC_PREFIX_RE = re.compile(r"[ABDFHKLNPRSTUWXYZ](\d{2}(\.\d{1,2})?)?")


class CarePathway(models.Model):
    """A care pathway (*zorgpad*) a referral can belong to, kept by the helpdesk.

    ``required_icpc`` lists ICPC-1-NL codes (or code prefixes such as ``T90``) of which the patient
    should have an episode; when none is there the practice sees a warning before sending.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    required_icpc = models.JSONField(
        _("required ICPC codes"),
        default=list,
        blank=True,
        help_text=_(
            "ICPC codes (ICPC-1-NL) or prefixes, e.g. T90; the patient should have such an episode."
        ),
    )
    requirement_text = models.CharField(
        _("explanation of the requirement"),
        max_length=200,
        blank=True,
        help_text=_("Shown in the warning, e.g. 'A diabetes referral needs a T90 episode.'"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("care pathway")
        verbose_name_plural = _("care pathways")

    def __str__(self) -> str:
        return self.name


class Referral(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        SENT = "sent", _("sent")
        ACCEPTED = "accepted", _("in treatment")
        DECLINED = "declined", _("declined")
        CANCELLED = "cancelled", _("cancelled")
        CLOSED = "closed", _("closed")

    class Urgency(models.TextChoices):
        ROUTINE = "routine", _("routine")
        SOON = "soon", _("within a few days")
        URGENT = "urgent", _("urgent (call as well)")

    # While a referral is open its receivers see the patient (matrix-limited), through an access
    # grant the transitions open and end (referrals.services).
    OPEN_STATES = (State.SENT, State.ACCEPTED)

    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="referrals", verbose_name=_("patient")
    )
    practice = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("practice")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    to_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="received_referrals",
        verbose_name=_("to organisation"),
    )
    to_team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    care_pathway = models.ForeignKey(
        CarePathway, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals"
    )
    question = models.TextField(_("question or reason"))
    urgency = models.CharField(
        _("urgency"), max_length=16, choices=Urgency.choices, default=Urgency.ROUTINE
    )
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)  # declined, cancelled or closed
    # Questions back and forth happen in conversations about the patient, linked here.
    conversations = models.ManyToManyField(
        "conversations.Conversation", blank=True, related_name="referrals"
    )
    # The form's key: pressing *Verwijzing versturen* twice gives one referral.
    client_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    # The referral's identity at the receiver (its ServiceRequest and Task), never a database
    # number: the same in every delivery of this referral, different in every installation.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        indexes = [
            models.Index(fields=["to_organisation", "state", "-sent_at"], name="referral_inbox"),
            models.Index(fields=["practice", "state", "-created_at"], name="referral_practice"),
            models.Index(fields=["patient", "state"], name="referral_patient_state"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    state__in=["draft", "sent", "accepted", "declined", "cancelled", "closed"]
                ),
                name="referral_state_known",
            ),
            models.CheckConstraint(
                condition=~Q(state="accepted") | Q(accepted_by__isnull=False),
                name="referral_accepted_has_acceptor",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_state_display()} → {self.to_organisation}"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES


class ReferralEvent(models.Model):
    """One transition: who did what, when, for which organisation, from which state."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=16)
    from_state = models.CharField(max_length=16)
    to_state = models.CharField(max_length=16)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)
    # Set when the e-mails about this event were sent: a retried task sends nothing twice.
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("referral event")
        verbose_name_plural = _("referral events")

    def __str__(self) -> str:
        return f"{self.action}: {self.from_state} → {self.to_state}"

    LABELS = {
        "send": _("sent"),
        "accept": _("taken into treatment"),
        "decline": _("declined"),
        "cancel": _("cancelled"),
        "close": _("closed"),
        "feedback": _("sent feedback"),
    }

    @property
    def label(self) -> str:
        return self.LABELS.get(self.action, self.action)


class Feedback(models.Model):
    """*Terugkoppeling* from the receiving organisation to the practice."""

    class Kind(models.TextChoices):
        START = "start", _("at the start")
        INTERIM = "interim", _("interim")
        FINAL = "final", _("final")

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="feedback")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    findings = models.TextField(_("findings"), blank=True)
    conclusion = models.TextField(_("conclusion"), blank=True)
    treatment_plan = models.TextField(_("treatment plan and goals"), blank=True)
    sessions = models.PositiveSmallIntegerField(_("number of sessions"), null=True, blank=True)
    advice = models.TextField(_("advice to the GP"), blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.created_at:%d-%m-%Y})"


class ReferralAttachment(PrivateFile):
    """A letter, photo or report sent with the referral (by the practice) or with feedback (by
    the receiver). Whoever may open the referral may open its attachments; nobody else."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="attachments")
    feedback = models.ForeignKey(
        Feedback, on_delete=models.PROTECT, null=True, blank=True, related_name="attachments"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")

    class Meta(PrivateFile.Meta):
        verbose_name = _("referral attachment")
        verbose_name_plural = _("referral attachments")

    def storage_directory(self) -> str:
        return f"referrals/{self.referral_id}"


class ReferralEndpoint(FhirEndpoint):
    """Where a network organisation's own system receives referrals (FHIR, with a bearer
    token), kept by the helpdesk. Without one the referral lives in Regiozorg only, and the
    practice can still download it as FHIR."""

    organisation = models.OneToOneField(
        Organisation,
        on_delete=models.PROTECT,
        related_name="referral_endpoint",
        verbose_name=_("organisation"),
    )
    url = models.URLField(
        _("address for referrals"), max_length=500, validators=[validate_fhir_url]
    )

    class Meta:
        verbose_name = _("referral connection")
        verbose_name_plural = _("referral connections")
        ordering = ["organisation__name"]

    def __str__(self):
        return f"{self.organisation.name}: {self.url}"


class ReferralDelivery(FhirDelivery):
    """The referral as FHIR (ServiceRequest + Task), as it was at one of the practice's steps
    (sent, cancelled, closed), on its way to the receiving organisation's system."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="deliveries")
    event = models.OneToOneField(ReferralEvent, on_delete=models.PROTECT, related_name="delivery")

    class Meta:
        verbose_name = _("referral delivery")
        verbose_name_plural = _("referral deliveries")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.event.action} → {self.status}"

"""The MDO (*multidisciplinary meeting*): care providers from the patients' care networks meet
about one or more patients.

Not a scheduler: the date and time are recorded, planning happens elsewhere. A meeting is
``planned`` → ``held`` → ``closed`` (the chair closes it; the report then goes out).

- :class:`Participant`: a person *for an organisation* (a membership) — the chair's colleagues,
  or members of the care network of a patient on the agenda. The chair is a participant too.
  Guests without an account (a later issue) will get their own rows hanging off the meeting,
  as will a video ``Call``; nothing here assumes every participant has a membership forever.
- :class:`AgendaItem`: a patient and the question about them, in order.
- :class:`PreparationNote`: what one participant wrote beforehand about one agenda item.
- :class:`Minutes`: what the chair noted during the meeting, per agenda item.
- :class:`Agreement`: who does what by when; can be turned into a health-plan action (the
  action's UUID is kept here: meetings does not import careplans, see ``meetings.hooks``).

Who sees what is decided in ``meetings.access`` on top of ``network.access``.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership, Organisation
from network.models import Patient


class Meeting(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        HELD = "held", _("in progress")
        CLOSED = "closed", _("closed")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("chair"),
    )
    title = models.CharField(_("title"), max_length=200)
    held_at = models.DateTimeField(_("date and time"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("MDO")
        verbose_name_plural = _("MDOs")
        ordering = ["-held_at", "-pk"]

    def __str__(self):
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.CLOSED


class Participant(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="participants")
    membership = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="+", verbose_name=_("participant")
    )
    is_chair = models.BooleanField(_("chair"), default=False)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["-is_chair", "added_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "membership"], name="meeting_participant_once"
            )
        ]
        # "My meetings": the meetings a membership takes part in.
        indexes = [models.Index(fields=["membership", "meeting"], name="meeting_participant_idx")]

    def __str__(self):
        return str(self.membership)


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="+", verbose_name=_("patient")
    )
    question = models.TextField(_("question"), max_length=2000)
    order = models.PositiveIntegerField(_("order"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "patient"], name="meeting_patient_once")
        ]

    def __str__(self):
        return f"{self.meeting} #{self.order}"


class PreparationNote(models.Model):
    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="notes")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="notes")
    text = models.TextField(_("preparation"), max_length=4000)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("preparation note")
        verbose_name_plural = _("preparation notes")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["item", "participant"], name="meeting_note_once")
        ]

    def __str__(self):
        return f"{self.participant} – {self.item}"


class Minutes(models.Model):
    item = models.OneToOneField(AgendaItem, on_delete=models.CASCADE, related_name="minutes")
    text = models.TextField(_("minutes"), max_length=8000)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("minutes")
        verbose_name_plural = _("minutes")

    def __str__(self):
        return str(self.item)


class Agreement(models.Model):
    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="agreements")
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    text = models.CharField(_("agreement"), max_length=300)
    owner = models.ForeignKey(
        Membership,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Set once, when the agreement became a health-plan action (careplans' Action.uuid).
    plan_action_uuid = models.UUIDField(null=True, blank=True, editable=False)
    plan_action_at = models.DateTimeField(null=True, blank=True)
    plan_action_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return self.text

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

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership, Organisation
from files.models import PrivateFile, private_file_path, private_storage
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


# --- video calls ------------------------------------------------------------------------------


class Call(models.Model):
    """A video call: a room for at most ``CALL_MAX_PEERS`` browsers in a mesh. It belongs to an
    MDO (its participants may join), to a patient (everyone who may see the patient may join;
    the patient or a carer joins by a guest link) or to a conversation (everyone who may see
    it may join). The room's address is its UUID."""

    class Kind(models.TextChoices):
        MEETING = "meeting", _("MDO")
        PATIENT = "patient", _("patient")
        CONVERSATION = "conversation", _("conversation")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    meeting = models.ForeignKey(
        Meeting, on_delete=models.PROTECT, null=True, blank=True, related_name="calls"
    )
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A conversation's id (conversations is a sibling app: no foreign key, see meetings.hooks).
    conversation_id = models.PositiveBigIntegerField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("video call")
        verbose_name_plural = _("video calls")
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(
                        kind="meeting",
                        meeting__isnull=False,
                        patient__isnull=True,
                        conversation_id__isnull=True,
                    )
                    | models.Q(
                        kind="patient",
                        meeting__isnull=True,
                        patient__isnull=False,
                        conversation_id__isnull=True,
                    )
                    | models.Q(
                        kind="conversation",
                        meeting__isnull=True,
                        patient__isnull=True,
                        conversation_id__isnull=False,
                    )
                ),
                name="call_subject_of_its_kind",
            ),
            models.UniqueConstraint(
                fields=["conversation_id"],
                condition=models.Q(ended_at__isnull=True),
                name="call_one_open_per_conversation",
            ),
        ]
        indexes = [
            models.Index(fields=["meeting", "ended_at"], name="call_meeting_idx"),
            models.Index(fields=["patient", "ended_at"], name="call_patient_idx"),
            models.Index(fields=["conversation_id", "ended_at"], name="call_conversation_idx"),
        ]

    def __str__(self):
        return str(self.uuid)

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


class CallGuest(models.Model):
    """A link by which someone without an account joins one call: a guest (a colleague from
    outside, by e-mail or WhatsApp) or the patient or their carer (by e-mail or SMS). Only the
    SHA-256 of the token is kept. It works until ``expires_at``, until it is revoked, and until
    the call ends; its holder waits until someone with an account admits them."""

    class Kind(models.TextChoices):
        GUEST = "guest", _("guest")
        PATIENT = "patient", _("patient or carer")

    class Channel(models.TextChoices):
        LINK = "link", _("copy the link (WhatsApp)")
        EMAIL = "email", _("e-mail")
        SMS = "sms", _("text message")

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="guests")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.GUEST)
    name = models.CharField(_("name"), max_length=100)
    channel = models.CharField(_("send by"), max_length=10, choices=Channel.choices)
    # Where it went, partly hidden (j…@example.nl, 06-…5678): enough to recognise, no address book.
    sent_to = models.CharField(max_length=100, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("valid until"))
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    client_key = models.UUIDField(null=True, blank=True)

    class Meta:
        verbose_name = _("guest link")
        verbose_name_plural = _("guest links")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["call", "client_key"], name="call_guest_client_key_once"
            )
        ]

    def __str__(self):
        return self.name

    def works(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now and self.call.ended_at is None


# A browser in a call tells the server it is still there every ``CALL_HEARTBEAT_SECONDS``
# (its socket's watch); a row not heard of for ``CALL_STALE_SECONDS`` counts as gone (a server
# process that died cannot mark its sockets as left).
CALL_HEARTBEAT_SECONDS = 30
CALL_STALE_SECONDS = 90


class AttendanceQuerySet(models.QuerySet):
    def open(self):
        """Browsers still there: not left, and heard of lately."""
        cutoff = timezone.now() - datetime.timedelta(seconds=CALL_STALE_SECONDS)
        return self.filter(left_at__isnull=True, seen_at__gte=cutoff)

    def present(self):
        """In the call (admitted)."""
        return self.open().filter(admitted_at__isnull=False)

    def waiting(self):
        """Guests in the waiting room."""
        return self.open().filter(admitted_at__isnull=True, guest__isnull=False)


class CallAttendance(models.Model):
    """One browser in a call: who (a user for an organisation, or a guest link's holder under the
    name they gave), from when to when, and for a guest who admitted them. ``peer`` names the
    browser in the signalling; ``channel_name`` is its socket's channel (where signals to it go).
    A guest's row exists from the waiting room on (``admitted_at`` empty until admitted)."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="attendances")
    peer = models.CharField(max_length=32, unique=True)
    channel_name = models.CharField(max_length=200)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    membership = models.ForeignKey(
        Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    guest = models.ForeignKey(
        CallGuest, on_delete=models.PROTECT, null=True, blank=True, related_name="attendances"
    )
    name = models.CharField(_("name"), max_length=100)
    joined_at = models.DateTimeField(default=timezone.now)
    admitted_at = models.DateTimeField(null=True, blank=True)
    admitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    left_at = models.DateTimeField(null=True, blank=True)
    seen_at = models.DateTimeField(default=timezone.now)

    objects = AttendanceQuerySet.as_manager()

    class Meta:
        verbose_name = _("call attendance")
        verbose_name_plural = _("call attendances")
        ordering = ["joined_at", "pk"]
        indexes = [models.Index(fields=["call", "left_at"], name="call_attendance_open_idx")]

    def __str__(self):
        return self.name

    @property
    def is_guest(self) -> bool:
        return self.guest_id is not None

    @property
    def is_stale(self) -> bool:
        """Never marked as left, but not heard of for a while (its server process stopped)."""
        cutoff = timezone.now() - datetime.timedelta(seconds=CALL_STALE_SECONDS)
        return self.left_at is None and self.seen_at < cutoff


class CallMessage(PrivateFile):
    """A chat line or a shared file in a call, kept with the call (and so with its MDO or
    patient), never only in a browser. ``file`` is empty for a chat line."""

    file = models.FileField(
        upload_to=private_file_path, storage=private_storage, max_length=200, blank=True
    )
    original_name = models.CharField(_("file name"), max_length=200, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="messages")
    attendance = models.ForeignKey(
        CallAttendance, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    author_name = models.CharField(max_length=100)
    body = models.TextField(_("message"), max_length=2000, blank=True)
    client_key = models.UUIDField()

    class Meta:
        verbose_name = _("call message")
        verbose_name_plural = _("call messages")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["call", "client_key"], name="call_message_once")
        ]

    def __str__(self):
        return self.body[:40] or self.original_name

    def storage_directory(self) -> str:
        return f"calls/{self.call_id}"

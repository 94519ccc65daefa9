"""Conversations (gesprekken) and consultations (consultaties), with shared inboxes."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, Team
from files.models import PrivateFile

# conversations/0001 and referrals/0002 name the upload path and the storage by these names:
# old migrations must keep loading, and compare equal so that no new migration is made.
from files.models import private_file_path as attachment_path  # noqa: F401
from files.models import private_storage as _private_storage  # noqa: F401
from network.models import Patient


class SharedInbox(models.Model):
    """An organisation's or team's common inbox; all its members see what is addressed to it."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="shared_inboxes",
        verbose_name=_("organisation"),
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="shared_inboxes",
        verbose_name=_("team"),
    )
    name = models.CharField(_("name"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("shared inbox")
        verbose_name_plural = _("shared inboxes")
        ordering = ["organisation__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="shared_inbox_name_unique"
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.organisation.name})"


class SharedInboxMember(models.Model):
    """Who reads a shared inbox now. Removing the row removes access at once."""

    inbox = models.ForeignKey(
        SharedInbox, on_delete=models.CASCADE, related_name="members", verbose_name=_("inbox")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="shared_inbox_memberships",
        verbose_name=_("member"),
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("shared inbox member")
        verbose_name_plural = _("shared inbox members")
        constraints = [
            models.UniqueConstraint(fields=["inbox", "user"], name="shared_inbox_member_unique")
        ]
        indexes = [models.Index(fields=["user", "inbox"], name="inbox_member_user_idx")]

    def __str__(self):
        return f"{self.user} – {self.inbox}"


class Conversation(models.Model):
    class Kind(models.TextChoices):
        CONVERSATION = "conversation", _("conversation")
        CONSULTATION = "consultation", _("consultation")

    class ConsultationState(models.TextChoices):
        OPEN = "open", _("open")
        PICKED_UP = "picked_up", _("picked up")
        ANSWERED = "answered", _("answered")
        CLOSED = "closed", _("closed")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    patient = models.ForeignKey(
        Patient,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="conversations",
        verbose_name=_("patient"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_for = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_message_at = models.DateTimeField(_("last message"), null=True, blank=True)
    last_message_id = models.BigIntegerField(null=True, blank=True, editable=False)
    message_count = models.PositiveIntegerField(default=0, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Consultations only.
    state = models.CharField(
        _("state"), max_length=10, choices=ConsultationState.choices, blank=True
    )
    picked_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    picked_up_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    # "Toegang aanvragen": a partner asks the practice for access to a patient.
    access_request_practice = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    access_request_by = models.ForeignKey(
        "accounts.Membership", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    access_granted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        ordering = ["-last_message_at", "-pk"]
        indexes = [
            models.Index(fields=["patient", "-last_message_at"], name="conversation_patient_idx"),
            models.Index(fields=["kind", "state"], name="conversation_kind_state_idx"),
        ]

    def __str__(self):
        return self.subject

    @property
    def is_consultation(self) -> bool:
        return self.kind == self.Kind.CONSULTATION

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class Participant(models.Model):
    """A person or a shared inbox taking part. Exactly one of the two is set."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="participants"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="conversation_participations",
    )
    inbox = models.ForeignKey(
        SharedInbox, on_delete=models.PROTECT, null=True, blank=True, related_name="participations"
    )
    # The organisation the person takes part for (their care-network membership is for it).
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    joined_at = models.DateTimeField(auto_now_add=True)
    left_at = models.DateTimeField(null=True, blank=True)
    # Set when a person joined by answering for a shared inbox: leaving that inbox ends it.
    joined_via_inbox = models.ForeignKey(
        SharedInbox, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, inbox__isnull=True)
                | Q(user__isnull=True, inbox__isnull=False),
                name="participant_user_xor_inbox",
            ),
            models.UniqueConstraint(
                fields=["conversation", "user"],
                condition=Q(user__isnull=False),
                name="participant_user_unique",
            ),
            models.UniqueConstraint(
                fields=["conversation", "inbox"],
                condition=Q(inbox__isnull=False),
                name="participant_inbox_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "conversation"], name="participant_user_idx"),
            models.Index(fields=["inbox", "conversation"], name="participant_inbox_idx"),
        ]

    def __str__(self):
        return str(self.user or self.inbox)


class Message(models.Model):
    id = models.BigAutoField(primary_key=True)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.PROTECT, related_name="messages"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(auto_now_add=True)
    # Sent by the browser with every send: a resend of the same form is the same message.
    client_key = models.UUIDField(default=uuid.uuid4)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "client_key"], name="message_client_key_unique"
            )
        ]
        indexes = [models.Index(fields=["conversation", "id"], name="message_conversation_idx")]

    def __str__(self):
        return f"#{self.pk} in {self.conversation_id}"

    def attachments_stored(self, attachments) -> None:
        """Hold the attachments just stored with this new message as a prefetch would, so that
        rendering it (``message.attachments.all``) does not read back what was just written."""
        queryset = self.attachments.all()
        queryset._result_cache = list(attachments)
        queryset._prefetch_done = True
        self._prefetched_objects_cache = {
            **getattr(self, "_prefetched_objects_cache", {}),
            "attachments": queryset,
        }


class Attachment(PrivateFile):
    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="attachments")

    class Meta(PrivateFile.Meta):
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def storage_directory(self) -> str:
        return f"attachments/{self.message.conversation_id}"


class ReadState(models.Model):
    """How far one person has read a conversation, and whether they flagged it."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="read_states"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversation_reads"
    )
    last_read_message_id = models.BigIntegerField(default=0)
    read_at = models.DateTimeField(null=True, blank=True)
    is_flagged = models.BooleanField(_("flagged"), default=False)
    # Throttles e-mail notifications: at most one per conversation per period.
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "user"], name="read_state_unique")
        ]
        indexes = [models.Index(fields=["user", "conversation"], name="read_state_user_idx")]

    def __str__(self):
        return f"{self.user_id} read {self.conversation_id} to {self.last_read_message_id}"

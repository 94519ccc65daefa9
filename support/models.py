"""Support: questions to the helpdesk (tickets), help per function, and release notes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from files.models import PrivateFile


class TicketStatus(models.TextChoices):
    NEW = "new", _("new")
    IN_PROGRESS = "in_progress", _("in progress")
    CLOSED = "closed", _("closed")


class Ticket(models.Model):
    """A question of one user to the helpdesk. Only what the user typed: no patient record."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="support_tickets"
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
    )
    subject = models.CharField(_("subject"), max_length=150)
    question = models.TextField(_("question"), max_length=5000)
    page = models.CharField(_("page"), max_length=500, blank=True)
    user_agent = models.CharField(_("browser"), max_length=500, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=TicketStatus.choices, default=TicketStatus.NEW
    )
    created_at = models.DateTimeField(_("asked at"), auto_now_add=True)
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    # The answer's version: each changed answer counts up; the mail of a version goes once.
    answer_version = models.PositiveIntegerField(default=0)
    answer_mailed_version = models.PositiveIntegerField(default=0)
    answer_mailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self):
        return self.subject


class TicketScreenshot(PrivateFile):
    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="screenshot")

    def storage_directory(self) -> str:
        return "support"


class HelpKey(models.TextChoices):
    PROFILE = "profile", _("Profile")
    CONVERSATIONS = "conversations", _("Conversations")
    SHARED_INBOXES = "shared_inboxes", _("Shared inboxes")
    CARE_NETWORK = "care_network", _("Care network")
    REFERRALS = "referrals", _("Referrals")
    ACP = "acp", _("Advance care plan")
    HEALTH_PLAN = "health_plan", _("Health plan")
    QUESTIONNAIRES = "questionnaires", _("Questionnaires")
    MEASUREMENTS = "measurements", _("Home measurements")
    MDO_VIDEO = "mdo_video", _("MDO and video calls")
    APP = "app", _("The app")


class HelpArticle(models.Model):
    key = models.CharField(_("function"), max_length=30, choices=HelpKey.choices, unique=True)
    title = models.CharField(_("title"), max_length=150)
    body = models.TextField(_("text (Markdown)"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("help article")
        verbose_name_plural = _("help articles")

    def __str__(self):
        return self.title


class ReleaseNote(models.Model):
    version = models.CharField(_("version"), max_length=30, unique=True)
    date = models.DateField(_("date"))
    title = models.CharField(_("title"), max_length=150)
    body = models.TextField(_("text (Markdown)"))

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("release note")
        verbose_name_plural = _("release notes")

    def __str__(self):
        return f"{self.version} — {self.title}"


class ReleaseNoteReader(models.Model):
    """Per user: the newest release note they dismissed, and whether they follow by e-mail."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="release_note_reader"
    )
    last_seen = models.ForeignKey(
        ReleaseNote, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    follows = models.BooleanField(default=False)

    def __str__(self):
        return str(self.user_id)


class ReleaseNoteMailing(models.Model):
    """One e-mail of one note to one follower: the unique pair makes a retried task a no-op."""

    note = models.ForeignKey(ReleaseNote, on_delete=models.CASCADE, related_name="mailings")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["note", "user"], name="release_note_mailed_once")
        ]

    def __str__(self):
        return f"{self.note_id}:{self.user_id}"

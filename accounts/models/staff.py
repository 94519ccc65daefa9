"""Staff management: account requests to the helpdesk, invitations, and the change record."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models.organisations import Membership, Organisation
from accounts.validators import validate_agb_code, validate_phone


class AccountRequestQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=AccountRequest.Status.PENDING)


class AccountRequest(models.Model):
    """A level-A user asks the helpdesk for a colleague's account, or for a level change."""

    class Kind(models.TextChoices):
        NEW_ACCOUNT = "new_account", _("New account")
        LEVEL_CHANGE = "level_change", _("Level change")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the helpdesk")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="account_requests",
        verbose_name=_("practice"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="account_requests_made",
        verbose_name=_("requested by"),
    )
    target_membership = models.ForeignKey(
        Membership,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="level_change_requests",
        verbose_name=_("colleague"),
    )
    initials = models.CharField(_("initials"), max_length=20)
    infix = models.CharField(_("infix"), max_length=20, blank=True)
    last_name = models.CharField(_("surname"), max_length=150)
    agb_code = models.CharField(
        _("personal AGB code"), max_length=8, blank=True, validators=[validate_agb_code]
    )
    email = models.EmailField(_("e-mail address"))
    mobile = models.CharField(
        _("mobile number"), max_length=20, blank=True, validators=[validate_phone]
    )
    level = models.CharField(_("level"), max_length=2)
    remarks = models.TextField(_("remarks"), blank=True, max_length=1000)

    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="account_requests_decided",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)

    objects = AccountRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("account request")
        verbose_name_plural = _("account requests")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                "organisation",
                Lower("email"),
                "kind",
                condition=models.Q(status="pending"),
                name="account_request_one_pending",
                violation_error_message=_("A request for this e-mail address is already waiting."),
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="account_request_status_idx")]

    def __str__(self):
        name = " ".join(p for p in (self.initials, self.infix, self.last_name) if p)
        return f"{self.get_kind_display()}: {name} ({self.organisation})"

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.initials, self.infix, self.last_name) if p)


class InvitationQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=Invitation.Status.PENDING)

    def open(self):
        """Pending and not yet expired: the link still works."""
        return self.pending().filter(expires_at__gt=timezone.now())


class Invitation(models.Model):
    """A single-use link to join an organisation: set a password, a second factor, a profile."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        REVOKED = "revoked", _("Revoked")

    class Source(models.TextChoices):
        ACCOUNT_REQUEST = "account_request", _("Account request approved by the helpdesk")
        PRACTICE = "practice", _("Invited by the practice")
        COLLEAGUE = "colleague", _("Invited by a lead provider")
        IMPORT = "import", _("Network partner overview (import)")

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="invitations",
        verbose_name=_("organisation"),
    )
    inviting_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="invitations_sent",
        verbose_name=_("invited from"),
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invitations_sent",
        verbose_name=_("invited by"),
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    account_request = models.OneToOneField(
        AccountRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="invitation"
    )
    email = models.EmailField(_("e-mail address"))
    initials = models.CharField(_("initials"), max_length=20, blank=True)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    infix = models.CharField(_("infix"), max_length=20, blank=True)
    last_name = models.CharField(_("surname"), max_length=150, blank=True)
    agb_code = models.CharField(
        _("personal AGB code"), max_length=8, blank=True, validators=[validate_agb_code]
    )
    mobile = models.CharField(
        _("mobile number"), max_length=20, blank=True, validators=[validate_phone]
    )
    level = models.CharField(_("level"), max_length=2, blank=True)
    role = models.CharField(_("role"), max_length=16, blank=True)
    has_patient_data_access = models.BooleanField(_("has access to patient data"), default=False)

    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    sent_at = models.DateTimeField(_("last sent at"), null=True, blank=True)
    send_count = models.PositiveSmallIntegerField(_("times sent"), default=0)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invitations_accepted",
        verbose_name=_("accepted by"),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invitations_revoked",
        verbose_name=_("revoked by"),
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                "organisation",
                Lower("email"),
                condition=models.Q(status="pending"),
                name="invitation_one_pending",
                violation_error_message=_(
                    "This person already has an open invitation for this organisation."
                ),
            ),
        ]
        indexes = [
            models.Index(
                fields=["inviting_organisation", "-created_at"], name="invitation_inviter_idx"
            ),
        ]

    def __str__(self):
        return f"{self.email} → {self.organisation}"

    @property
    def full_name(self) -> str:
        given = self.first_name or self.initials
        return " ".join(p for p in (given, self.infix, self.last_name) if p) or self.email

    @property
    def is_expired(self) -> bool:
        return self.status == self.Status.PENDING and self.expires_at <= timezone.now()

    @property
    def display_status(self) -> str:
        """What the list shows: pending, waiting for confirmation, accepted, expired, revoked."""
        if self.is_expired:
            return str(_("Expired"))
        if self.status == self.Status.PENDING and self.sent_at is None:
            return str(_("Waiting for the helpdesk to confirm the organisation"))
        return str(self.get_status_display())


class StaffChange(models.Model):
    """Append-only record of who changed whose account, level, access or invitation."""

    class Action(models.TextChoices):
        ACCOUNT_REQUESTED = "account_requested", _("Account requested")
        LEVEL_CHANGE_REQUESTED = "level_change_requested", _("Level change requested")
        REQUEST_APPROVED = "request_approved", _("Request approved")
        REQUEST_REJECTED = "request_rejected", _("Request rejected")
        LEVEL_CHANGED = "level_changed", _("Level changed")
        ROLE_CHANGED = "role_changed", _("Role changed")
        MEMBERSHIP_CREATED = "membership_created", _("Membership created")
        MEMBERSHIP_ENDED = "membership_ended", _("Membership ended")
        ACCESS_GRANTED = "access_granted", _("Patient data access granted")
        ACCESS_REVOKED = "access_revoked", _("Patient data access revoked")
        INVITATION_CREATED = "invitation_created", _("Invitation created")
        INVITATION_SENT = "invitation_sent", _("Invitation sent")
        INVITATION_REVOKED = "invitation_revoked", _("Invitation revoked")
        INVITATION_ACCEPTED = "invitation_accepted", _("Invitation accepted")
        ORGANISATION_CONFIRMED = "organisation_confirmed", _("Organisation confirmed")
        USER_DEACTIVATED = "user_deactivated", _("Account deactivated")
        USER_REACTIVATED = "user_reactivated", _("Account reactivated")
        USER_CREATED = "user_created", _("Account created")
        SECOND_FACTOR_RESET = "second_factor_reset", _("Second factor reset")
        PASSWORD_RESET_SENT = "password_reset_sent", _("Password reset link sent")
        IMPORT_APPLIED = "import_applied", _("Network partner overview imported")

    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff_changes_made",
        verbose_name=_("who"),
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff_changes",
        verbose_name=_("whom"),
    )
    subject_email = models.EmailField(_("whom (e-mail)"), blank=True)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff_changes",
        verbose_name=_("organisation"),
    )
    action = models.CharField(_("what"), max_length=32, choices=Action.choices)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("staff change")
        verbose_name_plural = _("staff changes")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organisation", "-created_at"], name="staffchange_org_idx")]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_action_display()} {self.subject_email}"

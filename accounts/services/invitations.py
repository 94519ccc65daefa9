"""Invitations: a single-use, expiring link to join an organisation.

Only a SHA-256 hash of the token is stored; the token itself exists in the e-mail. Resending
issues a new token (the old link stops working) and a new expiry. Accepting is one
transaction on a locked row, so a link used twice at the same moment joins once.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.email import email_send
from accounts.levels import Role
from accounts.models import (
    Invitation,
    Membership,
    Organisation,
    OrganisationKind,
    StaffChange,
    User,
)
from accounts.services.staff import membership_add, staff_change_record
from accounts.staff_access import (
    can_invite_colleagues,
    can_invite_providers,
    invitable_organisations,
    require_helpdesk,
    require_inviter,
)
from core.site import site_url

A = StaffChange.Action


class InvitationUnusable(ValidationError):
    """The link is expired, used, revoked or unknown; ``code`` says which."""


def _token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, _hash(token)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_link(token: str) -> str:
    return site_url() + reverse("accounts:invitation-accept", args=[token])


def _expiry() -> datetime.datetime:
    return timezone.now() + datetime.timedelta(days=settings.INVITATION_VALID_DAYS)


def _send(invitation: Invitation, *, actor, token: str) -> None:
    invitation.sent_at = timezone.now()
    invitation.send_count += 1
    invitation.save(update_fields=["sent_at", "send_count", "token_hash", "expires_at"])
    email_send(
        to=[invitation.email],
        template="accounts/email/invitation",
        context={
            "invitation": invitation,
            "link": invitation_link(token),
            "valid_days": settings.INVITATION_VALID_DAYS,
        },
    )
    staff_change_record(
        actor=actor,
        action=A.INVITATION_SENT,
        subject_email=invitation.email,
        organisation=invitation.organisation,
        invitation=invitation.pk,
        times=invitation.send_count,
    )


@transaction.atomic
def invitation_issue(
    *,
    actor,
    organisation: Organisation,
    inviting_organisation: Organisation,
    source: str,
    email: str,
    invited_by=None,
    account_request=None,
    level: str = "",
    role: str = "",
    has_patient_data_access: bool = False,
    **names,
) -> Invitation:
    """Create an invitation and send it (once the organisation is confirmed)."""
    email = email.strip().lower()
    if Membership.objects.filter(
        organisation=organisation, user__email__iexact=email, is_active=True
    ).exists():
        raise ValidationError(
            {
                "email": _("This person already works at %(org)s in Regiozorg.")
                % {"org": organisation.name}
            }
        )
    if Invitation.objects.pending().filter(organisation=organisation, email__iexact=email).exists():
        raise ValidationError(
            {"email": _("This person already has an open invitation for this organisation.")}
        )
    token, token_hash = _token()
    invitation = Invitation(
        organisation=organisation,
        inviting_organisation=inviting_organisation,
        invited_by=invited_by,
        source=source,
        account_request=account_request,
        email=email,
        level=level,
        role=role,
        has_patient_data_access=has_patient_data_access,
        token_hash=token_hash,
        expires_at=_expiry(),
        **{k: (v or "").strip() for k, v in names.items()},
    )
    invitation.full_clean(exclude=["token_hash"])
    try:
        with transaction.atomic():
            invitation.save()
    except IntegrityError:
        raise ValidationError(
            {"email": _("This person already has an open invitation for this organisation.")}
        ) from None
    staff_change_record(
        actor=actor,
        action=A.INVITATION_CREATED,
        subject_email=email,
        organisation=organisation,
        invitation=invitation.pk,
        source=source,
    )
    if organisation.is_active:
        _send(invitation, actor=actor, token=token)
    return invitation


@transaction.atomic
def invitation_create(
    *,
    inviter: Membership,
    email: str,
    first_name: str = "",
    infix: str = "",
    last_name: str = "",
    organisation: Organisation | None = None,
    new_organisation_name: str = "",
    new_organisation_kind: str = "",
) -> Invitation:
    """A practice invites a network partner's provider; a lead provider invites a colleague.

    A practice may propose a new organisation: it stays inactive, and the invitation unsent,
    until the helpdesk confirms it.
    """
    own = require_inviter(inviter)
    if can_invite_providers(inviter):
        source = Invitation.Source.PRACTICE
        if organisation is None:
            name = new_organisation_name.strip()
            if not name or new_organisation_kind not in OrganisationKind.values:
                raise ValidationError(
                    {
                        "organisation": _(
                            "Choose an organisation, or give the name and kind of a new one."
                        )
                    }
                )
            organisation = Organisation(
                name=name, kind=new_organisation_kind, is_active=False, proposed_by=inviter.user
            )
            organisation.full_clean()
            organisation.save()
        elif not invitable_organisations(inviter).filter(pk=organisation.pk).exists():
            raise ValidationError(
                {"organisation": _("You cannot invite people into this organisation.")}
            )
    elif can_invite_colleagues(inviter):
        source = Invitation.Source.COLLEAGUE
        organisation = own
    else:  # pragma: no cover - require_inviter already refused
        raise PermissionDenied
    return invitation_issue(
        actor=inviter.user,
        organisation=organisation,
        inviting_organisation=own,
        invited_by=inviter.user,
        source=source,
        email=email,
        first_name=first_name,
        infix=infix,
        last_name=last_name,
        role=Role.PROVIDER,
        # A partner sees a patient only through the care network; the flag lets them.
        has_patient_data_access=True,
    )


@transaction.atomic
def invitation_resend(*, actor, invitation: Invitation) -> Invitation:
    """New link and 14 more days; the old link stops working. Also for an expired one."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != Invitation.Status.PENDING:
        raise ValidationError(_("Only an open invitation can be sent again."))
    if not invitation.organisation.is_active:
        raise ValidationError(_("The helpdesk has not yet confirmed this organisation."))
    token, invitation.token_hash = _token()
    invitation.expires_at = _expiry()
    _send(invitation, actor=actor, token=token)
    return invitation


@transaction.atomic
def invitation_revoke(*, actor, invitation: Invitation) -> Invitation:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != Invitation.Status.PENDING:
        raise ValidationError(_("Only an open invitation can be revoked."))
    invitation.status = Invitation.Status.REVOKED
    invitation.revoked_at = timezone.now()
    invitation.revoked_by = actor
    invitation.save(update_fields=["status", "revoked_at", "revoked_by"])
    staff_change_record(
        actor=actor,
        action=A.INVITATION_REVOKED,
        subject_email=invitation.email,
        organisation=invitation.organisation,
        invitation=invitation.pk,
    )
    return invitation


def invitation_for_token(token: str) -> Invitation:
    """The invitation behind a link, if it can still be used; otherwise InvitationUnusable."""
    invitation = (
        Invitation.objects.select_related("organisation", "inviting_organisation", "invited_by")
        .filter(token_hash=_hash(token or ""))
        .first()
    )
    if invitation is None:
        raise InvitationUnusable(_("This invitation link is not valid."), code="unknown")
    if invitation.status == Invitation.Status.ACCEPTED:
        raise InvitationUnusable(
            _("This invitation has already been used. Log in with your e-mail address."),
            code="used",
        )
    if invitation.status == Invitation.Status.REVOKED:
        raise InvitationUnusable(_("This invitation has been withdrawn."), code="revoked")
    if invitation.is_expired:
        raise InvitationUnusable(
            _("This invitation has expired. Ask the person who invited you to send it again."),
            code="expired",
        )
    if not invitation.organisation.is_active:
        raise InvitationUnusable(_("This organisation is not yet active."), code="inactive")
    return invitation


@transaction.atomic
def invitation_accept(
    *,
    token: str,
    user: User | None = None,
    first_name: str = "",
    infix: str = "",
    last_name: str = "",
    password: str = "",
) -> User:
    """Join the organisation: a new account (names + password), or an existing one (logged in).

    Single use: the invitation row is locked and must still be usable inside the transaction.
    """
    invitation = invitation_for_token(token)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    invitation_for_token(token)  # re-check under the lock
    existing = User.objects.filter(email__iexact=invitation.email).first()
    if existing is not None:
        if user is None or user.pk != existing.pk:
            raise PermissionDenied
        account = existing
    else:
        account = User(
            email=invitation.email,
            initials=invitation.initials or (first_name.strip()[:1] + "." if first_name else ""),
            first_name=first_name.strip(),
            infix=infix.strip(),
            last_name=last_name.strip(),
            agb_code=invitation.agb_code,
            mobile=invitation.mobile,
        )
        try:
            validate_password(password, user=account)
        except ValidationError as exc:
            raise ValidationError({"password1": exc.messages}) from None
        account.set_password(password)
        account.full_clean(exclude=["password"])
        account.save()
    membership_add(
        actor=account,
        user=account,
        organisation=invitation.organisation,
        level=invitation.level,
        role=invitation.role,
        has_patient_data_access=invitation.has_patient_data_access,
        notify=False,
    )
    invitation.status = Invitation.Status.ACCEPTED
    invitation.accepted_at = timezone.now()
    invitation.accepted_user = account
    invitation.save(update_fields=["status", "accepted_at", "accepted_user"])
    staff_change_record(
        actor=account,
        action=A.INVITATION_ACCEPTED,
        subject=account,
        organisation=invitation.organisation,
        invitation=invitation.pk,
    )
    return account


@transaction.atomic
def organisation_confirm(*, helpdesk_user: User, organisation: Organisation) -> int:
    """Confirm an organisation a practice proposed; send the invitations that waited for it."""
    require_helpdesk(helpdesk_user, "accounts.change_organisation")
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if organisation.confirmed_at is None:
        organisation.confirmed_at = timezone.now()
    organisation.is_active = True
    organisation.full_clean()
    organisation.save()
    staff_change_record(
        actor=helpdesk_user, action=A.ORGANISATION_CONFIRMED, organisation=organisation
    )
    waiting = Invitation.objects.pending().filter(organisation=organisation, sent_at__isnull=True)
    sent = 0
    for invitation in waiting.select_for_update():
        token, invitation.token_hash = _token()
        invitation.expires_at = _expiry()
        _send(invitation, actor=helpdesk_user, token=token)
        sent += 1
    return sent

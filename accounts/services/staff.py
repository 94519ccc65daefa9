"""Staff management: account requests, levels, patient-data access, deactivation.

Every function checks the one access rule (``accounts.staff_access``) itself, records what
changed in ``StaffChange`` (who, whom, what, when) and sends its e-mails after commit.
"""

from __future__ import annotations

from allauth.usersessions.models import UserSession
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.email import email_send
from accounts.levels import Level
from accounts.models import AccountRequest, Invitation, Membership, StaffChange, User
from accounts.signals import rights_changed_send, session_ended_send
from accounts.staff_access import (
    require_account_keeper,
    require_helpdesk,
    require_membership_keeper,
    require_staff_manager,
)

A = StaffChange.Action


def staff_change_record(
    *, actor, action: str, subject=None, subject_email: str = "", organisation=None, **details
) -> StaffChange:
    return StaffChange.objects.create(
        actor=actor,
        action=action,
        subject=subject,
        subject_email=subject_email or (subject.email if subject else ""),
        organisation=organisation,
        details=details,
    )


def sessions_end(user: User) -> int:
    """Log ``user`` out everywhere, at once: open websockets of theirs close after commit."""
    sessions = list(UserSession.objects.filter(user=user))
    for session in sessions:
        session.end()
    session_ended_send(user_id=user.pk)
    return len(sessions)


def _request_save(request: AccountRequest) -> None:
    """Validate and save; a second identical request that slipped past validation at the same
    moment (a double click) meets the unique constraint and gets the same clear message."""
    request.full_clean()
    try:
        with transaction.atomic():
            request.save()
    except IntegrityError:
        # The message of the ``account_request_one_pending`` constraint.
        raise ValidationError(_("A request for this e-mail address is already waiting.")) from None


def _clean_level(level: str) -> str:
    if level not in Level.values:
        raise ValidationError({"level": _("Choose a level from the list.")})
    return level


@transaction.atomic
def account_request_create(
    *,
    manager: Membership,
    initials: str,
    last_name: str,
    email: str,
    level: str,
    infix: str = "",
    agb_code: str = "",
    mobile: str = "",
    remarks: str = "",
) -> AccountRequest:
    """A level-A user asks the helpdesk for a colleague's account. Waits for approval."""
    practice = require_staff_manager(manager)
    email = email.strip().lower()
    if Membership.objects.filter(
        organisation=practice, user__email__iexact=email, is_active=True
    ).exists():
        raise ValidationError({"email": _("This person already has an account at your practice.")})
    if Invitation.objects.pending().filter(organisation=practice, email__iexact=email).exists():
        raise ValidationError(
            {"email": _("This person already has an open invitation for this organisation.")}
        )
    request = AccountRequest(
        organisation=practice,
        kind=AccountRequest.Kind.NEW_ACCOUNT,
        requested_by=manager.user,
        initials=initials.strip(),
        infix=infix.strip(),
        last_name=last_name.strip(),
        agb_code=agb_code.strip(),
        email=email,
        mobile=mobile.strip(),
        level=_clean_level(level),
        remarks=remarks.strip(),
    )
    _request_save(request)
    staff_change_record(
        actor=manager.user,
        action=A.ACCOUNT_REQUESTED,
        subject_email=email,
        organisation=practice,
        level=level,
        request=request.pk,
    )
    return request


@transaction.atomic
def level_change_request_create(
    *, manager: Membership, membership: Membership, level: str, remarks: str = ""
) -> AccountRequest:
    """Ask the helpdesk to give a colleague another level (e.g. "Rol A wijziging")."""
    practice = require_staff_manager(manager)
    if membership.organisation_id != practice.pk:
        raise Http404
    if _clean_level(level) == membership.level:
        raise ValidationError({"level": _("This colleague already has this level.")})
    user = membership.user
    request = AccountRequest(
        organisation=practice,
        kind=AccountRequest.Kind.LEVEL_CHANGE,
        requested_by=manager.user,
        target_membership=membership,
        initials=user.initials or user.first_name[:1],
        infix=user.infix,
        last_name=user.last_name,
        agb_code=user.agb_code,
        email=user.email,
        mobile=user.mobile,
        level=level,
        remarks=remarks.strip(),
    )
    _request_save(request)
    staff_change_record(
        actor=manager.user,
        action=A.LEVEL_CHANGE_REQUESTED,
        subject=user,
        organisation=practice,
        before=membership.level,
        after=level,
        request=request.pk,
    )
    return request


def _request_outcome_mail(request: AccountRequest) -> None:
    email_send(
        to=[request.requested_by.email],
        template="accounts/email/account_request_outcome",
        context={"request": request},
        language=request.requested_by.language,
    )


@transaction.atomic
def account_request_approve(*, helpdesk_user: User, account_request: AccountRequest):
    """Approve: create the invitation (or the membership for an existing user) or change the
    level; tell the requester. Idempotent against double clicks: only a pending request moves.
    """
    require_helpdesk(helpdesk_user, "accounts.change_accountrequest")
    request = AccountRequest.objects.select_for_update().get(pk=account_request.pk)
    if request.status != AccountRequest.Status.PENDING:
        raise ValidationError(_("This request has already been decided."))
    practice = request.organisation
    result = None
    if request.kind == AccountRequest.Kind.LEVEL_CHANGE:
        membership = request.target_membership
        result = membership_update(actor=helpdesk_user, membership=membership, level=request.level)
    else:
        existing = User.objects.filter(email__iexact=request.email).first()
        if existing is not None and not existing.is_active:
            raise ValidationError(
                _("This account has been deactivated. Reactivate it first, then approve again.")
            )
        if existing is not None:
            result = membership_add(
                actor=helpdesk_user, user=existing, organisation=practice, level=request.level
            )
        else:
            from accounts.services.invitations import invitation_issue

            result = invitation_issue(
                actor=helpdesk_user,
                organisation=practice,
                inviting_organisation=practice,
                invited_by=request.requested_by,
                source=Invitation.Source.ACCOUNT_REQUEST,
                account_request=request,
                email=request.email,
                initials=request.initials,
                infix=request.infix,
                last_name=request.last_name,
                agb_code=request.agb_code,
                mobile=request.mobile,
                level=request.level,
            )
    request.status = AccountRequest.Status.APPROVED
    request.decided_by = helpdesk_user
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_by", "decided_at"])
    staff_change_record(
        actor=helpdesk_user,
        action=A.REQUEST_APPROVED,
        subject_email=request.email,
        organisation=practice,
        request=request.pk,
        kind=request.kind,
    )
    _request_outcome_mail(request)
    return result


@transaction.atomic
def account_request_reject(
    *, helpdesk_user: User, account_request: AccountRequest, reason: str
) -> AccountRequest:
    require_helpdesk(helpdesk_user, "accounts.change_accountrequest")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"rejection_reason": _("Give a reason; the requester reads it.")})
    request = AccountRequest.objects.select_for_update().get(pk=account_request.pk)
    if request.status != AccountRequest.Status.PENDING:
        raise ValidationError(_("This request has already been decided."))
    request.status = AccountRequest.Status.REJECTED
    request.rejection_reason = reason
    request.decided_by = helpdesk_user
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "rejection_reason", "decided_by", "decided_at"])
    staff_change_record(
        actor=helpdesk_user,
        action=A.REQUEST_REJECTED,
        subject_email=request.email,
        organisation=request.organisation,
        request=request.pk,
        reason=reason,
    )
    _request_outcome_mail(request)
    return request


@transaction.atomic
def membership_add(
    *,
    actor,
    user: User,
    organisation,
    level: str = "",
    role: str = "",
    has_patient_data_access: bool = False,
    notify: bool = True,
) -> Membership:
    """Add (or re-activate) ``user``'s membership of ``organisation``; idempotent.

    Never for the helpdesk itself or another helpdesk account (``require_membership_keeper``):
    this is the one door of account-request approval, the partner import and invitations.
    """
    require_membership_keeper(actor, user)
    membership, created = Membership.objects.get_or_create(
        user=user,
        organisation=organisation,
        defaults={"level": level, "role": role, "has_patient_data_access": has_patient_data_access},
    )
    if not created and membership.is_active:
        return membership
    if not created:
        membership.is_active = True
        membership.level, membership.role = level, role
        membership.has_patient_data_access = has_patient_data_access
    membership.full_clean()
    membership.save()
    staff_change_record(
        actor=actor,
        action=A.MEMBERSHIP_CREATED,
        subject=user,
        organisation=organisation,
        level=level,
        role=role,
        patient_data_access=has_patient_data_access,
    )
    if notify:
        email_send(
            to=[user.email],
            template="accounts/email/membership_added",
            context={"user": user, "membership": membership},
            language=user.language,
        )
    return membership


@transaction.atomic
def membership_create(*, actor, membership: Membership) -> Membership:
    """Save a new membership the helpdesk filled in on an admin form, recorded.

    Takes the unsaved instance because the admin saves the form's teams onto that very object
    afterwards. It always starts without patient-data access (that is level A's to tick, in the
    product) and never belongs to the helpdesk itself or another helpdesk account.
    """
    require_helpdesk(actor, "accounts.add_membership")
    require_membership_keeper(actor, membership.user)
    membership.has_patient_data_access = False
    membership.full_clean()
    membership.save()
    staff_change_record(
        actor=actor,
        action=A.MEMBERSHIP_CREATED,
        subject=membership.user,
        organisation=membership.organisation,
        level=membership.level,
        role=membership.role,
        patient_data_access=False,
    )
    rights_changed_send(user_ids=[membership.user_id])
    return membership


@transaction.atomic
def membership_update(
    *,
    actor,
    membership: Membership,
    level=None,
    role=None,
    is_active=None,
) -> Membership:
    """Change a level, role or whether the membership is active (helpdesk), recorded.

    Staff never change their own memberships or another staff account's, except to end one
    (``require_membership_keeper``). Patient-data access is not changed here: only level A of
    the practice ticks it, in the product (:func:`patient_data_access_set`).
    """
    only_ends = is_active is False and level is None and role is None
    if not only_ends:
        require_membership_keeper(actor, membership.user)
    changes = {}
    for field, value, action in (
        ("level", level, A.LEVEL_CHANGED),
        ("role", role, A.ROLE_CHANGED),
        ("is_active", is_active, A.MEMBERSHIP_ENDED),
    ):
        before = getattr(membership, field)
        if value is None or value == before:
            continue
        setattr(membership, field, value)
        changes[field] = (action, before, value)
    if not changes:
        return membership
    membership.full_clean()
    membership.save()
    for _field, (action, before, after) in changes.items():
        if action == A.MEMBERSHIP_ENDED and after:
            action = A.MEMBERSHIP_CREATED
        staff_change_record(
            actor=actor,
            action=action,
            subject=membership.user,
            organisation=membership.organisation,
            before=before,
            after=after,
        )
    rights_changed_send(user_ids=[membership.user_id])
    return membership


def _other_keeper_exists(membership: Membership) -> bool:
    """Another active level-A member of the practice, with patient-data access."""
    return (
        Membership.objects.filter(
            organisation_id=membership.organisation_id,
            level=Level.A,
            is_active=True,
            has_patient_data_access=True,
            user__is_active=True,
        )
        .exclude(user_id=membership.user_id)
        .exists()
    )


@transaction.atomic
def patient_data_access_set(
    *, manager: Membership, membership: Membership, granted: bool
) -> Membership:
    """Only level A of the same practice ticks "toegang tot patiëntdata".

    On grant the colleague's sessions end: they log in again and must set up a second factor
    (the secure session) before any patient data. On revoke every request reads the flag afresh,
    so it takes effect at their next request; their open websockets are told after commit
    (``rights_changed``) and close.
    """
    practice = require_staff_manager(manager)
    if membership.organisation_id != practice.pk:
        raise Http404
    # The helpdesk never decides who sees patients, not even holding a level-A membership, and
    # a helpdesk account never gets the access.
    if manager.user.is_staff or (granted and membership.user.is_staff):
        raise PermissionDenied
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.has_patient_data_access == granted:
        return membership
    if granted and membership.user_id == manager.user_id and _other_keeper_exists(membership):
        # Four eyes: whoever the helpdesk made level A of a practice cannot open its patients
        # alone while the practice has someone who decides that.
        raise ValidationError(
            _(
                "Access to patient data for yourself is granted by another level A colleague "
                "of your practice who has that access."
            ),
            code="self_grant",
        )
    membership.has_patient_data_access = granted
    membership.save(update_fields=["has_patient_data_access"])
    staff_change_record(
        actor=manager.user,
        action=A.ACCESS_GRANTED if granted else A.ACCESS_REVOKED,
        subject=membership.user,
        organisation=practice,
    )
    rights_changed_send(user_ids=[membership.user_id])
    if granted:
        if membership.user_id != manager.user_id:
            sessions_end(membership.user)
        email_send(
            to=[membership.user.email],
            template="accounts/email/access_granted",
            context={"user": membership.user, "membership": membership},
            language=membership.user.language,
        )
    return membership


@transaction.atomic
def user_deactivate(*, actor: User, user: User, reason: str = "") -> User:
    """The helpdesk ends an account: no more logins, sessions end now, history stays."""
    require_account_keeper(actor, user)
    if not user.is_active:
        return user
    user.is_active = False
    user.save(update_fields=["is_active"])
    ended = sessions_end(user)
    staff_change_record(
        actor=actor, action=A.USER_DEACTIVATED, subject=user, reason=reason, sessions_ended=ended
    )
    return user


@transaction.atomic
def user_reactivate(*, actor: User, user: User) -> User:
    require_account_keeper(actor, user)
    if user.is_active:
        return user
    user.is_active = True
    user.save(update_fields=["is_active"])
    staff_change_record(actor=actor, action=A.USER_REACTIVATED, subject=user)
    return user

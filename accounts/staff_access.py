"""The one access rule for staff management and invitations.

Who may manage a practice's staff, who may invite whom, and which staff, requests and
invitations they can reach. Views and services ask here; nothing else decides it.

* Acting without the capability in the active organisation → 403 (``PermissionDenied``):
  the user knows the screen exists but it is not theirs.
* Reaching for an object outside the active organisation → 404, the same answer as for an
  object that does not exist ("not yours" is not revealed).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.levels import Capability
from accounts.models import Invitation, Membership, Organisation, OrganisationKind

# Organisations a practice may invite people into: its network partners.
PARTNER_KINDS = tuple(
    kind
    for kind in OrganisationKind.values
    if kind not in (OrganisationKind.GP_PRACTICE, OrganisationKind.CARE_GROUP)
)


def can_manage_staff(membership: Membership | None) -> bool:
    return (
        membership is not None
        and membership.organisation.is_gp_practice
        and membership.can(Capability.MANAGE_STAFF)
    )


def can_invite_providers(membership: Membership | None) -> bool:
    """Practice staff inviting a provider of a network organisation."""
    return (
        membership is not None
        and membership.organisation.is_gp_practice
        and membership.can(Capability.INVITE_PROVIDERS)
    )


def can_invite_colleagues(membership: Membership | None) -> bool:
    """A lead provider (Hoofdzorgverlener) inviting a colleague of their own organisation."""
    return membership is not None and membership.can(Capability.INVITE_COLLEAGUES)


def can_invite(membership: Membership | None) -> bool:
    return can_invite_providers(membership) or can_invite_colleagues(membership)


def require_staff_manager(membership: Membership | None) -> Organisation:
    """The practice whose staff ``membership`` may manage, or 403."""
    if not can_manage_staff(membership):
        raise PermissionDenied
    return membership.organisation


def require_inviter(membership: Membership | None) -> Organisation:
    if not can_invite(membership):
        raise PermissionDenied
    return membership.organisation


def staff_memberships_of(organisation: Organisation) -> QuerySet[Membership]:
    return Membership.objects.filter(organisation=organisation)


def staff_membership_get(*, manager: Membership | None, pk) -> Membership:
    """An active membership of the manager's own practice; 403 without the right, else 404.

    Ended memberships and deactivated people are history: nothing about them can be changed
    from the practice (the helpdesk reactivates, if needed).
    """
    organisation = require_staff_manager(manager)
    try:
        return (
            staff_memberships_of(organisation)
            .filter(is_active=True, user__is_active=True)
            .select_related("user", "organisation")
            .get(pk=pk)
        )
    except (Membership.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def invitations_visible_to(membership: Membership | None) -> QuerySet[Invitation]:
    """Invitations sent from the inviter's organisation (by anyone there or on its behalf)."""
    organisation = require_inviter(membership)
    return Invitation.objects.filter(inviting_organisation=organisation)


def invitation_get(*, membership: Membership | None, pk) -> Invitation:
    try:
        return invitations_visible_to(membership).select_related("organisation").get(pk=pk)
    except (Invitation.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def invitable_organisations(membership: Membership | None) -> QuerySet[Organisation]:
    """Where this inviter may invite people into."""
    if can_invite_providers(membership):
        return Organisation.objects.filter(is_active=True, kind__in=PARTNER_KINDS)
    if can_invite_colleagues(membership):
        return Organisation.objects.filter(pk=membership.organisation_id)
    raise PermissionDenied


def require_helpdesk(user, permission: str) -> None:
    """Helpdesk actions: an active staff user holding the model permission."""
    if not (user.is_active and user.is_staff and user.has_perm(permission)):
        raise PermissionDenied


def require_account_keeper(actor, user) -> None:
    """Deactivating or reactivating ``user``'s account: the helpdesk, never on itself, and only
    a superuser on a superuser (locking one out is as much a take-over as changing it)."""
    require_helpdesk(actor, "accounts.change_user")
    if user.pk == actor.pk or (user.is_superuser and not actor.is_superuser):
        raise PermissionDenied


def may_keep_memberships_of(actor, user) -> bool:
    """Whether ``actor`` may create or change ``user``'s memberships at all.

    Helpdesk staff act through the admin, not through a membership: whoever is staff never gives
    a place in an organisation (a level, a role, the step to patient data) to themselves or to
    another staff account. Everyone else (a level A in the product, someone accepting an
    invitation) is checked by the capability rules above.
    """
    if actor is None or not actor.is_staff:
        return True
    return user.pk != actor.pk and not user.is_staff


def require_membership_keeper(actor, user) -> None:
    if not may_keep_memberships_of(actor, user):
        raise ValidationError(
            _(
                "%(email)s is a helpdesk account: the helpdesk gives no place in an organisation "
                "to itself or to another helpdesk account."
            )
            % {"email": user.email},
            code="helpdesk_membership",
        )

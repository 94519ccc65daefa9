"""Reads for staff management and invitations; callers pass what the access rule returned."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import AccountRequest, Invitation, Membership, Organisation


def staff_of(practice: Organisation) -> QuerySet[Membership]:
    """Everyone who works or worked at the practice: active first, then by name."""
    return (
        Membership.objects.filter(organisation=practice)
        .select_related("user")
        .order_by("-is_active", "-user__is_active", "user__last_name", "user__first_name", "pk")
    )


def account_requests_of(practice: Organisation) -> QuerySet[AccountRequest]:
    return AccountRequest.objects.filter(organisation=practice).select_related(
        "requested_by", "decided_by"
    )


def staff_invitations_of(practice: Organisation) -> QuerySet[Invitation]:
    """Open invitations for the practice's own staff (from approved account requests)."""
    return Invitation.objects.pending().filter(organisation=practice).order_by("-created_at")


def invitations_list(invitations: QuerySet[Invitation]) -> QuerySet[Invitation]:
    return invitations.select_related("organisation", "invited_by").order_by("-created_at", "-pk")

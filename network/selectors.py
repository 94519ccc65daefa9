from __future__ import annotations

from network.models import Membership

ACTIVE_ORGANISATION_SESSION_KEY = "active_organisation_id"


def memberships_for(*, user) -> list[Membership]:
    """The user's active memberships, with their organisations (one query)."""
    if not user.is_authenticated:
        return []
    return list(
        Membership.objects.active()
        .filter(user=user)
        .select_related("organisation")
        .order_by("organisation__name")
    )


def membership_active(*, memberships: list[Membership], organisation_id) -> Membership | None:
    """The membership the user works in now: the chosen one if still valid, else the first."""
    for membership in memberships:
        if membership.organisation_id == organisation_id:
            return membership
    return memberships[0] if memberships else None

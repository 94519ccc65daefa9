"""Writes about the organisations a user works for: which one this session acts for."""

from __future__ import annotations

from django.http import Http404

from accounts.models import Membership
from accounts.selectors import ACTIVE_ORGANISATION_SESSION_KEY


def active_organisation_switch(
    *, session, memberships: list[Membership], organisation_id
) -> Membership:
    """Make ``organisation_id`` the active organisation of this session.

    Only an organisation the user is an active member of can be chosen; anything else is a 404,
    the same answer as for an organisation that does not exist.
    """
    for membership in memberships:
        if str(membership.organisation_id) == str(organisation_id):
            session[ACTIVE_ORGANISATION_SESSION_KEY] = membership.organisation_id
            return membership
    raise Http404

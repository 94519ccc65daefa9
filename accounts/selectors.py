"""Reads for accounts: the user's memberships, colleague search, an organisation's colleagues."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import Membership, PushSubscription, User
from accounts.presence import with_presence

MAX_SEARCH_TERMS = 5

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


def _with_memberships(users: QuerySet) -> QuerySet:
    return users.prefetch_related(
        Prefetch(
            "memberships",
            queryset=Membership.objects.active().select_related("organisation"),
            to_attr="active_memberships",
        )
    )


def colleague_search(*, query: str) -> QuerySet[User]:
    """Active providers whose first name, surname or organisation matches every search word.

    One row per person (no join fan-out), with memberships and today's absences prefetched so
    a page of results costs a fixed number of queries.
    """
    active_members = Membership.objects.active().values("user_id")
    users = User.objects.filter(is_active=True, pk__in=active_members)
    for term in query.split()[:MAX_SEARCH_TERMS]:
        in_organisation = (
            Membership.objects.active().filter(organisation__name__icontains=term).values("user_id")
        )
        users = users.filter(
            Q(first_name__icontains=term)
            | Q(last_name__icontains=term)
            | Q(initials__iexact=term)
            | Q(pk__in=in_organisation)
        )
    return with_presence(_with_memberships(users.order_by("last_name", "first_name", "pk")))


def colleagues_in(*, organisation) -> QuerySet[User]:
    """Active people of one organisation, with presence."""
    members = Membership.objects.active().filter(organisation=organisation).values("user_id")
    users = User.objects.filter(is_active=True, pk__in=members).order_by("last_name", "first_name")
    return with_presence(_with_memberships(users))


def colleagues_absent_today(*, organisation, exclude_user=None) -> QuerySet[User]:
    """Active people of one organisation with an absence today, each with their
    ``current_absences`` (prefetched), by name."""
    today = timezone.localdate()
    users = colleagues_in(organisation=organisation).filter(
        absences__start__lte=today, absences__end__gte=today
    )
    if exclude_user is not None:
        users = users.exclude(pk=exclude_user.pk)
    return users.distinct()


def push_subscriptions_for(*, user) -> list[PushSubscription]:
    """The devices on which ``user`` switched notifications on, newest first."""
    return list(PushSubscription.objects.filter(user=user).order_by("-created_at"))

"""Is a provider reachable today? Shown next to every name (absence / not a working day)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from accounts.models import Absence

AVAILABLE = "available"
ABSENT = "absent"
DAY_OFF = "day_off"


@dataclass(frozen=True)
class Presence:
    status: str
    until: datetime.date | None = None
    message: str = ""

    @property
    def is_available(self) -> bool:
        return self.status == AVAILABLE


def with_presence(users: QuerySet, *, today: datetime.date | None = None) -> QuerySet:
    """Prefetch today's absences so :func:`presence_of` needs no query per user."""
    today = today or timezone.localdate()
    return users.prefetch_related(
        Prefetch(
            "absences",
            queryset=Absence.objects.filter(start__lte=today, end__gte=today),
            to_attr="current_absences",
        )
    )


def presence_of(user, *, today: datetime.date | None = None) -> Presence:
    today = today or timezone.localdate()
    absences = getattr(user, "current_absences", None)
    if absences is None:
        absences = list(user.absences.filter(start__lte=today, end__gte=today))
    if absences:
        longest = max(absences, key=lambda absence: absence.end)
        return Presence(ABSENT, until=longest.end, message=longest.message)
    if not user.works_on(today):
        return Presence(DAY_OFF)
    return Presence(AVAILABLE)

"""Is a provider reachable today? Shown next to every name (absence / not a working day)."""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from accounts.models import Absence

logger = logging.getLogger(__name__)

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


def absences_today_prefetch(path: str = "user__absences", *, today=None) -> Prefetch:
    """Prefetch for rows that point at a user (``path``): the marker then needs no query."""
    today = today or timezone.localdate()
    return Prefetch(
        path,
        queryset=Absence.objects.filter(start__lte=today, end__gte=today),
        to_attr="current_absences",
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


# --- Online presence: who has Regiozorg open right now --------------------------------------
# Each open page's websocket touches a cache key on connect and on every ping (30 s); the key
# lives 75 s, so a closed laptop drops out within a minute and a half. Redis in production, so
# every Daphne process sees the same answer.

ONLINE = "online"
AWAY = "away"
OFFLINE = "offline"
_ONLINE_TTL = 75


def _online_key(user_id: int) -> str:
    return f"presence:{user_id}"


def online_touch(user_id: int, *, away: bool = False) -> None:
    from django.core.cache import cache

    try:
        cache.set(_online_key(user_id), AWAY if away else ONLINE, _ONLINE_TTL)
    except Exception:
        logger.warning("presence not stored for user %s", user_id, exc_info=True)


async def online_atouch(user_id: int, *, away: bool = False) -> None:
    """``online_touch`` for a socket's event loop: no thread hop, and while Redis answers no
    database either (``accounts.cache.FailoverCache.aset``)."""
    from django.core.cache import cache

    try:
        await cache.aset(_online_key(user_id), AWAY if away else ONLINE, _ONLINE_TTL)
    except Exception:
        logger.warning("presence not stored for user %s", user_id, exc_info=True)


async def online_atouch_many(states: dict[int, bool]) -> None:
    """``online_atouch`` for many users (user id -> away) in one Redis round trip."""
    from django.core.cache import cache

    try:
        await cache.aset_many(
            {_online_key(user_id): AWAY if away else ONLINE for user_id, away in states.items()},
            _ONLINE_TTL,
        )
    except Exception:
        logger.warning("presence not stored for %d users", len(states), exc_info=True)


def online_states(user_ids) -> dict[int, str]:
    """online / away / offline per user, in one cache round trip."""
    from django.core.cache import cache

    ids = list(user_ids)
    try:
        found = cache.get_many([_online_key(i) for i in ids])
    except Exception:
        logger.warning("presence unavailable", exc_info=True)
        found = {}
    return {i: found.get(_online_key(i), OFFLINE) for i in ids}


def mail_worthy(user_ids, *, preference: str) -> list:
    """Of ``user_ids``: the active users who want mail of this kind (``preference`` is a
    ``notify_*`` field), are not online now, and are working today — or chose mail during
    absence and days off too. Callers still check that each may open what the mail links to."""
    from accounts.models import User

    ids = set(user_ids)
    if not ids:
        return []
    online = online_states(ids)
    people = with_presence(User.objects.filter(pk__in=ids, is_active=True, **{preference: True}))
    return [
        person
        for person in people
        if online.get(person.pk) == OFFLINE
        and (presence_of(person).is_available or person.notify_when_away)
    ]

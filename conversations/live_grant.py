"""What a live socket may do now: the session and rights it acts on (``LiveConsumer`` in
``conversations.consumers`` looks again every ``RECHECK_SECONDS`` and when told to), and the
fingerprint of what that grant was read from (``fingerprints``), which a process's ``RightsWatch``
compares for all its sockets at once."""

from __future__ import annotations

import time
from dataclasses import dataclass
from importlib import import_module
from types import SimpleNamespace

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth import (
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    get_user_model,
    load_backend,
)
from django.core.exceptions import ValidationError
from django.utils.crypto import constant_time_compare

from accounts.client_ip import client_ip_from_scope
from accounts.mfa_policy import has_second_factor, second_factor_required
from accounts.middleware import session_ends_at
from accounts.models import Membership
from accounts.secure_session import secure_session_active
from accounts.selectors import ACTIVE_ORGANISATION_SESSION_KEY, membership_active, memberships_for
from conversations.access import conversations_visible_to
from network.access import Actor


@dataclass(frozen=True)
class Grant:
    """What a socket may do now: who acts for which organisation, the session it read that
    from, when that session ends by its clocks, and the rights it compares later checks with."""

    actor: Actor
    session: object
    ends_at: float
    rights: tuple


def grant_for(scope, session, user) -> Grant | None:
    """The socket's grant for this session and user, or None when the session is over or the
    user may not be here (the same rules as the middleware for pages)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    ends_at = session_ends_at(session)
    if ends_at <= time.time():
        return None
    memberships = memberships_for(user=user)
    if second_factor_required(user=user, memberships=memberships) and not has_second_factor(user):
        return None  # the same policy as RequireSecondFactorMiddleware for pages
    membership = membership_active(
        memberships=memberships,
        organisation_id=session.get(ACTIVE_ORGANISATION_SESSION_KEY),
    )
    headers = dict(scope.get("headers") or [])
    actor = Actor(
        user=user,
        membership=membership,
        ip_address=client_ip_from_scope(scope),
        user_agent=headers.get(b"user-agent", b"").decode("latin-1")[:300],
        request_id="websocket",
    )
    rights = (
        user.pk,
        user.is_staff,
        user.is_superuser,
        membership.pk if membership else None,
        tuple(
            sorted(
                (m.pk, m.organisation_id, m.level, m.role, m.has_patient_data_access, m.acts_for_id)
                for m in memberships
            )
        ),
    )
    return Grant(actor=actor, session=session, ends_at=ends_at, rights=rights)


def session_user(session):
    """The session's user as ``django.contrib.auth.get_user`` finds it, without its side
    effects (a socket only reads its session; a page request flushes or cycles it)."""
    try:
        user_id = get_user_model()._meta.pk.to_python(session[SESSION_KEY])
        backend_path = session[BACKEND_SESSION_KEY]
    except (KeyError, ValidationError):
        return None
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return None
    user = load_backend(backend_path).get_user(user_id)
    if user is None or not constant_time_compare(
        session.get(HASH_SESSION_KEY) or "", user.get_session_auth_hash()
    ):
        return None  # deactivated, or the password changed since (other sessions end)
    return user


def grant_again(
    scope, session_key: str, user_id: int, subscribed: set[int], about_patients: set[int]
) -> tuple[Grant | None, set[int], tuple | None]:
    """Read the session afresh (a page request may have moved its idle clock on, a logout
    deleted it); with it the grant, which subscriptions are still visible, and the fingerprint
    of what the grant was read from. The fingerprint is read first: a change that lands between
    the two shows as a fingerprint that differs at the watch's next look, never as one missed."""
    fingerprint = fingerprints([(session_key, user_id)]).get((session_key, user_id))
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    grant = grant_for(scope, session, session_user(session))
    if grant is None or not subscribed:
        return grant, set(), fingerprint
    keep = still_visible(grant.actor, subscribed)
    if keep & about_patients and not secure_grant(grant):
        keep -= about_patients
    return grant, keep, fingerprint


USER_FIELDS = ("pk", "password", "is_active", "is_staff", "is_superuser", "is_demo_account")


def fingerprints(keys: list[tuple[str, int]]) -> dict[tuple[str, int], tuple]:
    """For (session key, user id) pairs: the rows a grant is read from — the session row, the
    user's rights fields and password hash, every membership with its organisation's state, the
    second factors — in four queries for any number of sockets. Equal fingerprints mean the
    grant would come out the same, so a socket may trust it a while longer; its visibility of
    conversations is looked at on the slower clock (``FULL_CHECK_SECONDS``) and when told to.
    Without a database session engine there is nothing to compare: no fingerprints."""
    engine = import_module(settings.SESSION_ENGINE).SessionStore
    if not keys or not hasattr(engine, "get_model_class"):
        return {}
    session_keys = {key for key, _user in keys}
    user_ids = {user for _key, user in keys}
    sessions = {
        row[0]: row
        for row in engine.get_model_class()
        .objects.filter(session_key__in=session_keys)
        .values_list("session_key", "session_data", "expire_date")
    }
    users = {
        row[0]: row
        for row in get_user_model().objects.filter(pk__in=user_ids).values_list(*USER_FIELDS)
    }
    memberships: dict[int, list] = {}
    fields = [f.attname for f in Membership._meta.concrete_fields]
    for row in (
        Membership.objects.filter(user_id__in=user_ids)
        .values_list("user_id", *fields, "organisation__is_active", "organisation__kind")
        .order_by("pk")
    ):
        memberships.setdefault(row[0], []).append(row)
    factors: dict[int, list] = {}
    for row in (
        Authenticator.objects.filter(user_id__in=user_ids)
        .values_list("user_id", "pk", "type")
        .order_by("pk")
    ):
        factors.setdefault(row[0], []).append(row)
    return {
        (key, user): (
            sessions.get(key),
            users.get(user),
            tuple(memberships.get(user, ())),
            tuple(factors.get(user, ())),
        )
        for key, user in keys
        if key in sessions
    }


def secure_grant(grant: Grant) -> bool:
    return secure_session_active(SimpleNamespace(session=grant.session, user=grant.actor.user))


def still_visible(actor: Actor, conversation_ids: set[int]) -> set[int]:
    return set(
        conversations_visible_to(actor).filter(pk__in=conversation_ids).values_list("pk", flat=True)
    )

"""Signals of the accounts floor.

Sent (after commit) for whoever keeps something open on behalf of a session or of someone's
rights — the live websockets (``conversations.apps``) listen; accounts never asks upward:

- ``session_ended``: ``user_id`` and ``session_key`` — that session is over (logout, ended from
  the sessions list); ``session_key=None``: every session of the user (``sessions_end``).
- ``rights_changed``: ``user_ids`` — a membership's level, role, activity or patient-data access
  changed; whatever they hold open must be authorised again.
"""

import time

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db import transaction
from django.dispatch import Signal, receiver

from accounts.middleware import LAST_ACTIVITY_KEY, SESSION_STARTED_KEY

session_ended = Signal()
rights_changed = Signal()


def session_ended_send(*, user_id: int, session_key: str | None = None) -> None:
    transaction.on_commit(
        lambda: session_ended.send(sender=None, user_id=user_id, session_key=session_key),
        robust=True,
    )


def rights_changed_send(*, user_ids) -> None:
    ids = sorted(set(user_ids))
    transaction.on_commit(lambda: rights_changed.send(sender=None, user_ids=ids), robust=True)


@receiver(user_logged_in, dispatch_uid="accounts_session_clock")
def start_session_clock(sender, request, user, **kwargs):
    """The absolute session lifetime counts from login."""
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[SESSION_STARTED_KEY] = now
        request.session[LAST_ACTIVITY_KEY] = now


@receiver(user_logged_out, dispatch_uid="accounts_session_ended")
def announce_logout(sender, request, user, **kwargs):
    """Also a logout by the session timeouts (``SessionTimeoutMiddleware``)."""
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if user is not None and session_key:
        session_ended_send(user_id=user.pk, session_key=session_key)

"""What the meetings app asks of the floors above it, without importing them.

Turning an agreement into a health-plan action belongs to careplans, a sibling on the same
floor that meetings may not import. So meetings offers one slot, and the top floor
(``regiozorg.meetings_wiring``) fills it at start-up with a function that calls
``careplans.plan_services.action_add``.

The function is called inside the transaction of ``meetings.services.agreement_to_action``,
with the agreement's row locked, as
``maker(actor=…, access=…, agreement=…) -> uuid.UUID`` (the new action's UUID); it raises
``django.core.exceptions.ValidationError`` with a Dutch message when the action cannot be made
(an owner outside the care network), and then nothing is stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

ActionMaker = Callable[..., uuid.UUID]

_action_maker: ActionMaker | None = None


def agreement_action_register(maker: ActionMaker) -> None:
    """Fill the slot (once at start-up; registering again replaces it, as a reload would)."""
    global _action_maker
    _action_maker = maker


def agreement_action_maker() -> ActionMaker:
    if _action_maker is None:
        raise ImproperlyConfigured("No health-plan action maker registered (regiozorg wires it).")
    return _action_maker


# --- live pushes of calls -----------------------------------------------------------------------
# A call's sockets listen on the channel layer, whose publish helpers live in conversations (a
# sibling). The top floor fills this slot with ``conversations.realtime.publish``, which takes
# ``[(group, event), ...]`` and never raises (live delivery is best effort).

Publisher = Callable[[list], None]

_publisher: Publisher | None = None


def call_publisher_register(publisher: Publisher) -> None:
    global _publisher
    _publisher = publisher


def call_publish(pairs: list) -> None:
    if _publisher is not None:
        _publisher(pairs)


# --- calls from a conversation ------------------------------------------------------------------
# A call can start from a conversation (a sibling app). Who may be in it is whoever may see the
# conversation; the top floor fills this slot with a function on ``conversations.access``:
# ``finder(actor=…, pk=…, log=bool) -> ConversationRef`` (raises Http404 when the actor may not
# see it; ``log``: a look at a conversation about a patient is logged, NEN 7513).


@dataclass(frozen=True)
class ConversationRef:
    pk: int
    subject: str
    patient_id: int | None
    url: str


ConversationFinder = Callable[..., ConversationRef]

_conversation_finder: ConversationFinder | None = None


def conversation_finder_register(finder: ConversationFinder) -> None:
    global _conversation_finder
    _conversation_finder = finder


def conversation_find(*, actor, pk, log: bool = True) -> ConversationRef:
    if _conversation_finder is None:
        raise ImproperlyConfigured("No conversation finder registered (regiozorg wires it).")
    return _conversation_finder(actor=actor, pk=pk, log=log)

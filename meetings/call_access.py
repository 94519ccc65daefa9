"""Who may be in which video call. The one place, on top of ``meetings.access`` and
``network.access``.

- **An MDO's call**: the meeting's participants (``meeting_get_for``: 404 for anyone else).
- **A patient's call**: everyone who may see the patient now (``network.access``: 404 for
  anyone else, the refusal logged).
- **A conversation's call**: everyone who may see the conversation now (``conversations``'
  access rule, through ``meetings.hooks.conversation_find``; a look at a conversation about a
  patient is logged there).
- **A guest link's holder**: that one call only, while the link works (not expired, not
  revoked, the call not ended), and only after someone with an account admitted them. The token
  names the link; only its SHA-256 is stored, so a database copy opens no call.

Looking at a call that concerns a patient is logged (NEN 7513): a patient's call as
``call:<id>`` on that patient; an MDO's call names the agenda's patients on its page and logs
them (``meetings.selectors.meeting_view_for``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core import signing
from django.http import Http404
from django.utils import timezone

from meetings.access import MeetingAccess, meeting_get_for
from meetings.hooks import ConversationRef, conversation_find
from meetings.models import Call, CallGuest
from network.access import Actor, PatientAccess, patient_access_for, patient_get_for
from network.models import DataCategory

CALL_DATA = "call"
GUEST_COOKIE = "rz_call_guest"
GUEST_COOKIE_SALT = "meetings.call-guest"


@dataclass(frozen=True)
class CallAccess:
    call: Call
    meeting: MeetingAccess | None = None
    patient: PatientAccess | None = None
    conversation: ConversationRef | None = None

    @property
    def about_patient(self) -> bool:
        """A patient's call, or one from a conversation about a patient (needs a secure
        session, as the pages do)."""
        return self.patient is not None or (
            self.conversation is not None and self.conversation.patient_id is not None
        )

    @property
    def object_ref(self) -> str:
        return f"call:{self.call.pk}"


def call_get_for(*, actor: Actor, uuid, log: bool = True) -> CallAccess:
    """The call if ``actor`` may be in it, else 404 (the same for a call that does not exist).
    ``log``: a patient's call logs the look (the socket, which follows a page that logged,
    passes False)."""
    try:
        call = Call.objects.select_related("meeting").get(uuid=uuid)
    except (Call.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if call.kind == Call.Kind.MEETING:
        return CallAccess(call=call, meeting=meeting_get_for(actor=actor, pk=call.meeting_id))
    if call.kind == Call.Kind.CONVERSATION:
        return CallAccess(
            call=call, conversation=conversation_find(actor=actor, pk=call.conversation_id, log=log)
        )
    if log:
        patient = patient_get_for(
            actor=actor,
            pk=call.patient_id,
            data=(DataCategory.IDENTITY, CALL_DATA),
            object_ref=f"call:{call.pk}",
        )
    else:
        patient = patient_access_for(actor=actor, pk=call.patient_id)
    return CallAccess(call=call, patient=patient)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class GuestLinkGone(Exception):
    """The link existed but no longer works (expired, revoked, or its call ended)."""

    def __init__(self, guest: CallGuest):
        super().__init__(guest.pk)
        self.guest = guest


def guest_get(token: str) -> CallGuest:
    """The working guest link of ``token``; ``Http404`` for a token that names none (the same
    for every wrong token), ``GuestLinkGone`` for one that no longer works."""
    if not isinstance(token, str) or not 20 <= len(token) <= 64:
        raise Http404
    try:
        guest = CallGuest.objects.select_related("call", "call__organisation").get(
            token_hash=token_hash(token)
        )
    except CallGuest.DoesNotExist:
        raise Http404 from None
    if not guest.works(timezone.now()):
        raise GuestLinkGone(guest)
    return guest


def guest_still_works(guest_pk: int) -> bool:
    """For a guest's open socket: the link, read again (revoked or expired in the meantime?)."""
    guest = CallGuest.objects.select_related("call").filter(pk=guest_pk).first()
    return guest is not None and guest.works(timezone.now())


def guest_cookie_value(guest_pk: int, name: str) -> str:
    return signing.dumps({"g": guest_pk, "n": name}, salt=GUEST_COOKIE_SALT)


def guest_cookie_read(raw: str | None, guest_pk: int) -> str | None:
    """The name the guest gave, if the cookie is this link's (max a day old)."""
    if not raw:
        return None
    try:
        value = signing.loads(raw, salt=GUEST_COOKIE_SALT, max_age=24 * 3600)
    except signing.BadSignature:
        return None
    if not isinstance(value, dict) or value.get("g") != guest_pk:
        return None
    name = value.get("n")
    return name if isinstance(name, str) and name.strip() else None

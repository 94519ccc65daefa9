"""Writes of video calls (see ``meetings.models.Call``).

- :func:`call_open_for_meeting`, :func:`call_open_for_patient`,
  :func:`call_open_for_conversation`: the open call of an MDO or a conversation (one at a
  time), or of a patient for the actor's organisation (one at a time); made when none is.
- :func:`call_end`: anyone with an account in the call ends it for everyone; its guest links
  stop working with it, and every open socket is told (``call.ended``).
- :func:`guest_invite`, :func:`guest_revoke`: a guest link (the token is returned once; only
  its SHA-256 is kept), sent by e-mail or SMS or handed to the inviter to share (WhatsApp).
  A revoked link's sockets close at once (``guest.revoked`` on the link's group).
- :func:`attendance_join`, :func:`attendance_leave`, :func:`guest_admit`, :func:`guest_deny`:
  who is in the call from when to when, and who admitted a guest (NEN 7513: a guest's
  presence is recorded).
- :func:`message_post`: a chat line or a shared file, kept with the call (idempotent on the
  client key).

Pushes go out after commit through ``meetings.hooks.call_publish``.
"""

from __future__ import annotations

import datetime
import secrets
import uuid as uuid_module

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.email import email_send
from core.site import site_url
from core.sms import sms_queue
from files.services import private_file_save, uploads_prepare
from meetings.access import MeetingAccess
from meetings.call_access import CallAccess, token_hash
from meetings.call_selectors import chat_payload
from meetings.hooks import ConversationRef, call_publish
from meetings.models import Call, CallAttendance, CallGuest, CallMessage, Meeting
from network.access import Actor, PatientAccess


def call_group(call_id: int) -> str:
    """Every admitted browser of the call."""
    return f"call.{call_id}"


def call_hosts_group(call_id: int) -> str:
    """The browsers of people with an account: they see the waiting room and admit guests."""
    return f"call.{call_id}.hosts"


def guest_group(guest_id: int) -> str:
    """The sockets of one guest link (a revoked link closes them at once)."""
    return f"callguest.{guest_id}"


def _publish_after_commit(pairs: list) -> None:
    transaction.on_commit(lambda: call_publish(pairs), robust=True)


# --- the call --------------------------------------------------------------------------------


@transaction.atomic
def call_open_for_meeting(*, actor: Actor, access: MeetingAccess) -> Call:
    meeting = Meeting.objects.select_for_update().get(pk=access.meeting.pk)
    if not meeting.is_open:
        raise ValidationError(_("This MDO is closed; a video call can no longer be started."))
    call = Call.objects.filter(meeting=meeting, ended_at__isnull=True).first()
    if call is None:
        call = Call.objects.create(
            kind=Call.Kind.MEETING,
            organisation=meeting.organisation,
            meeting=meeting,
            started_by=actor.user,
        )
    return call


@transaction.atomic
def call_open_for_patient(*, actor: Actor, access: PatientAccess) -> Call:
    # The patient row serialises two providers pressing the button at the same moment.
    type(access.patient).objects.select_for_update().filter(pk=access.patient.pk).first()
    call = Call.objects.filter(
        patient_id=access.patient.pk,
        organisation=actor.membership.organisation,
        ended_at__isnull=True,
    ).first()
    if call is None:
        call = Call.objects.create(
            kind=Call.Kind.PATIENT,
            organisation=actor.membership.organisation,
            patient_id=access.patient.pk,
            started_by=actor.user,
        )
    return call


@transaction.atomic
def call_open_for_conversation(*, actor: Actor, conversation: ConversationRef) -> Call:
    """The open call of a conversation the actor may see (``meetings.hooks``), else a new one."""
    call = Call.objects.filter(conversation_id=conversation.pk, ended_at__isnull=True).first()
    if call is not None:
        return call
    try:
        # At most one open call per conversation (a unique index): two people pressing the
        # button at the same moment end up in the same call.
        with transaction.atomic():
            return Call.objects.create(
                kind=Call.Kind.CONVERSATION,
                organisation=actor.membership.organisation,
                conversation_id=conversation.pk,
                started_by=actor.user,
            )
    except IntegrityError:
        return Call.objects.get(conversation_id=conversation.pk, ended_at__isnull=True)


@transaction.atomic
def call_end(*, actor: Actor, access: CallAccess) -> Call:
    call = Call.objects.select_for_update().get(pk=access.call.pk)
    if call.ended_at is None:
        now = timezone.now()
        call.ended_at, call.ended_by = now, actor.user
        call.save(update_fields=["ended_at", "ended_by"])
        CallAttendance.objects.filter(call=call, left_at__isnull=True).update(left_at=now)
        groups = [call_group(call.pk), call_hosts_group(call.pk)] + [
            guest_group(pk) for pk in call.guests.values_list("pk", flat=True)
        ]
        _publish_after_commit([(group, {"type": "call.ended"}) for group in groups])
    return call


# --- guest links -----------------------------------------------------------------------------


def _masked(channel: str, email: str, phone: str) -> str:
    if channel == CallGuest.Channel.EMAIL:
        local, _at, domain = email.partition("@")
        return f"{local[:1]}…@{domain}"[:100]
    if channel == CallGuest.Channel.SMS:
        return f"{phone[:2]}-…{phone[-4:]}"
    return ""


def guest_url(token: str) -> str:
    return site_url() + reverse("meetings:guest", args=[token])


@transaction.atomic
def guest_invite(
    *,
    actor: Actor,
    access: CallAccess,
    kind: str,
    name: str,
    channel: str,
    email: str = "",
    phone: str = "",
    valid_hours: int,
    client_key: uuid_module.UUID | None = None,
) -> tuple[CallGuest, str | None]:
    """A guest link for this call. Returns the link and its token (``None`` when the same form
    was sent before: the link was made then, and its token is not kept)."""
    call = Call.objects.select_for_update().get(pk=access.call.pk)
    if not call.is_open:
        raise ValidationError(_("This call has ended; start a new one."))
    if client_key is not None:
        earlier = CallGuest.objects.filter(call=call, client_key=client_key).first()
        if earlier is not None:
            return earlier, None
    token = secrets.token_urlsafe(24)  # 192 bits
    guest = CallGuest.objects.create(
        call=call,
        kind=kind,
        name=name,
        channel=channel,
        sent_to=_masked(channel, email, phone),
        token_hash=token_hash(token),
        created_by=actor.user,
        expires_at=timezone.now() + datetime.timedelta(hours=valid_hours),
        client_key=client_key,
    )
    organisation = call.organisation.name
    url = guest_url(token)
    if channel == CallGuest.Channel.SMS:
        sms_queue(
            to=phone,
            body=_("%(organisation)s invites you to a video call in Regiozorg: %(url)s")
            % {"organisation": organisation, "url": url},
        )
    elif channel == CallGuest.Channel.EMAIL:
        email_send(
            to=[email],
            template="meetings/call/email/invite",
            context={
                "url": url,
                "organisation": organisation,
                "inviter": actor.user.get_full_name(),
                "expires_at": timezone.localtime(guest.expires_at),
            },
        )
    return guest, token


@transaction.atomic
def guest_revoke(*, actor: Actor, access: CallAccess, guest_pk) -> CallGuest:
    try:
        guest = CallGuest.objects.select_for_update().get(call=access.call, pk=guest_pk)
    except (CallGuest.DoesNotExist, ValueError, TypeError):
        raise ValidationError(_("This guest link was not found.")) from None
    if guest.revoked_at is None:
        now = timezone.now()
        guest.revoked_at, guest.revoked_by = now, actor.user
        guest.save(update_fields=["revoked_at", "revoked_by"])
        present = CallAttendance.objects.filter(guest=guest, left_at__isnull=True)
        peers = list(present.values_list("peer", flat=True))
        present.update(left_at=now)
        call_id = guest.call_id
        _publish_after_commit(
            [(guest_group(guest.pk), {"type": "guest.revoked"})]
            + [(call_group(call_id), {"type": "call.left", "peer": peer}) for peer in peers]
            + [(call_hosts_group(call_id), {"type": "call.lobby"})]
        )
    return guest


# --- who is in the call ----------------------------------------------------------------------


class CallFull(Exception):
    pass


class LinkInUse(Exception):
    pass


# A guest link opened in this many browsers at once is enough (a phone and a laptop, a reload).
GUEST_SOCKETS_MAX = 3


def new_peer() -> str:
    return secrets.token_hex(12)


@transaction.atomic
def attendance_join(
    *,
    call_id: int,
    peer: str,
    channel_name: str,
    name: str,
    user=None,
    membership=None,
    guest: CallGuest | None = None,
) -> CallAttendance:
    """A browser enters the call: people with an account at once, a guest into the waiting
    room. Raises ``CallFull`` when ``CALL_MAX_PEERS`` are in it already, and
    ``Call.DoesNotExist`` when the call has ended."""
    call = Call.objects.select_for_update().get(pk=call_id, ended_at__isnull=True)
    if guest is None:
        if CallAttendance.objects.filter(call=call).present().count() >= settings.CALL_MAX_PEERS:
            raise CallFull
    elif CallAttendance.objects.filter(guest=guest).open().count() >= GUEST_SOCKETS_MAX:
        raise LinkInUse  # one link, one person: not a crowd in the waiting room
    now = timezone.now()
    return CallAttendance.objects.create(
        call=call,
        peer=peer,
        channel_name=channel_name,
        user=user,
        membership=membership,
        guest=guest,
        name=name[:100],
        joined_at=now,
        admitted_at=None if guest is not None else now,
    )


def attendance_leave(*, peer: str) -> bool:
    """The browser left (or its socket dropped). True when it was in the call until now."""
    return bool(
        CallAttendance.objects.filter(peer=peer, left_at__isnull=True).update(
            left_at=timezone.now()
        )
    )


@transaction.atomic
def guest_admit(*, user, call_id: int, peer: str) -> CallAttendance | None:
    """Admit a waiting guest; None when there is no such guest waiting (left, already
    admitted, link no longer working) or the call is full."""
    call = Call.objects.select_for_update().filter(pk=call_id, ended_at__isnull=True).first()
    if call is None:
        return None
    attendance = (
        CallAttendance.objects.select_related("guest", "guest__call")
        .filter(call=call, peer=peer)
        .waiting()
        .first()
    )
    if attendance is None or not attendance.guest.works():
        return None
    if CallAttendance.objects.filter(call=call).present().count() >= settings.CALL_MAX_PEERS:
        raise CallFull
    attendance.admitted_at, attendance.admitted_by = timezone.now(), user
    attendance.save(update_fields=["admitted_at", "admitted_by"])
    return attendance


def guest_deny(*, call_id: int, peer: str) -> CallAttendance | None:
    attendance = CallAttendance.objects.filter(call_id=call_id, peer=peer).waiting().first()
    if attendance is None:
        return None
    attendance_leave(peer=peer)
    return attendance


def attendance_seen(*, peer: str) -> None:
    """The browser's socket is still open (its heartbeat): it counts as there."""
    CallAttendance.objects.filter(peer=peer, left_at__isnull=True).update(seen_at=timezone.now())


# --- chat and files --------------------------------------------------------------------------


def message_post(
    *,
    attendance: CallAttendance,
    client_key: uuid_module.UUID,
    body: str = "",
    upload=None,
) -> tuple[CallMessage, bool]:
    """Store a chat line or a file of someone admitted to the call; returns (message,
    created). The same client key gives the first message back. A file is checked (type from
    its bytes, size, photos stripped of metadata) before anything is written."""
    body = (body or "").strip()
    if not body and upload is None:
        raise ValidationError(_("Type a message or choose a file."))
    prepared = uploads_prepare([upload]) if upload is not None else []
    earlier = CallMessage.objects.filter(call_id=attendance.call_id, client_key=client_key).first()
    if earlier is not None:
        return earlier, False
    try:
        with transaction.atomic():
            message = CallMessage(
                call_id=attendance.call_id,
                attendance=attendance,
                author_name=attendance.name,
                body=body[:2000],
                client_key=client_key,
            )
            if prepared:
                name, mime, data = prepared[0]
                message.original_name = name
                private_file_save(message, mime=mime, data=data)
            else:
                message.save()
    except IntegrityError:
        return CallMessage.objects.get(call_id=attendance.call_id, client_key=client_key), False
    _publish_after_commit(
        [(call_group(attendance.call_id), {"type": "call.chat", "message": chat_payload(message)})]
    )
    return message, True

"""Demo MDO: Friday afternoon at De Terp, chaired by the GP (`huisarts`), about Geertje van der
Meer (terp-0001) with the district nurse (`wijkverpleegkundige`) and the physiotherapist
(`fysiotherapeut`, for Fysiotherapie De Brug) — both in her care network. Each wrote a
preparation note; the GP kept minutes; of the two agreements, one is already an action in her
health plan (for the district nurse), the other still shows *Maak actie in gezondheidsplan*.
The meeting is in progress, so the GP can close it and see the report go out.

The three met in a video call that has ended: their attendances, a guest link for a specialist
in elderly care medicine that has expired since (the token was thrown away: only its hash is
stored, as always), the specialist's attendance (admitted by the GP) and two chat lines.

Idempotent: a meeting with this title at De Terp is left as it is; its demo call is added once
(also to a meeting seeded before there were calls)."""

from __future__ import annotations

import datetime
import secrets
import uuid

from django.utils import timezone

from accounts.models import Membership
from meetings import services
from meetings.access import item_get_for, meeting_get_for
from meetings.call_access import token_hash
from meetings.call_services import new_peer
from meetings.models import Call, CallAttendance, CallGuest, CallMessage, Meeting
from meetings.selectors import participant_candidates_for
from network.access import Actor, patient_access_for, patients_visible_to

TITLE = "MDO kwetsbare ouderen De Terp"
QUESTION = (
    "Mevrouw wordt kortademiger en valt vaker. Kan ze thuis blijven wonen, en wat is er "
    "nodig aan zorg en oefenen?"
)
GUEST_NAME = "Dr. R. de Boer (specialist ouderengeneeskunde)"
CHAT = (
    ("nurse", 12, "De nachtelijke valpartijen staan in het overdrachtsverslag van dinsdag."),
    ("guest", 31, "Denk ook aan orthostatische hypotensie: graag liggend en staand meten."),
)


def _actor(email: str, organisation) -> Actor:
    membership = Membership.objects.select_related("organisation", "user").get(
        user__email=email, organisation=organisation
    )
    return Actor(user=membership.user, membership=membership, request_id="demo-seed")


def _name(actor: Actor) -> str:
    """As the call's socket names someone with an account."""
    name = actor.user.get_full_name() or actor.user.get_username()
    return f"{name} ({actor.membership.organisation.name})"[:100]


def demo_meetings(*, organisations, email, actor_for) -> None:
    gp = actor_for(organisations["terp"])
    nurse = _actor(email("wijkverpleegkundige"), organisations["wijk"])
    physio = _actor(email("fysiotherapeut"), organisations["fysio"])
    meeting = Meeting.objects.filter(organisation=organisations["terp"], title=TITLE).first()
    if meeting is None:
        meeting = _demo_meeting(gp, nurse, physio)
    _demo_call(meeting, gp=gp, nurse=nurse, physio=physio)


def _demo_meeting(gp: Actor, nurse: Actor, physio: Actor) -> Meeting:
    geertje = patients_visible_to(gp).get(his_id="terp-0001")

    # Last Friday, 15:00 (the date is recorded; planning happened elsewhere).
    today = timezone.localdate()
    friday = today - datetime.timedelta(days=(today.weekday() - 4) % 7 or 7)
    held_at = timezone.make_aware(datetime.datetime.combine(friday, datetime.time(15, 0)))
    meeting = services.meeting_create(actor=gp, title=TITLE, held_at=held_at)
    access = meeting_get_for(actor=gp, pk=meeting.pk)
    item = services.item_add(
        actor=gp,
        access=access,
        patient_access=patient_access_for(actor=gp, pk=geertje.pk),
        question=QUESTION,
    )
    for other in (nurse, physio):
        services.participant_add(
            actor=gp,
            access=access,
            membership=other.membership,
            allowed=participant_candidates_for(actor=gp, access=access),
        )
    notes = (
        (gp, "Twee longaanvallen dit najaar; saturatie in rust 92%. Dochter maakt zich zorgen."),
        (nurse, "Valt 's nachts op weg naar het toilet. Gewicht stabiel, enkels iets dikker."),
        (physio, "Loopt 80 m met rollator, daarna rust nodig. Balans matig (Tinetti 17)."),
    )
    for actor, text in notes:
        item_access = item_get_for(
            actor=actor, meeting=meeting_get_for(actor=actor, pk=meeting.pk), pk=item.pk, log=False
        )
        services.note_save(actor=actor, access=item_access, text=text)
    services.meeting_start(actor=gp, access=access)
    gp_item = item_get_for(actor=gp, meeting=access, pk=item.pk, log=False)
    services.minutes_save(
        actor=gp,
        access=gp_item,
        text=(
            "Thuis wonen kan, met nachtverlichting en een postoel naast het bed. Looptraining "
            "gaat door; bij een volgende longaanval eerder contact met de huisarts."
        ),
    )
    night = services.agreement_add(
        actor=gp,
        access=gp_item,
        text="Nachtverlichting en postoel regelen",
        owner=nurse.membership,
        due_date=friday + datetime.timedelta(days=14),
    )
    services.agreement_add(
        actor=gp,
        access=gp_item,
        text="Balanstraining toevoegen aan de looptraining",
        owner=physio.membership,
        due_date=friday + datetime.timedelta(days=28),
    )
    services.agreement_to_action(actor=gp, access=gp_item, agreement=night)
    return meeting


def _demo_call(meeting: Meeting, *, gp: Actor, nurse: Actor, physio: Actor) -> None:
    """The video call the MDO was held in, ended: written as it would have been recorded."""
    started_at = meeting.held_at + datetime.timedelta(minutes=1)
    if Call.objects.filter(meeting=meeting, started_at=started_at).exists():
        return

    def minutes(n: int) -> datetime.datetime:
        return started_at + datetime.timedelta(minutes=n)

    call = Call.objects.create(
        kind=Call.Kind.MEETING,
        organisation=meeting.organisation,
        meeting=meeting,
        started_by=gp.user,
        started_at=started_at,
        ended_at=minutes(48),
        ended_by=gp.user,
    )
    attendances = {}
    for key, actor, joined, left in (
        ("gp", gp, 0, 48),
        ("nurse", nurse, 2, 48),
        ("physio", physio, 3, 40),
    ):
        attendances[key] = CallAttendance.objects.create(
            call=call,
            peer=new_peer(),
            channel_name="demo-seed",
            user=actor.user,
            membership=actor.membership,
            name=_name(actor),
            joined_at=minutes(joined),
            admitted_at=minutes(joined),
            left_at=minutes(left),
        )
    # Copied into WhatsApp by the GP, valid for two hours; expired long since. The token itself
    # is not kept anywhere (only its SHA-256), so nobody can open this link.
    guest = CallGuest.objects.create(
        call=call,
        kind=CallGuest.Kind.GUEST,
        name=GUEST_NAME,
        channel=CallGuest.Channel.LINK,
        token_hash=token_hash(secrets.token_urlsafe(24)),
        created_by=gp.user,
        created_at=minutes(5),
        expires_at=minutes(5) + datetime.timedelta(hours=2),
        client_key=uuid.uuid4(),
    )
    attendances["guest"] = CallAttendance.objects.create(
        call=call,
        peer=new_peer(),
        channel_name="demo-seed",
        guest=guest,
        name=GUEST_NAME,
        joined_at=minutes(20),
        admitted_at=minutes(21),
        admitted_by=gp.user,
        left_at=minutes(38),
    )
    for key, at, body in CHAT:
        attendance = attendances[key]
        message = CallMessage.objects.create(
            call=call,
            attendance=attendance,
            author_name=attendance.name,
            body=body,
            client_key=uuid.uuid4(),
        )
        CallMessage.objects.filter(pk=message.pk).update(created_at=minutes(at))

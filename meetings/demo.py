"""Demo MDO: Friday afternoon at De Terp, chaired by the GP (`huisarts`), about Geertje van der
Meer (terp-0001) with the district nurse (`wijkverpleegkundige`) and the physiotherapist
(`fysiotherapeut`, for Fysiotherapie De Brug) — both in her care network. Each wrote a
preparation note; the GP kept minutes; of the two agreements, one is already an action in her
health plan (for the district nurse), the other still shows *Maak actie in gezondheidsplan*.
The meeting is in progress, so the GP can close it and see the report go out.

Idempotent: a meeting with this title at De Terp is left as it is."""

from __future__ import annotations

import datetime

from django.utils import timezone

from accounts.models import Membership
from meetings import services
from meetings.access import item_get_for, meeting_get_for
from meetings.models import Meeting
from meetings.selectors import participant_candidates_for
from network.access import Actor, patient_access_for, patients_visible_to

TITLE = "MDO kwetsbare ouderen De Terp"
QUESTION = (
    "Mevrouw wordt kortademiger en valt vaker. Kan ze thuis blijven wonen, en wat is er "
    "nodig aan zorg en oefenen?"
)


def _actor(email: str, organisation) -> Actor:
    membership = Membership.objects.select_related("organisation", "user").get(
        user__email=email, organisation=organisation
    )
    return Actor(user=membership.user, membership=membership, request_id="demo-seed")


def demo_meetings(*, organisations, email, actor_for) -> None:
    gp = actor_for(organisations["terp"])
    if Meeting.objects.filter(organisation=organisations["terp"], title=TITLE).exists():
        return
    nurse = _actor(email("wijkverpleegkundige"), organisations["wijk"])
    physio = _actor(email("fysiotherapeut"), organisations["fysio"])
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

"""Demo conversations, consultations and a shared inbox. Idempotent (fixed client keys)."""

from __future__ import annotations

import uuid

from accounts.models import Membership, Team, User
from conversations.models import Conversation, SharedInbox
from conversations.services.messages import (
    conversation_start,
    inbox_member_add,
    message_send,
)
from network.access import Actor, patient_access_for, patients_visible_to


def _key(name: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"regiozorg-demo:{name}")


def _actor(email: str, organisation) -> Actor:
    membership = Membership.objects.select_related("organisation", "user").get(
        user__email=email, organisation=organisation
    )
    return Actor(user=membership.user, membership=membership, request_id="demo-seed")


def demo_conversations(*, organisations, email, actor_for) -> None:
    wijk = organisations["wijk"]
    inbox, _created = SharedInbox.objects.get_or_create(
        organisation=wijk,
        name="Team Stiens",
        defaults={"team": Team.objects.filter(organisation=wijk, name="Team Stiens").first()},
    )
    for local in ("wijkverpleegkundige", "verzorgende"):
        inbox_member_add(inbox=inbox, user=User.objects.get(email=email(local)), added_by=None)

    gp = actor_for(organisations["terp"])
    nurse = _actor(email("wijkverpleegkundige"), wijk)
    pharmacist = _actor(email("apotheker"), organisations["apotheek"])
    geertje = patients_visible_to(gp).get(his_id="terp-0001")
    access = patient_access_for(actor=gp, pk=geertje.pk)

    wound = conversation_start(
        actor=gp,
        kind=Conversation.Kind.CONVERSATION,
        subject="Wondzorg rechter onderbeen",
        body="Dag Tjitske, wil je morgen naar de wond kijken? Graag een foto via dit gesprek.",
        client_key=_key("wound-1"),
        people=[nurse.membership],
        patient_access=access,
    )
    message_send(
        actor=nurse,
        conversation=wound,
        body="Doe ik. Ik ben er morgen rond 10:00.",
        client_key=_key("wound-2"),
    )
    conversation_start(
        actor=gp,
        kind=Conversation.Kind.CONSULTATION,
        subject="Medicatiebeoordeling",
        body="Wil je de medicatie van mevrouw Van der Meer beoordelen? Zij valt de laatste tijd.",
        client_key=_key("review-1"),
        people=[pharmacist.membership],
        patient_access=access,
    )
    conversation_start(
        actor=gp,
        kind=Conversation.Kind.CONSULTATION,
        subject="Extra zorg in het weekend?",
        body="Kan het team in het weekend bij mevrouw Van der Meer langs voor de medicatie?",
        client_key=_key("weekend-1"),
        inboxes=[inbox],
        patient_access=access,
    )

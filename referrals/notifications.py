"""E-mail about referral events, to the other side, for people who are not looking.

The same rules as for messages: never the patient's name or the question, only what happened
and a link; nobody who is online, nobody on a day off or absent unless they chose so, and only
people who could open the link. One mail per event per person (the event is claimed first).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from accounts.email import email_send
from accounts.models import Membership
from accounts.presence import mail_worthy
from accounts.services.push import push_send
from core.site import site_url
from network.access import Actor
from referrals.access import referrals_visible_to
from referrals.models import Referral, ReferralEvent


def _receivers(referral: Referral) -> set[int]:
    members = Membership.objects.active().filter(organisation_id=referral.to_organisation_id)
    if referral.to_team_id:
        members = members.filter(teams=referral.to_team_id)
    return set(members.values_list("user_id", flat=True))


def recipients_of(event: ReferralEvent) -> set[int]:
    """Who hears about this event: the other side of the referral."""
    referral = event.referral
    if event.action == "send":
        people = _receivers(referral)
    elif event.action in ("accept", "decline", "feedback"):
        people = {referral.created_by_id}
    elif event.action == "cancel":
        people = _receivers(referral) if event.from_state == Referral.State.SENT else set()
    elif event.action == "close":
        people = {referral.accepted_by_id} if referral.accepted_by_id else set()
    else:
        people = set()
    return people - {event.user_id, None}


def _may_open(person, referral: Referral) -> bool:
    for membership in (
        Membership.objects.active().filter(user=person).select_related("organisation")
    ):
        actor = Actor(user=person, membership=membership)
        if referrals_visible_to(actor).filter(pk=referral.pk).exists():
            return True
    return False


def referral_event_notify(*, event_id: int) -> list[int]:
    """Send the e-mails for one event; returns who got one. A second run sends nothing."""
    claimed = ReferralEvent.objects.filter(pk=event_id, notified_at__isnull=True).update(
        notified_at=timezone.now()
    )
    if not claimed:
        return []
    event = ReferralEvent.objects.select_related("referral").get(pk=event_id)
    notified = []
    for person in mail_worthy(recipients_of(event), preference="notify_referrals"):
        if not _may_open(person, event.referral):
            continue
        email_send(
            to=[person.email],
            template="referrals/email/event",
            context={
                "user": person,
                "action": event.action,
                "url": site_url() + reverse("referrals:detail", args=[event.referral_id]),
            },
            language=person.language,
        )
        notified.append(person.pk)
    if event.action == "send":
        # A new referral also goes to the devices of those mailed, as "Nieuwe verwijzing" with
        # a link to the list: nothing about the patient or the question.
        push_send(
            user_ids=notified, event_key=f"referral:{event.pk}", url=reverse("referrals:list")
        )
    return notified

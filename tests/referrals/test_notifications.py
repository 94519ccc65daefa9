"""E-mail to the other side of a referral, after commit, without the patient or the question."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from accounts.presence import online_touch
from core.site import site_url
from referrals.models import Feedback
from referrals.notifications import referral_event_notify
from referrals.services import feedback_add, referral_transition
from tests.conversations.conftest import actor_for
from tests.referrals.conftest import refer

pytestmark = pytest.mark.django_db

QUESTION = "Wondzorg bij mevrouw Van der Meer na de opname."


def mails_to(user) -> list:
    return [message for message in mail.outbox if user.email in message.to]


def test_the_receivers_hear_of_a_new_referral_without_whom_it_is_about(
    committing, gp, nurse, team_nurse, patient, nursing
):
    with committing():
        referral = refer(gp, patient, nursing, question=QUESTION)

    assert {m.to[0] for m in mail.outbox} == {nurse.email, team_nurse.email}
    [message] = mails_to(nurse)
    assert message.subject == "Een nieuwe verwijzing voor je in Regiozorg"
    link = site_url() + reverse("referrals:detail", args=[referral.pk])
    [(html, _mimetype)] = message.alternatives
    for body in (message.body, html):
        assert link in body
        for secret in (QUESTION, "Meer", "Geertje", patient.his_id):
            assert secret not in body


def test_the_practice_hears_of_acceptance_and_feedback(committing, gp, nurse, patient, nursing):
    referral = refer(gp, patient, nursing)
    mail.outbox.clear()
    with committing():
        referral_transition(actor=actor_for(nurse), referral=referral, action="accept")
    with committing():
        feedback_add(
            actor=actor_for(nurse), referral=referral, kind=Feedback.Kind.START, findings="Schoon."
        )

    assert [m.subject for m in mails_to(gp)] == [
        "Er is iets veranderd aan een verwijzing in Regiozorg",
        "Terugkoppeling op een verwijzing in Regiozorg",
    ]
    assert mails_to(nurse) == []


def test_someone_online_gets_no_mail_and_a_second_run_sends_nothing(
    committing, gp, nurse, team_nurse, patient, nursing
):
    online_touch(nurse.pk)
    with committing():
        referral = refer(gp, patient, nursing)

    assert mails_to(nurse) == []
    assert len(mails_to(team_nurse)) == 1
    event = referral.events.get(action="send")
    assert referral_event_notify(event_id=event.pk) == []
    assert len(mails_to(team_nurse)) == 1


def test_who_turned_referral_mail_off_gets_none(committing, gp, nurse, patient, nursing):
    nurse.notify_referrals = False
    nurse.save(update_fields=["notify_referrals"])

    with committing():
        refer(gp, patient, nursing)

    assert mails_to(nurse) == []

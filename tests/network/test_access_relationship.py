"""The access log records the true relationship (NEN 7513), decided in one place.

``network.access.relationship_of`` answers for every look: the GP of the patient's own practice,
a district nurse who received an open referral (an access grant), a nurse in the care network of
a visible patient, and a colleague who only reads along through her organisation's shared inbox.
Each test makes a real request and reads the entry it wrote.
"""

from __future__ import annotations

import importlib
import uuid

import pytest
from django.apps import apps
from django.urls import reverse

from network.models import AccessGrant, AccessLogEntry, AccessRelationship
from referrals.models import Referral
from referrals.services import (
    referral_accept,
    referral_cancel,
    referral_close,
    referral_decline,
    referral_question,
)
from tests.conversations import conftest as conversation_fixtures
from tests.conversations.conftest import actor_for, start
from tests.referrals.conftest import refer

pytestmark = pytest.mark.django_db

# Fixtures of the conversation tests, used here too.
login = conversation_fixtures.login
colleague = conversation_fixtures.colleague
nursing_inbox = conversation_fixtures.nursing_inbox


def _entry(user, object_ref) -> AccessLogEntry:
    return AccessLogEntry.objects.filter(user=user, object_ref=object_ref).latest("id")


# --- own practice -------------------------------------------------------------------------


def test_the_gp_looking_at_her_own_patient_is_logged_as_own_practice(
    login, gp, nurse, shared_patient
):
    conversation = start(gp, nurse, patient=shared_patient)
    client = login(gp)

    client.get(reverse("network:patient-detail", args=[shared_patient.pk]))
    client.get(reverse("conversations:detail", args=[conversation.pk]))
    client.get(reverse("conversations:inbox"))

    patient_look = AccessLogEntry.objects.filter(user=gp, patient=shared_patient, object_ref="")
    assert patient_look.latest("id").relationship == AccessRelationship.OWN_PRACTICE
    assert _entry(gp, f"conversation:{conversation.pk}").relationship == "own_practice"
    assert _entry(gp, "conversation_list:page=1").relationship == "own_practice"


# --- care network -------------------------------------------------------------------------


def test_a_care_network_member_is_logged_as_care_network(login, gp, nurse, shared_patient):
    conversation = start(gp, nurse, patient=shared_patient)
    client = login(nurse)

    client.get(reverse("network:patient-detail", args=[shared_patient.pk]))
    client.get(reverse("conversations:detail", args=[conversation.pk]))
    client.get(reverse("conversations:inbox"))

    patient_look = AccessLogEntry.objects.filter(user=nurse, patient=shared_patient, object_ref="")
    assert patient_look.latest("id").relationship == AccessRelationship.CARE_NETWORK
    assert _entry(nurse, f"conversation:{conversation.pk}").relationship == "care_network"
    assert _entry(nurse, "conversation_list:page=1").relationship == "care_network"


# --- referral -----------------------------------------------------------------------------


def test_a_referral_receiver_is_logged_as_referral_on_every_page(
    login, gp, nurse, patient, nursing
):
    """The patient is not visible to the network: the open referral is why the nurse may look,
    on the patient page, the referral page and the conversation linked to the referral."""
    referral = refer(gp, patient, nursing)
    question = referral_question(
        actor=actor_for(nurse), referral=referral, body="Welke wondzorg?", client_key=uuid.uuid4()
    )
    client = login(nurse)

    assert client.get(reverse("network:patient-detail", args=[patient.pk])).status_code == 200
    client.get(reverse("referrals:detail", args=[referral.pk]))
    client.get(reverse("conversations:detail", args=[question.pk]))
    client.get(reverse("referrals:list"))

    patient_look = AccessLogEntry.objects.filter(user=nurse, patient=patient, object_ref="")
    assert patient_look.latest("id").relationship == AccessRelationship.REFERRAL
    assert _entry(nurse, f"referral:{referral.pk}").relationship == "referral"
    assert _entry(nurse, f"conversation:{question.pk}").relationship == "referral"
    assert _entry(nurse, "referral_list:new:page=1").relationship == "referral"


def test_a_receiver_in_the_care_network_is_still_logged_as_referral_while_it_is_open(
    login, gp, nurse, shared_patient, nursing
):
    referral = refer(gp, shared_patient, nursing)

    login(nurse).get(reverse("referrals:detail", args=[referral.pk]))

    assert _entry(nurse, f"referral:{referral.pk}").relationship == "referral"


def test_after_the_referral_ends_the_receiver_is_logged_by_the_care_network(
    login, gp, nurse, shared_patient, nursing
):
    referral = refer(gp, shared_patient, nursing)
    referral_accept(actor=actor_for(nurse), referral=referral)
    referral_close(actor=actor_for(gp), referral=referral)

    login(nurse).get(reverse("referrals:detail", args=[referral.pk]))

    assert _entry(nurse, f"referral:{referral.pk}").relationship == "care_network"


# --- shared inbox -------------------------------------------------------------------------


def test_a_shared_inbox_reader_outside_the_care_network_is_logged_as_shared_inbox(
    login, gp, colleague, nursing_inbox, shared_patient
):
    """The colleague is in Thuiszorg's shared inbox but not in the patient's care network: she
    reads along through the inbox (until she answers and so joins the network)."""
    conversation = start(gp, inboxes=[nursing_inbox], patient=shared_patient)
    client = login(colleague)

    assert client.get(reverse("conversations:detail", args=[conversation.pk])).status_code == 200
    client.get(reverse("conversations:inbox"))

    entry = _entry(colleague, f"conversation:{conversation.pk}")
    assert (entry.patient_id, entry.relationship) == (shared_patient.pk, "shared_inbox")
    assert entry.get_relationship_display() == "gezamenlijke inbox"
    assert _entry(colleague, "conversation_list:page=1").relationship == "shared_inbox"


# --- the grants behind it -----------------------------------------------------------------


def _active_grants(referral) -> list[AccessGrant]:
    return list(AccessGrant.objects.active().filter(source=f"referral:{referral.pk}"))


def test_a_grant_is_open_exactly_while_the_referral_is_open(gp, nurse, patient, nursing):
    draft = refer(gp, patient, nursing, send=False)
    assert _active_grants(draft) == []

    sent = refer(gp, patient, nursing)
    [grant] = _active_grants(sent)
    assert (grant.patient_id, grant.organisation_id, grant.team_id, grant.reason) == (
        patient.pk,
        nursing.pk,
        None,
        "referral",
    )
    referral_accept(actor=actor_for(nurse), referral=sent)
    assert len(_active_grants(sent)) == 1  # in treatment: still open
    referral_close(actor=actor_for(gp), referral=sent)
    assert _active_grants(sent) == []
    assert AccessGrant.objects.get(source=f"referral:{sent.pk}").ended_at is not None

    declined = refer(gp, patient, nursing)
    referral_decline(actor=actor_for(nurse), referral=declined, reason="Vol.")
    cancelled = refer(gp, patient, nursing)
    referral_cancel(actor=actor_for(gp), referral=cancelled)
    assert _active_grants(declined) == _active_grants(cancelled) == []


def test_when_a_grant_ends_its_receivers_open_pages_are_told_at_once(
    gp, nurse, team_nurse, team_noord, patient, nursing, django_capture_on_commit_callbacks
):
    """Their live sockets look at their rights again (``patient_access_changed``), so a
    conversation about the patient stops arriving now, not at the next re-check."""
    from network.signals import patient_access_changed

    told = []

    def listener(sender, user_ids, **kwargs):
        told.append(sorted(user_ids))

    patient_access_changed.connect(listener)
    try:
        whole = refer(gp, patient, nursing)
        to_team = refer(gp, patient, nursing, team=team_noord)
        with django_capture_on_commit_callbacks(execute=True):
            referral_cancel(actor=actor_for(gp), referral=whole)
        with django_capture_on_commit_callbacks(execute=True):
            referral_cancel(actor=actor_for(gp), referral=to_team)
    finally:
        patient_access_changed.disconnect(listener)

    assert nurse.pk in told[0] and team_nurse.pk in told[0]
    assert told[1] == [team_nurse.pk]


def test_a_grant_to_a_team_lets_only_the_team_see_the_patient(
    login, gp, nurse, team_nurse, team_noord, patient, nursing
):
    refer(gp, patient, nursing, team=team_noord)
    url = reverse("network:patient-detail", args=[patient.pk])

    assert login(team_nurse).get(url).status_code == 200
    assert login(nurse).get(url).status_code == 404


def test_the_migration_writes_a_grant_for_every_referral_open_today(
    gp, nurse, patient, nursing, team_noord
):
    migration = importlib.import_module(
        "referrals.migrations.0004_access_grants_for_open_referrals"
    )
    sent = refer(gp, patient, nursing, team=team_noord)
    accepted = refer(gp, patient, nursing)
    referral_accept(actor=actor_for(nurse), referral=accepted)
    refer(gp, patient, nursing, send=False)
    declined = refer(gp, patient, nursing)
    referral_decline(actor=actor_for(nurse), referral=declined, reason="Vol.")
    AccessGrant.objects.all().delete()  # as before the migration

    migration.grants_for_open_referrals(apps, None)
    migration.grants_for_open_referrals(apps, None)  # twice: nothing doubles

    grants = {g.source: g for g in AccessGrant.objects.active()}
    assert set(grants) == {f"referral:{sent.pk}", f"referral:{accepted.pk}"}
    assert grants[f"referral:{sent.pk}"].team_id == team_noord.pk
    assert grants[f"referral:{sent.pk}"].started_at == Referral.objects.get(pk=sent.pk).sent_at

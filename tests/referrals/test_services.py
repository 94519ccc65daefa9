"""Referring: who may refer what to whom, who then sees the patient, and for how long."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections
from django.http import Http404

from accounts.models import OrganisationKind
from network.access import patient_access_for, patient_get_for, patients_visible_to
from network.models import AccessLogEntry, AccessRelationship, AuthorisationRule, CareNetworkMember
from referrals.models import Referral
from referrals.services import referral_create, referral_transition
from tests.conversations.conftest import actor_for
from tests.factories import OrganisationFactory, TeamFactory
from tests.referrals.conftest import refer

pytestmark = pytest.mark.django_db


def sees(user, patient) -> bool:
    return patients_visible_to(actor_for(user)).filter(pk=patient.pk).exists()


def transition(user, referral, action, reason="") -> Referral:
    return referral_transition(
        actor=actor_for(user), referral=referral, action=action, reason=reason
    )


# --- who may refer what to whom -------------------------------------------------------------


def test_the_practice_refers_its_own_patient_and_sends_it(gp, patient, nursing):
    referral = refer(gp, patient, nursing)

    assert referral.state == Referral.State.SENT
    assert referral.sent_at is not None
    assert [(e.action, e.user) for e in referral.events.all()] == [("send", gp)]
    assert AccessLogEntry.objects.filter(
        patient=patient, object_ref=f"referral:{referral.pk}", action="create"
    ).exists()


def test_a_partner_in_the_care_network_cannot_refer_the_patient(
    nurse, shared_patient, physio_practice
):
    actor = actor_for(nurse)
    with pytest.raises(PermissionDenied):
        referral_create(
            actor=actor,
            patient_access=patient_access_for(actor=actor, pk=shared_patient.pk),
            to_organisation=physio_practice,
            question="Graag fysio.",
        )
    assert not Referral.objects.exists()


def test_another_practice_cannot_even_reach_the_patient(outsider, patient):
    with pytest.raises(Http404):
        patient_access_for(actor=actor_for(outsider), pk=patient.pk)


@pytest.mark.parametrize(
    "target",
    ["own practice", "another practice", "the care group", "inactive", "awaiting the helpdesk"],
)
def test_a_referral_goes_only_to_a_confirmed_active_network_organisation(
    target, gp, patient, practice, other_practice, gp_user_for_proposals
):
    organisation = {
        "own practice": practice,
        "another practice": other_practice,
        "the care group": OrganisationFactory(kind=OrganisationKind.CARE_GROUP),
        "inactive": OrganisationFactory(kind=OrganisationKind.PHYSIOTHERAPY, is_active=False),
        "awaiting the helpdesk": OrganisationFactory(
            kind=OrganisationKind.PHYSIOTHERAPY, proposed_by=gp_user_for_proposals
        ),
    }[target]
    with pytest.raises(ValidationError) as refused:
        refer(gp, patient, organisation)
    assert "netwerkorganisatie" in " ".join(refused.value.messages)
    assert not Referral.objects.exists()


@pytest.fixture
def gp_user_for_proposals(gp):
    return gp


def test_a_team_of_another_organisation_is_refused(gp, patient, nursing, physio_practice):
    with pytest.raises(ValidationError):
        refer(gp, patient, nursing, team=TeamFactory(organisation=physio_practice))
    assert not Referral.objects.exists()


@pytest.mark.parametrize("question", ["", "   ", "x" * 5001])
def test_an_empty_or_endless_question_is_refused(question, gp, patient, nursing):
    with pytest.raises(ValidationError):
        refer(gp, patient, nursing, question=question)
    assert not Referral.objects.exists()


# --- who sees the patient, and for how long ------------------------------------------------


def test_while_open_the_receivers_see_the_patient_as_the_matrix_allows(
    gp, nurse, team_nurse, physio, patient, nursing
):
    assert not patient.is_visible
    assert not sees(nurse, patient)

    refer(gp, patient, nursing)

    # Not visible to the network and nobody in it yet: the open referral is the relationship.
    assert sees(nurse, patient) and sees(team_nurse, patient)
    assert not sees(physio, patient)
    access = patient_get_for(actor=actor_for(nurse), pk=patient.pk)
    allowed = AuthorisationRule.objects.get(organisation_kind=OrganisationKind.DISTRICT_NURSING)
    assert access.relationship == AccessRelationship.REFERRAL
    assert access.categories == allowed.categories
    entry = AccessLogEntry.objects.filter(patient=patient, user=nurse).latest("pk")
    assert entry.relationship == AccessRelationship.REFERRAL


def test_a_referral_to_a_team_is_seen_by_that_team_only(gp, nurse, team_nurse, patient, team_noord):
    refer(gp, patient, team_noord.organisation, team=team_noord)

    assert sees(team_nurse, patient)
    assert not sees(nurse, patient)  # Thuiszorg, but not in Team Noord
    with pytest.raises(Http404):
        patient_get_for(actor=actor_for(nurse), pk=patient.pk)


def test_a_draft_shows_the_receivers_nothing(gp, nurse, patient, nursing):
    refer(gp, patient, nursing, send=False)

    assert not sees(nurse, patient)


def test_whoever_accepts_joins_the_care_network(gp, nurse, patient, nursing):
    referral = refer(gp, patient, nursing)

    accepted = transition(nurse, referral, "accept")

    assert accepted.state == Referral.State.ACCEPTED
    assert accepted.accepted_by == nurse
    member = CareNetworkMember.objects.current().get(patient=patient, user=nurse)
    assert member.reason == "referral"


def test_after_closing_access_follows_the_care_network_only(
    gp, nurse, team_nurse, patient, nursing
):
    referral = refer(gp, patient, nursing)
    transition(nurse, referral, "accept")
    transition(gp, referral, "close")

    # The patient is not visible to the network: nobody at Thuiszorg sees them any more.
    assert not sees(nurse, patient) and not sees(team_nurse, patient)
    patient.is_visible = True
    patient.save(update_fields=["is_visible"])
    # Visible: the nurse who accepted is in the care network; her colleague is not.
    assert sees(nurse, patient) and not sees(team_nurse, patient)
    access = patient_get_for(actor=actor_for(nurse), pk=patient.pk)
    assert access.relationship == AccessRelationship.CARE_NETWORK


def test_a_cancelled_referral_shows_the_receivers_nothing(gp, nurse, patient, nursing):
    referral = refer(gp, patient, nursing)
    transition(gp, referral, "cancel")

    assert not sees(nurse, patient)


def test_declining_needs_a_reason_and_keeps_it(gp, nurse, patient, nursing):
    referral = refer(gp, patient, nursing)

    with pytest.raises(ValidationError):
        transition(nurse, referral, "decline", reason=" ")
    referral.refresh_from_db()
    assert referral.state == Referral.State.SENT

    declined = transition(nurse, referral, "decline", reason="Geen capaciteit deze maand.")
    assert declined.decline_reason == "Geen capaciteit deze maand."
    assert not sees(nurse, patient)


def test_accepting_what_a_colleague_just_accepted_says_who(gp, nurse, team_nurse, patient, nursing):
    referral = refer(gp, patient, nursing)
    transition(nurse, referral, "accept")

    with pytest.raises(ValidationError) as refused:
        transition(team_nurse, referral, "accept")

    assert "Nynke Wiersma" in refused.value.messages[0]
    assert not CareNetworkMember.objects.filter(patient=patient, user=team_nurse).exists()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite serialises writers; races need PostgreSQL"
)
@pytest.mark.django_db(transaction=True)
def test_two_nurses_accepting_at_the_same_moment_give_one_acceptance(
    gp, nurse, team_nurse, patient, nursing
):
    referral = refer(gp, patient, nursing)
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def accept(user):
        try:
            barrier.wait(5)
            transition(user, referral, "accept")
            outcomes[user.email] = "accepted"
        except ValidationError as error:
            outcomes[user.email] = error.messages[0]
        finally:
            connections.close_all()

    threads = [threading.Thread(target=accept, args=(u,)) for u in (nurse, team_nurse)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert sorted(outcomes.values()).count("accepted") == 1
    loser = next(text for text in outcomes.values() if text != "accepted")
    assert "al in behandeling genomen" in loser
    referral.refresh_from_db()
    assert referral.state == Referral.State.ACCEPTED
    assert referral.events.filter(action="accept").count() == 1
    assert CareNetworkMember.objects.filter(patient=patient, reason="referral").count() == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite serialises writers; races need PostgreSQL"
)
@pytest.mark.django_db(transaction=True)
def test_the_same_form_sent_twice_at_the_same_moment_gives_one_referral(gp, patient, nursing):
    """A double click: two requests with one client key race to insert; the second waits for
    the first to commit, hits the unique key and hands back the first referral."""
    key = uuid.uuid4()
    barrier = threading.Barrier(2)
    results: list[int] = []

    def send():
        try:
            barrier.wait(5)
            results.append(refer(gp, patient, nursing, client_key=key).pk)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    referral = Referral.objects.get()
    assert results == [referral.pk, referral.pk]
    assert referral.events.filter(action="send").count() == 1

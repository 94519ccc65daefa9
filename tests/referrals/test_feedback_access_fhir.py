"""Feedback from the receiver, who sees which referral, and the referral as FHIR."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from fhir.resources.R4B.bundle import Bundle

from accounts.models import OrganisationKind
from network.fhir import OWN_NAME_URL, OWN_PREFIX_URL
from network.models import AccessLogEntry, AuthorisationRule
from referrals.access import referral_get_for, referrals_visible_to
from referrals.fhir import referral_bundle
from referrals.models import Feedback, Referral
from referrals.services import feedback_add, referral_transition
from tests.conversations.conftest import actor_for
from tests.factories import EpisodeFactory
from tests.referrals.conftest import refer

pytestmark = pytest.mark.django_db


def visible(user) -> set[int]:
    return set(referrals_visible_to(actor_for(user)).values_list("pk", flat=True))


def accepted(gp, nurse, patient, nursing) -> Referral:
    referral = refer(gp, patient, nursing)
    return referral_transition(actor=actor_for(nurse), referral=referral, action="accept")


# --- who sees which referral ----------------------------------------------------------------


def test_the_practice_sees_its_drafts_the_receiver_only_what_was_sent(gp, nurse, patient, nursing):
    draft = refer(gp, patient, nursing, send=False)
    sent = refer(gp, patient, nursing)

    assert visible(gp) == {draft.pk, sent.pk}
    assert visible(nurse) == {sent.pk}
    with pytest.raises(Http404):
        referral_get_for(actor=actor_for(nurse), pk=draft.pk)


def test_a_partner_that_was_not_referred_to_gets_404(
    gp, physio, outsider, assistant, patient, nursing
):
    referral = refer(gp, patient, nursing)

    for user in (physio, outsider, assistant):
        assert visible(user) == set()
        with pytest.raises(Http404):
            referral_get_for(actor=actor_for(user), pk=referral.pk)


def test_a_referral_to_a_team_is_for_that_team(gp, nurse, team_nurse, patient, team_noord):
    referral = refer(gp, patient, team_noord.organisation, team=team_noord)

    assert visible(team_nurse) == {referral.pk}
    assert visible(nurse) == set()


def test_the_receiver_keeps_seeing_an_ended_referral_in_its_history(gp, nurse, patient, nursing):
    referral = accepted(gp, nurse, patient, nursing)
    referral_transition(actor=actor_for(gp), referral=referral, action="close")

    assert visible(nurse) == {referral.pk}


# --- feedback ---------------------------------------------------------------------------------


def test_the_receiver_sends_start_feedback_and_it_is_logged(gp, nurse, patient, nursing):
    referral = accepted(gp, nurse, patient, nursing)

    feedback = feedback_add(
        actor=actor_for(nurse),
        referral=referral,
        kind=Feedback.Kind.START,
        findings="Wond 3 x 4 cm, schoon.",
        treatment_plan="Twee keer per week verbinden.",
        sessions=8,
        advice="Graag glucose controleren.",
    )

    assert list(referral.feedback.all()) == [feedback]
    assert feedback.author == nurse and feedback.sessions == 8
    assert AccessLogEntry.objects.filter(
        user=nurse, patient=patient, object_ref=f"referral-feedback:{feedback.pk}"
    ).exists()


def test_feedback_before_acceptance_or_from_the_practice_is_refused(gp, nurse, patient, nursing):
    referral = refer(gp, patient, nursing)

    with pytest.raises(ValidationError):
        feedback_add(actor=actor_for(nurse), referral=referral, kind="start", findings="x")
    referral_transition(actor=actor_for(nurse), referral=referral, action="accept")
    with pytest.raises(PermissionDenied):
        feedback_add(actor=actor_for(gp), referral=referral, kind="start", findings="x")
    assert not Feedback.objects.exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "start"},
        {"kind": "start", "findings": "   "},
        {"kind": "later", "findings": "x"},
        {"kind": "final", "findings": "x" * 10_001},
        {"kind": "final", "findings": "x", "sessions": 9999},
    ],
    ids=["empty", "blank", "unknown-kind", "too-long", "sessions"],
)
def test_bad_feedback_is_refused_and_nothing_is_stored(fields, gp, nurse, patient, nursing):
    referral = accepted(gp, nurse, patient, nursing)

    with pytest.raises(ValidationError):
        feedback_add(actor=actor_for(nurse), referral=referral, **fields)
    assert not Feedback.objects.exists()


# --- FHIR ---------------------------------------------------------------------------------------


def resources(bundle: dict) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for entry in bundle["entry"]:
        found.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    return found


def test_the_referral_is_a_valid_service_request_with_a_task(gp, nurse, patient, nursing):
    EpisodeFactory(patient=patient, icpc_code="S97", title="Ulcus cruris")
    referral = accepted(gp, nurse, patient, nursing)

    bundle = referral_bundle(referral)

    Bundle.model_validate(bundle)
    found = resources(bundle)
    (request,) = found["ServiceRequest"]
    (task,) = found["Task"]
    assert request["status"] == "active" and request["intent"] == "order"
    assert request["note"] == [{"text": "Wondzorg na opname."}]
    assert task["status"] == "in-progress"
    assert task["focus"]["reference"] == next(
        e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] == "ServiceRequest"
    )
    # District nursing may see episodes (default matrix): the ulcus goes along.
    assert [c["code"]["coding"][0]["code"] for c in found["Condition"]] == ["S97"]
    assert found["Patient"][0]["birthDate"] == "1941-03-14"


def test_the_bundle_carries_only_what_the_matrix_allows(gp, nurse, patient, nursing):
    EpisodeFactory(patient=patient, icpc_code="S97", title="Ulcus cruris")
    rule = AuthorisationRule.objects.get(organisation_kind=OrganisationKind.DISTRICT_NURSING)
    rule.identity, rule.episodes = True, False
    rule.save()
    referral = refer(gp, patient, nursing)

    found = resources(referral_bundle(referral))

    assert "Condition" not in found
    [name] = found["Patient"][0]["name"]
    # nl-core name parts: the whole family name, and its own prefix and own name apart.
    assert name["family"] == "van der Meer"
    assert name["_family"]["extension"] == [
        {"url": OWN_PREFIX_URL, "valueString": "van der"},
        {"url": OWN_NAME_URL, "valueString": "Meer"},
    ]


def test_a_declined_referral_is_a_rejected_task_with_the_reason(gp, nurse, patient, nursing):
    referral = refer(gp, patient, nursing)
    referral = referral_transition(
        actor=actor_for(nurse), referral=referral, action="decline", reason="Geen capaciteit."
    )

    (task,) = resources(referral_bundle(referral))["Task"]

    assert task["status"] == "rejected"
    assert task["statusReason"] == {"text": "Geen capaciteit."}

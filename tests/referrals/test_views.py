"""The referral pages, as the GP and the district nurse use them (test client, secure session)."""

from __future__ import annotations

import html as html_module
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from accounts.models import OrganisationKind
from network.models import AccessLogEntry, AuthorisationRule, CareNetworkMember
from referrals.models import Feedback, Referral
from tests.conversations.conftest import PDF_BYTES
from tests.factories import EpisodeFactory, MedicationFactory, PatientFactory
from tests.network.test_matrix_admin import _changelist_post
from tests.referrals.conftest import refer

pytestmark = pytest.mark.django_db


def text(response) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return html_module.unescape(" ".join(re.sub(r"<[^>]+>", " ", page).split()))


@pytest.fixture
def record(patient):
    EpisodeFactory(patient=patient, icpc_code="S97", title="Ulcus cruris")
    MedicationFactory(patient=patient, name="Metformine 500 mg")
    return patient


def test_the_gp_sees_what_the_receiver_will_see_before_sending(login, gp, record, nursing):
    rule = AuthorisationRule.objects.get(organisation_kind=OrganisationKind.DISTRICT_NURSING)
    rule.medication = False
    rule.save()
    url = reverse("referrals:create", args=[record.pk])

    preview = login(gp).get(url, {"to_organisation": nursing.pk})

    page = text(preview)
    assert "Dit ziet de ontvanger: Thuiszorg Friesland" in page
    assert "Ulcus cruris" in page  # episodes: shared with district nursing
    assert "Metformine" not in page  # medication: switched off above
    assert "Verwijzing versturen" in page


def test_sending_a_referral_and_the_nurse_takes_it_into_treatment(
    login, gp, nurse, record, nursing
):
    gp_client, nurse_client = login(gp), login(nurse)
    sent = gp_client.post(
        reverse("referrals:create", args=[record.pk]),
        {"to_organisation": nursing.pk, "urgency": "soon", "question": "Wondzorg 2x per week."},
    )
    referral = Referral.objects.get()
    assert sent.status_code == 302 and sent["Location"] == reverse(
        "referrals:detail", args=[referral.pk]
    )
    assert referral.state == Referral.State.SENT and referral.urgency == "soon"

    inbox = nurse_client.get(reverse("referrals:list"))
    assert "Wondzorg 2x per week." in text(inbox)
    detail = nurse_client.get(reverse("referrals:detail", args=[referral.pk]))
    assertContains(detail, "In behandeling nemen")
    assertContains(detail, "Ulcus cruris")  # the shared data, logged as a referral look
    assert AccessLogEntry.objects.filter(
        user=nurse, patient=record, relationship="referral", object_ref=f"referral:{referral.pk}"
    ).exists()

    accepted = nurse_client.post(
        reverse("referrals:transition", args=[referral.pk, "accept"]), follow=True
    )
    # The same step offers to add colleagues, inline on the referral page.
    assert accepted.redirect_chain[-1][0] == (
        reverse("referrals:detail", args=[referral.pk]) + "#colleagues"
    )
    assert "Voeg hieronder collega's toe" in text(accepted)
    assertContains(accepted, 'id="colleagues"')
    referral.refresh_from_db()
    assert referral.state == Referral.State.ACCEPTED and referral.accepted_by == nurse
    assert CareNetworkMember.objects.current().filter(patient=record, user=nurse).exists()

    nurse_client.post(
        reverse("referrals:feedback", args=[referral.pk]),
        {"kind": "start", "findings": "Wond schoon, 3 x 4 cm.", "sessions": "8"},
    )
    assert Feedback.objects.get().findings == "Wond schoon, 3 x 4 cm."
    gp_view = gp_client.get(reverse("referrals:detail", args=[referral.pk]))
    assert "Wond schoon, 3 x 4 cm." in text(gp_view)
    assertContains(gp_view, "Verwijzing sluiten")

    gp_client.post(reverse("referrals:transition", args=[referral.pk, "close"]))
    referral.refresh_from_db()
    assert referral.state == Referral.State.CLOSED


def test_declining_without_a_reason_says_so_and_changes_nothing(login, gp, nurse, patient, nursing):
    referral = refer(gp, patient, nursing)

    response = login(nurse).post(
        reverse("referrals:transition", args=[referral.pk, "decline"]), {"reason": ""}, follow=True
    )

    assert "Geef aan waarom je de verwijzing afwijst." in text(response)
    referral.refresh_from_db()
    assert referral.state == Referral.State.SENT


def test_a_second_acceptance_is_told_who_was_first(login, gp, nurse, team_nurse, patient, nursing):
    referral = refer(gp, patient, nursing)
    login(nurse).post(reverse("referrals:transition", args=[referral.pk, "accept"]))

    response = login(team_nurse).post(
        reverse("referrals:transition", args=[referral.pk, "accept"]), follow=True
    )

    assert "Deze verwijzing is al in behandeling genomen door Nynke Wiersma." in text(response)


def test_a_change_of_the_matrix_in_the_admin_shows_at_the_next_request(
    login, gp, nurse, helpdesk, record, nursing
):
    referral = refer(gp, record, nursing)
    client = login(nurse)
    url = reverse("referrals:detail", args=[referral.pk])
    assert "Ulcus cruris" in text(client.get(url))

    # The helpdesk switches episodes off for district nursing in the admin's matrix.
    helpdesk_client = Client()
    helpdesk_client.force_login(helpdesk)
    rules = list(AuthorisationRule.objects.order_by("organisation_kind"))
    saved = helpdesk_client.post(
        reverse("admin:network_authorisationrule_changelist"),
        _changelist_post(rules, district_nursing={"episodes": False}),
    )
    assert saved.status_code == 302

    page = text(client.get(url))
    assert "Ulcus cruris" not in page
    assert "Niet gedeeld met jouw soort organisatie." in page


def test_an_organisation_that_does_not_exist_is_a_form_error(login, gp, patient):
    response = login(gp).post(
        reverse("referrals:create", args=[patient.pk]),
        {"to_organisation": "999999", "urgency": "routine", "question": "Graag."},
    )

    assert response.status_code == 422
    assert not Referral.objects.exists()


def test_the_gp_downloads_the_referral_as_fhir_and_it_is_logged(login, gp, patient, nursing):
    referral = refer(gp, patient, nursing)

    response = login(gp).get(reverse("referrals:fhir", args=[referral.pk]))

    assert response["Content-Type"].startswith("application/fhir+json")
    bundle = json.loads(response.content)
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert "ServiceRequest" in kinds and "Task" in kinds
    assert AccessLogEntry.objects.filter(patient=patient, user=gp, action="export").exists()


def test_the_receiver_of_an_ended_referral_keeps_its_history_but_not_the_patient(
    login, gp, nurse, team_nurse, patient, nursing
):
    referral = refer(gp, patient, nursing)
    login(gp).post(reverse("referrals:transition", args=[referral.pk, "cancel"]))

    detail = login(team_nurse).get(reverse("referrals:detail", args=[referral.pk]))

    assert detail.status_code == 200
    assertContains(detail, "geannuleerd")
    assertNotContains(detail, patient.formal_name)
    patient_page = login(team_nurse).get(reverse("network:patient-detail", args=[patient.pk]))
    assert patient_page.status_code == 404
    ended = login(team_nurse).get(reverse("referrals:list"), {"tab": "ended"})
    assertContains(ended, "Wondzorg na opname.")
    assertContains(ended, "Patiënt niet meer met je gedeeld")
    assertNotContains(ended, patient.formal_name)
    assert not AccessLogEntry.objects.filter(
        user=team_nurse, object_ref__startswith="referral_list:"
    ).exists()


def test_every_name_on_the_referral_list_is_logged_for_that_patient(
    login, nurse, gp, practice, nursing
):
    patients = [PatientFactory(practice=practice, his_id=f"lijst-{i}") for i in range(3)]
    for patient in patients:
        refer(gp, patient, nursing)

    page = login(nurse).get(reverse("referrals:list"))

    for patient in patients:
        assertContains(page, patient.formal_name)
    logged = AccessLogEntry.objects.filter(user=nurse, object_ref="referral_list:new:page=1")
    assert sorted(logged.values_list("patient_id", flat=True)) == sorted(p.pk for p in patients)
    assert {entry.relationship for entry in logged} == {"referral"}


def test_the_practice_reads_the_feedback_on_the_patient_page(login, gp, nurse, patient, nursing):
    from referrals.services import feedback_add, referral_transition
    from tests.conversations.conftest import actor_for

    referral = refer(gp, patient, nursing)
    referral_transition(actor=actor_for(nurse), referral=referral, action="accept")
    feedback_add(
        actor=actor_for(nurse), referral=referral, kind="start", advice="Graag HbA1c bepalen."
    )

    page = text(login(gp).get(reverse("network:patient-detail", args=[patient.pk])))

    assert "Thuiszorg Friesland in behandeling" in page
    assert "Laatste terugkoppeling: Graag HbA1c bepalen." in page


def test_questions_go_through_a_conversation_linked_to_the_referral(
    login, gp, nurse, patient, nursing
):
    from conversations.models import Conversation

    referral = refer(gp, patient, nursing)
    nurse_client, gp_client = login(nurse), login(gp)

    # Before anyone accepted, the practice has nobody to ask yet.
    early = gp_client.post(
        reverse("referrals:question", args=[referral.pk]),
        {"body": "Lukt het deze week?", "client_key": "5b7e2f0a-1c3d-4e5f-8a9b-0c1d2e3f4a5b"},
        follow=True,
    )
    assert "Nog niemand heeft deze verwijzing in behandeling" in text(early)
    assert not Conversation.objects.exists()

    asked = nurse_client.post(
        reverse("referrals:question", args=[referral.pk]),
        {
            "body": "Is er een allergie voor pleisters?",
            "client_key": "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b",
        },
    )
    conversation = Conversation.objects.get()
    assert asked["Location"] == reverse("conversations:detail", args=[conversation.pk])
    assert conversation.patient == patient
    assert list(referral.conversations.all()) == [conversation]
    assert {p.user for p in conversation.participants.all()} == {nurse, gp}
    # The GP finds it on the referral.
    page = gp_client.get(reverse("referrals:detail", args=[referral.pk]))
    assertContains(page, reverse("conversations:detail", args=[conversation.pk]))


def test_a_draft_stays_with_the_practice_until_it_is_sent(login, gp, nurse, patient, nursing):
    gp_client = login(gp)
    saved = gp_client.post(
        reverse("referrals:create", args=[patient.pk]),
        {
            "to_organisation": nursing.pk,
            "urgency": "routine",
            "question": "Nog even overleggen met de POH.",
            "save": "draft",
        },
        follow=True,
    )
    referral = Referral.objects.get()
    assert referral.state == Referral.State.DRAFT
    assert "Opgeslagen als concept" in text(saved)
    nurse_client = login(nurse)
    assert nurse_client.get(reverse("referrals:detail", args=[referral.pk])).status_code == 404
    assert "Nog even overleggen" not in text(nurse_client.get(reverse("referrals:list")))

    gp_client.post(reverse("referrals:transition", args=[referral.pk, "send"]))

    referral.refresh_from_db()
    assert referral.state == Referral.State.SENT
    assert nurse_client.get(reverse("referrals:detail", args=[referral.pk])).status_code == 200


def test_the_gp_changes_her_draft_and_adds_a_letter_before_sending(
    login, gp, nurse, patient, nursing, private_files
):
    referral = refer(gp, patient, nursing, send=False, question="Eerste versie.")
    client = login(gp)
    url = reverse("referrals:edit", args=[referral.pk])
    assert "Concept aanpassen" in text(client.get(reverse("referrals:detail", args=[referral.pk])))
    assert login(nurse).get(url).status_code == 404  # drafts stay with the practice

    refused = client.post(
        url,
        {
            "question": "Tweede versie.",
            "urgency": "soon",
            "files": [SimpleUploadedFile("x.pdf", b"MZ")],
        },
    )
    assert refused.status_code == 422
    assert "x.pdf is geen foto" in text(refused)
    referral.refresh_from_db()
    assert referral.question == "Eerste versie."

    saved = client.post(
        url,
        {
            "question": "Tweede versie.",
            "urgency": "soon",
            "files": [SimpleUploadedFile("brief.pdf", PDF_BYTES)],
        },
        follow=True,
    )
    assert "Het concept is opgeslagen." in text(saved)
    referral.refresh_from_db()
    assert (referral.question, referral.urgency, referral.state) == (
        "Tweede versie.",
        "soon",
        "draft",
    )
    assert referral.attachments.get().original_name == "brief.pdf"
    assert AccessLogEntry.objects.filter(
        user=gp, action="update", object_ref=f"referral:{referral.pk}"
    ).exists()

    client.post(reverse("referrals:transition", args=[referral.pk, "send"]))
    after = client.get(url, follow=True)
    assert "Alleen een concept kan worden aangepast." in text(after)

"""Delivering a referral to the receiving organisation's own system, as FHIR.

The real HTTP receiver of the HIS tests (127.0.0.1) plays Thuiszorg Friesland's system: it keeps
every request and stores a Bundle once per ``Idempotency-Key``. Celery runs eagerly; the
``worker_like_retries`` fixture lets a retry run at once, as a worker would later.
"""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from django.urls import reverse
from fhir.resources.R4B.bundle import Bundle

from accounts.models import OrganisationKind
from network.models import AccessLogEntry, AuthorisationRule
from referrals.models import ReferralDelivery, ReferralEndpoint
from referrals.services import referral_transition
from referrals.tasks import referral_deliver_task
from tests.conversations.conftest import PDF_BYTES, actor_for
from tests.conversations.test_his_export import Answer
from tests.factories import EpisodeFactory
from tests.referrals.conftest import refer
from tests.referrals.test_attachments import letter_pdf
from tests.referrals.test_views import text

pytestmark = pytest.mark.django_db

TOKEN = "thuiszorg-token-0123456789"


@pytest.fixture(autouse=True)
def _files_here(private_files):
    return private_files


@pytest.fixture
def connected(nursing, his):
    """Thuiszorg Friesland's system takes referrals at the test receiver."""
    return ReferralEndpoint.objects.create(organisation=nursing, url=his.url, token=TOKEN)


def refer_with_letter(gp, patient, organisation):
    return refer(gp, patient, organisation, question="Wondzorg 2x per week.", files=[letter_pdf()])


def resources(request) -> dict[str, list[dict]]:
    bundle = json.loads(request["body"])
    found: dict[str, list[dict]] = {}
    for entry in bundle["entry"]:
        found.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    return found


def test_a_sent_referral_reaches_the_receivers_system_with_its_letter(
    gp, patient, nursing, connected, his, django_capture_on_commit_callbacks
):
    EpisodeFactory(patient=patient, icpc_code="S97", title="Ulcus cruris")
    with django_capture_on_commit_callbacks(execute=True):
        referral = refer_with_letter(gp, patient, nursing)

    [request] = his.requests
    assert request["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert request["headers"]["Content-Type"] == "application/fhir+json"
    Bundle.model_validate_json(request["body"])
    found = resources(request)
    assert found["Task"][0]["status"] == "requested"
    assert found["ServiceRequest"][0]["note"] == [{"text": "Wondzorg 2x per week."}]
    assert found["Condition"][0]["code"]["text"] == "Ulcus cruris"
    [document] = found["DocumentReference"]
    attachment = document["content"][0]["attachment"]
    assert attachment["title"] == "verwijsbrief.pdf"
    assert base64.b64decode(attachment["data"]) == PDF_BYTES
    delivery = ReferralDelivery.objects.get(referral=referral)
    assert (delivery.status, delivery.attempts) == ("sent", 1)
    assert request["headers"]["Idempotency-Key"] == str(delivery.idempotency_key)
    assert AccessLogEntry.objects.filter(
        user=gp, patient=patient, action="export", object_ref=f"referral-delivery:{delivery.pk}"
    ).exists()


def test_the_bundle_holds_only_what_the_matrix_gives_the_receiver(
    gp, patient, nursing, connected, his, django_capture_on_commit_callbacks
):
    EpisodeFactory(patient=patient, icpc_code="S97", title="Ulcus cruris")
    rule = AuthorisationRule.objects.get(organisation_kind=OrganisationKind.DISTRICT_NURSING)
    rule.episodes = False
    rule.save()
    with django_capture_on_commit_callbacks(execute=True):
        refer_with_letter(gp, patient, nursing)

    assert "Condition" not in resources(his.requests[0])
    assert "Ulcus cruris" not in his.requests[0]["body"].decode()


def test_cancelling_tells_the_receivers_system_too(
    gp, patient, nursing, connected, his, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        referral = refer_with_letter(gp, patient, nursing)
    with django_capture_on_commit_callbacks(execute=True):
        referral_transition(actor=actor_for(gp), referral=referral, action="cancel")

    assert [resources(r)["Task"][0]["status"] for r in his.requests] == ["requested", "cancelled"]
    keys = {r["headers"]["Idempotency-Key"] for r in his.requests}
    assert len(keys) == 2  # two steps, two deliveries


def test_the_receivers_own_steps_are_not_posted_back(
    gp, nurse, patient, nursing, connected, his, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        referral = refer_with_letter(gp, patient, nursing)
        referral_transition(actor=actor_for(nurse), referral=referral, action="accept")

    assert len(his.requests) == 1
    assert ReferralDelivery.objects.count() == 1


def test_without_a_connection_nothing_is_posted_and_nothing_is_shown(
    login, gp, patient, nursing, his, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        referral = refer_with_letter(gp, patient, nursing)

    assert his.requests == [] and not ReferralDelivery.objects.exists()
    page = text(login(gp).get(reverse("referrals:detail", args=[referral.pk])))
    assert "Naar het systeem van" not in page


def test_a_500_is_retried_with_the_same_key_and_the_receiver_keeps_one(
    gp, patient, nursing, connected, his, worker_like_retries, django_capture_on_commit_callbacks
):
    his.script = [Answer(500, "Internal Server Error", stores=True)]
    with django_capture_on_commit_callbacks(execute=True):
        referral = refer_with_letter(gp, patient, nursing)

    delivery = ReferralDelivery.objects.get(referral=referral)
    assert (delivery.status, delivery.attempts) == ("sent", 2)
    assert {r["headers"]["Idempotency-Key"] for r in his.requests} == {
        str(delivery.idempotency_key)
    }
    assert len(his.notes) == 1
    # A repeated task (a worker that died after posting) posts nothing more.
    referral_deliver_task.delay(delivery.pk)
    assert len(his.requests) == 2


def test_a_refusal_is_shown_to_the_gp_with_the_reason(
    login, gp, patient, nursing, connected, his, django_capture_on_commit_callbacks
):
    his.script = [Answer(422, '{"issue": "Onbekende AGB-code"}', stores=False)]
    with django_capture_on_commit_callbacks(execute=True):
        referral = refer_with_letter(gp, patient, nursing)

    delivery = ReferralDelivery.objects.get(referral=referral)
    assert delivery.status == "failed" and delivery.attempts == 1
    page = text(login(gp).get(reverse("referrals:detail", args=[referral.pk])))
    assert "Naar het systeem van Thuiszorg Friesland (verzonden): niet afgeleverd" in page
    assert "Onbekende AGB-code" in page
    # The referral itself stands: the nurses see it in Regiozorg.
    referral.refresh_from_db()
    assert referral.state == "sent"


def test_a_delivered_referral_shows_delivered(
    login, gp, nurse, patient, nursing, connected, his, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        referral = refer_with_letter(gp, patient, nursing)

    for user in (gp, nurse):
        page = text(login(user).get(reverse("referrals:detail", args=[referral.pk])))
        assert "Naar het systeem van Thuiszorg Friesland (verzonden): afgeleverd" in page


def test_the_admin_keeps_the_token_out_of_sight(admin_client_2fa, nursing):
    response = admin_client_2fa.post(
        reverse("admin:referrals_referralendpoint_add"),
        {"organisation": nursing.pk, "url": "https://zorg.thuiszorg.example/fhir", "token": TOKEN},
    )
    assert response.status_code == 302
    endpoint = ReferralEndpoint.objects.get()
    page = admin_client_2fa.get(
        reverse("admin:referrals_referralendpoint_change", args=[endpoint.pk])
    ).content.decode()
    assert TOKEN not in page and f"•••• {TOKEN[-4:]}" in page

    plain = admin_client_2fa.post(
        reverse("admin:referrals_referralendpoint_add"),
        {"organisation": nursing.pk, "url": "http://zorg.example/fhir", "token": str(uuid.uuid4())},
    )
    assert "url" in plain.context["adminform"].form.errors


def test_the_gp_tries_a_failed_delivery_again_and_the_receiver_keeps_one(
    login,
    gp,
    nurse,
    patient,
    nursing,
    connected,
    his,
    worker_like_retries,
    django_capture_on_commit_callbacks,
):
    # Down through every retry: the task gives up and says why.
    his.script = [Answer(503, "Onderhoud", stores=False) for _ in range(7)]
    with django_capture_on_commit_callbacks(execute=True):
        referral = refer_with_letter(gp, patient, nursing)
    delivery = ReferralDelivery.objects.get(referral=referral)
    assert (delivery.status, delivery.attempts) == ("failed", 7)
    assert "na 7 pogingen niet aangenomen (HTTP 503: Onderhoud)" in delivery.last_error
    url = reverse("referrals:delivery-retry", args=[referral.pk, delivery.pk])

    assert login(nurse).post(url).status_code == 403  # the receiver does not resend
    gp_client = login(gp)
    page = text(gp_client.get(reverse("referrals:detail", args=[referral.pk])))
    assert "Opnieuw proberen" in page
    with django_capture_on_commit_callbacks(execute=True):
        retried = gp_client.post(url, follow=True)

    assert "De verwijzing wordt opnieuw afgeleverd." in text(retried)
    delivery.refresh_from_db()
    assert delivery.status == "sent"
    assert {r["headers"]["Idempotency-Key"] for r in his.requests} == {
        str(delivery.idempotency_key)
    }
    assert len(his.notes) == 1
    again = gp_client.post(url, follow=True)  # nothing failed any more
    assert "Deze aflevering is niet mislukt." in text(again)

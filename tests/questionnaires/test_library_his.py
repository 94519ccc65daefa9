"""A response goes to the HIS as FHIR R4: a QuestionnaireResponse with the answers and an
Observation per score (LOINC where it exists, the interpretation, flagged abnormal over the
cut-off); only the patient's own practice exports; logged."""

from __future__ import annotations

import json
import uuid

import pytest
from django.urls import reverse

from his.models import HisEndpoint, HisExport
from network.models import AccessLogEntry
from questionnaires.library_selectors import definition_of, questionnaire_get_any
from questionnaires.library_services import response_bundle
from questionnaires.models import Response
from tests.conversations.test_his_export import TOKEN, his  # noqa: F401  (fixture)
from tests.fhir.receiver import FhirServer
from tests.fhir.validation import assert_valid_r4

pytestmark = pytest.mark.django_db


@pytest.fixture
def phq_response(login, gp, patient, library):
    answers = {f"q-{n}": "LA6570-1" for n in range(1, 10)}  # 2 × 9 = 18
    answers |= {"q-10": "LA6575-0", "client_key": str(uuid.uuid4())}
    login(gp).post(reverse("questionnaires:fill", args=[patient.pk, library["phq-9"].pk]), answers)
    return Response.objects.get()


def _entries(bundle, kind):
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_gp_downloads_the_response_as_valid_fhir(login, gp, patient, phq_response):
    download = login(gp).get(
        reverse("questionnaires:response-fhir", args=[patient.pk, phq_response.pk])
    )
    assert download["Content-Type"] == "application/fhir+json"
    bundle = json.loads(download.content)
    assert_valid_r4(bundle)
    [qr] = _entries(bundle, "QuestionnaireResponse")
    assert qr["questionnaire"] == "https://regiozorg.nl/fhir/Questionnaire/phq-9|1"
    assert qr["item"][0]["answer"][0]["valueCoding"]["code"] == "LA6570-1"
    assert [i["linkId"] for i in qr["item"]][-1] == "10"
    total, item_9 = _entries(bundle, "Observation")
    assert total["code"]["coding"] == [{"system": "http://loinc.org", "code": "44261-6"}]
    assert total["valueQuantity"]["value"] == 18
    assert total["interpretation"][0]["text"] == "Matig ernstige depressieve klachten"
    assert total["interpretation"][0]["coding"][0]["code"] == "A"
    assert total["derivedFrom"][0]["reference"] == f"urn:uuid:{phq_response.uuid}"
    assert item_9["valueQuantity"]["value"] == 2
    entry = AccessLogEntry.objects.filter(user=gp, action="export").latest("id")
    assert entry.object_ref == f"questionnaire-response:{phq_response.pk}:fhir"


def test_gp_makes_a_note_for_the_his_once_for_a_double_click(login, gp, patient, phq_response):
    client = login(gp)
    url = reverse("questionnaires:response-his-export", args=[patient.pk, phq_response.pk])
    client.post(url)
    page = client.post(url, follow=True).content.decode()
    export = HisExport.objects.get()
    assert "O: PHQ-9 totaalscore: 18 (Matig ernstige depressieve klachten)" in export.note_text
    assert "boven de grens" in export.note_text
    assert_valid_r4(export.fhir_json)
    assert "Je praktijk heeft geen HIS-koppeling" in page


def test_the_nurse_who_sees_the_patient_may_not_export(login, nurse, gp, shared_patient, library):
    client = login(nurse)
    client.post(
        reverse("questionnaires:fill", args=[shared_patient.pk, library["mrc-dyspnoe"].pk]),
        {"q-1": "3", "client_key": str(uuid.uuid4())},
    )
    response = Response.objects.get()
    args = [shared_patient.pk, response.pk]
    assert client.get(reverse("questionnaires:response-fhir", args=args)).status_code == 403
    assert client.post(reverse("questionnaires:response-his-export", args=args)).status_code == 403
    assert not HisExport.objects.exists()


def test_the_practice_sends_it_to_its_his_once_and_a_resend_updates_the_same_resources(
    login,
    gp,
    practice,
    patient,
    phq_response,
    his,  # noqa: F811
    committing,
):
    HisEndpoint.objects.create(practice=practice, url=his.url, token=TOKEN)
    client = login(gp)
    url = reverse("questionnaires:response-his-export", args=[patient.pk, phq_response.pk])
    with committing():
        assert client.post(url).status_code == 302
    export = HisExport.objects.get()
    assert export.status == "sent"
    [request] = his.requests
    sent = json.loads(request["body"])
    assert_valid_r4(sent)
    with committing():
        client.post(url)  # a second click on the same response sends nothing new
    assert len(his.requests) == 1

    server = FhirServer()
    definition = definition_of(questionnaire_get_any(phq_response.questionnaire_id))
    bundle = response_bundle(response=phq_response, definition=definition)
    server.transaction(bundle)
    server.transaction(bundle)
    assert len(server.all("QuestionnaireResponse")) == 1
    assert len(server.all("Observation")) == 2 and len(server.all("Patient")) == 1
    [observation, _item_9] = server.all("Observation")
    assert observation["derivedFrom"][0]["reference"].startswith("QuestionnaireResponse/")

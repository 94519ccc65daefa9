"""FHIR R4 Questionnaire import and export: the shipped instruments are valid R4, survive a
round trip through the library unchanged, and a broken file is refused with a Dutch reason."""

import copy
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from questionnaires.library_fhir import FhirImportError, questionnaire_build, questionnaire_parse
from questionnaires.library_selectors import questionnaire_parsed, questionnaire_with_definition
from questionnaires.library_services import (
    instrument_resource,
    instrument_slugs,
    questionnaire_import,
)
from questionnaires.models import Item, Questionnaire, Response
from tests.fhir.validation import assert_valid_r4

pytestmark = pytest.mark.django_db

SHIPPED = ["gad-7", "gfi", "mrc-dyspnoe", "phq-9"]


def test_the_four_free_instruments_are_shipped():
    assert instrument_slugs() == SHIPPED


@pytest.mark.parametrize("slug", SHIPPED)
def test_shipped_instrument_is_valid_r4_and_round_trips_through_the_library(slug):
    resource = instrument_resource(slug)
    assert_valid_r4(resource)
    questionnaire, changed = questionnaire_import(resource=resource)
    assert changed
    stored = questionnaire_with_definition(Questionnaire.objects.all()).get(pk=questionnaire.pk)
    exported = questionnaire_build(questionnaire_parsed(stored))
    assert_valid_r4(exported)
    assert questionnaire_parse(exported) == questionnaire_parse(resource)


def test_loader_is_idempotent(capsys):
    call_command("questionnaires_load")
    counts = (Questionnaire.objects.count(), Item.objects.count())
    call_command("questionnaires_load")
    assert (Questionnaire.objects.count(), Item.objects.count()) == counts == (4, 36)
    assert capsys.readouterr().out.count("unchanged") == 4
    phq = Questionnaire.objects.get(slug="phq-9")
    assert phq.title == "PHQ-9 (depressieve klachten)"
    item_10 = phq.items.get(link_id="10")
    assert not item_10.scored and item_10.conditions.count() == 9


def test_a_changed_import_of_an_answered_version_is_refused(patient, gp):
    questionnaire, _ = questionnaire_import(resource=instrument_resource("mrc-dyspnoe"))
    Response.objects.create(
        questionnaire=questionnaire,
        patient=patient,
        client_key="00000000-0000-0000-0000-000000000001",
        submitted_at="2026-01-01T10:00:00Z",
    )
    changed = instrument_resource("mrc-dyspnoe")
    changed["item"][0]["text"] = "Iets anders"
    with pytest.raises(FhirImportError, match="is al ingevuld"):
        questionnaire_import(resource=changed)
    changed["version"] = "2"
    second, created = questionnaire_import(resource=changed)
    assert created and second.pk != questionnaire.pk


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (lambda r: r.update(resourceType="Patient"), "Dit is geen FHIR-Questionnaire."),
        (lambda r: r.pop("title"), r"heeft een naam \(name\) en een titel \(title\) nodig"),
        (lambda r: r["item"][1].update(linkId="2"), "Twee vragen hebben hetzelfde linkId."),
        (lambda r: r["item"][1].update(type="quantity"), "vraag 2: elke vraag heeft een linkId"),
        (
            lambda r: r["item"][10]["enableWhen"][0].update(question="99"),
            "Vraag 10 hangt af van 99",
        ),
        (lambda r: r["item"][1].pop("answerOption"), "heeft antwoordopties nodig"),
    ],
)
def test_broken_questionnaire_is_refused_in_dutch_and_nothing_is_kept(breakage, message):
    resource = copy.deepcopy(instrument_resource("phq-9"))
    breakage(resource)
    with pytest.raises(FhirImportError, match=message):
        questionnaire_import(resource=resource)
    assert not Questionnaire.objects.exists()


def test_helpdesk_imports_a_licensed_questionnaire_in_the_admin(admin_client_helpdesk):
    resource = instrument_resource("gad-7") | {"name": "ccq", "title": "CCQ (COPD)"}
    upload = _upload(resource)
    response = admin_client_helpdesk.post(
        reverse("admin:questionnaires_questionnaire_import"), {"file": upload}, follow=True
    )
    assert "Geïmporteerd: CCQ (COPD), versie 1." in response.content.decode()
    assert Questionnaire.objects.filter(slug="ccq").exists()


def test_admin_import_of_a_non_json_file_says_so_and_keeps_nothing(admin_client_helpdesk):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("ccq.json", b"<xml/>", content_type="application/json")
    response = admin_client_helpdesk.post(
        reverse("admin:questionnaires_questionnaire_import"), {"file": upload}
    )
    assert "Het bestand is geen JSON." in response.content.decode()
    assert not Questionnaire.objects.exists()


def test_helpdesk_exports_a_questionnaire_as_fhir_json(admin_client_helpdesk):
    questionnaire, _ = questionnaire_import(resource=instrument_resource("phq-9"))
    response = admin_client_helpdesk.get(
        reverse("admin:questionnaires_questionnaire_export", args=[questionnaire.pk])
    )
    assert response["Content-Type"].startswith("application/fhir+json")
    assert 'filename="phq-9-1.json"' in response["Content-Disposition"]
    exported = json.loads(response.content)
    assert_valid_r4(exported)
    assert exported["item"][1]["text"] == "Weinig interesse of plezier in het doen van dingen"


def _upload(resource):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(
        "q.json", json.dumps(resource).encode(), content_type="application/json"
    )


@pytest.fixture
def admin_client_helpdesk(client, helpdesk):
    client.force_login(helpdesk)
    return client

"""The national form's fields, versions with their diff, and two GPs saving at once
(must-show 2 and 3), the one-page PDF (4), query budgets (5)."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from careplans.acp_forms import AcpForm
from careplans.models import ACP_FIELDS, AcpVersion
from tests.careplans.acp_helpers import FULL_FORM, form_data, record

pytestmark = pytest.mark.django_db

# Every field of IKNL's "Uniform vastleggen proactieve zorgplanning", with its Dutch label (the
# names of the PZP dataset's concepts where it names them, e.g. 761 "Wilsbekwaamheid m.b.t.
# medische behandelbeslissingen", 554 "Gesprek gevoerd in bijzijn van", 709 "Wat verder nog
# belangrijk is", 678 "Euthanasie standpunt").
NATIONAL_FORM = {
    "conversation_date": "Datum gesprek",
    "held_by_name": "Gespreksvoerder (naam)",
    "held_by_function": "Functie gespreksvoerder",
    "capacity": "Wilsbekwaamheid m.b.t. medische behandelbeslissingen",
    "capacity_note": "Toelichting wilsbekwaamheid",
    "representative_name": "Wettelijk vertegenwoordiger (naam)",
    "representative_phone": "Telefoonnummer wettelijk vertegenwoordiger",
    "representative_email": "E-mailadres wettelijk vertegenwoordiger",
    "representative_relation": "Relatie wettelijk vertegenwoordiger tot patiënt",
    "contact_name": "Eerste contactpersoon (naam)",
    "contact_phone": "Telefoonnummer eerste contactpersoon",
    "contact_email": "E-mailadres eerste contactpersoon",
    "contact_relation": "Relatie eerste contactpersoon tot patiënt",
    "present": "Gesprek gevoerd in bijzijn van",
    "goal": "Belangrijkste doel van behandeling",
    "goal_note": "Toelichting behandeldoel",
    "resuscitation": "Reanimatie",
    "ventilation": "Invasieve beademing",
    "icu": "Opname op de intensive care",
    "hospital": "Ziekenhuisopname",
    "antibiotics": "Antibiotica",
    "blood_products": "Toediening van bloedproducten",
    "other": "Overige behandeling",
    "other_treatment": "Overige behandeling (welke)",
    **{
        f"{t}_note": "Toelichting"
        for t in (
            "resuscitation",
            "ventilation",
            "icu",
            "hospital",
            "antibiotics",
            "blood_products",
            "other",
        )
    },
    "icd_present": "ICD aanwezig",
    "icd_type": "Type ICD",
    "icd_agreement": "Afspraak over uitzetten ICD",
    "icd_note": "Toelichting ICD",
    "care_wishes": "Wat moeten zorgverleners weten om goede zorg te kunnen geven?",
    "death_place": "Gewenste plek van overlijden",
    "death_place_note": "Toelichting gewenste plek van overlijden",
    "euthanasia": "Euthanasie standpunt",
    "euthanasia_note": "Toelichting standpunt euthanasie",
    "organ_donation": "Keuze orgaandonatie vastgelegd in donorregister?",
    "other_matters": "Wat verder nog belangrijk is",
    "earlier_agreements": "Eerder vastgelegde behandelafspraken",
    "earlier_differ": "Wijken de afspraken af van eerder vastgelegde afspraken?",
    "consent_gp_emergency": "De patiënt geeft toestemming om dit te delen met de huisarts, de "
    "huisartsenpost en de ambulancedienst",
    "consent_network": "De patiënt geeft toestemming om dit te delen met zorgverleners in het "
    "zorgnetwerk",
}
CHOICES_NL = {
    "goal": {
        "Curatief",
        "Palliatief, levensverlengend",
        "Palliatief, uitsluitend symptoomgericht",
        "Onbekend",
    },
    "resuscitation": {"Wel uitvoeren", "Niet uitvoeren", "Anders, namelijk", "Onbekend"},
    "death_place": {"Thuis", "Ziekenhuis", "Verpleeghuis", "Hospice", "Andere plek", "Onbekend"},
}


def test_every_field_of_the_national_form_has_a_place_with_the_national_wording():
    assert set(ACP_FIELDS) == set(NATIONAL_FORM)
    with translation.override("nl"):
        form = AcpForm(members=AcpVersion.objects.none())
        for field, label in NATIONAL_FORM.items():
            if field == "present":
                assert str(AcpVersion._meta.get_field(field).verbose_name) == label
                assert {"present_1_name", "present_1_role", "present_1_relation"} <= set(
                    form.fields
                )
                continue
            assert str(form.fields[field].label) == label, field
        for field, words in CHOICES_NL.items():
            assert {str(label) for _value, label in form.fields[field].choices} == words
        assert str(form.fields["shared_with"].label) == (
            "Welke zorgverleners in het zorgnetwerk mogen het inzien?"
        )


def test_every_save_is_a_new_version_and_the_diff_names_what_changed(
    secure_client, gp, nurse, shared_patient
):
    record(gp, shared_patient, shared_with_users=[nurse])
    record(gp, shared_patient, shared_with_users=[nurse], hospital="dont", hospital_note="")
    versions = AcpVersion.objects.filter(plan__patient=shared_patient).order_by("number")
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].hospital == "other"  # the earlier version is unchanged

    client = secure_client(gp)
    history = client.get(
        reverse("careplans:acp-history", args=[shared_patient.pk])
    ).content.decode()
    assert "Versie 1" in history and "Versie 2" in history and "Gerrit Postma" in history
    old = client.get(reverse("careplans:acp-version", args=[shared_patient.pk, 1])).content.decode()
    assert "Dit is een eerdere versie" in old and "Alleen bij een heupfractuur" in old
    diff = client.get(
        reverse("careplans:acp-compare", args=[shared_patient.pk]), {"van": 1, "naar": 2}
    ).content.decode()
    assert "Ziekenhuisopname" in diff
    assert "<del>Anders, namelijk</del>" in diff and "<ins>Niet uitvoeren</ins>" in diff
    assert "Ziekenhuisopname: toelichting" in diff  # which note changed
    assert "Alleen bij een heupfractuur" in diff  # the note that went
    assert "Reanimatie</th>" not in diff  # unchanged fields are not listed
    # The new version's headline shows in the patient header.
    page = client.get(reverse("network:patient-detail", args=[shared_patient.pk])).content.decode()
    assert "Niet reanimeren" in page and "Geen ziekenhuisopname" in page


def test_second_gp_saving_on_an_old_version_gets_a_clear_message_and_nothing_is_overwritten(
    secure_client, gp, practice, shared_patient
):
    from accounts.levels import Level
    from tests.factories import MembershipFactory, UserFactory

    colleague = UserFactory(email="gp2@delinde.nl", first_name="Sietske", last_name="Bos")
    MembershipFactory(
        user=colleague, organisation=practice, level=Level.A, has_patient_data_access=True
    )
    record(gp, shared_patient, consent_network=None)
    # Both open version 1; the colleague saves first.
    first = secure_client(colleague, client=Client()).post(
        reverse("careplans:acp-edit", args=[shared_patient.pk]),
        form_data(based_on=1, consent_network=None, icu="do", icu_note="Wel IC"),
    )
    assert first.status_code == 302
    second = secure_client(gp, client=Client()).post(
        reverse("careplans:acp-edit", args=[shared_patient.pk]),
        form_data(based_on=1, consent_network=None, antibiotics="dont"),
    )
    assert second.status_code == 409
    body = second.content.decode()
    assert "Sietske Bos heeft een nieuwere versie opgeslagen (versie 2)" in body
    assert "Van jou is niets opgeslagen" in body
    versions = AcpVersion.objects.filter(plan__patient=shared_patient)
    assert versions.count() == 2
    assert versions.get(number=2).icu == "do" and versions.get(number=2).antibiotics == "do"


def test_the_pdf_is_one_page_with_the_treatment_limits_first(
    secure_client, gp, nurse, shared_patient
):
    record(gp, shared_patient, shared_with_users=[nurse], care_wishes="Lang verhaal. " * 400)
    response = secure_client(nurse).get(reverse("careplans:acp-pdf", args=[shared_patient.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    text = " ".join(reader.pages[0].extract_text().split())
    assert "Proactieve zorgplanning (PZP)" in text
    assert "Dijkstra" in text
    limits_at = text.index("Behandelgrenzen")
    assert text.index("Reanimatie") > limits_at
    assert "Niet uitvoeren" in text
    # Then the goal and whom to call, before the conversation itself.
    assert (
        text.index("Behandeldoel") < text.index("Eerste contactpersoon") < text.index("Het gesprek")
    )
    # The limits come before everything else of the plan.
    for later in ("Het gesprek", "Wensen en standpunten", "Gedeeld met"):
        assert text.index(later) > text.index("Toediening van bloedproducten"), later


def _queries(client, url) -> int:
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


# The plan pages: 4 for every page (session, user, memberships, second factor) + patient,
# network member, matrix row, newest version with the share check (4) + the page's access-log
# write (4) + the header's plan query and its headline's log write (5) + the page's own reads
# (the shares, the author's membership for the propose link, the versions or the two compared:
# at most 4), and one advisory lock per log write on PostgreSQL. The same at 1 and 20 versions.
ACP_PAGE_BUDGET = 26


def _lock() -> int:
    return 1 if connection.vendor == "postgresql" else 0


@pytest.mark.parametrize("versions", [1, 20])
def test_plan_pages_cost_the_same_at_1_and_20_versions(
    versions, secure_client, gp, nurse, shared_patient, django_assert_max_num_queries
):
    for _n in range(versions):
        record(gp, shared_patient, shared_with_users=[nurse])
    for user in (gp, nurse):
        client = secure_client(user, client=Client())
        for name, kwargs in (
            ("careplans:acp-detail", {}),
            ("careplans:acp-history", {}),
            ("careplans:acp-compare", {}),
        ):
            url = reverse(name, args=[shared_patient.pk])
            with django_assert_max_num_queries(ACP_PAGE_BUDGET + 2 * _lock()):
                client.get(url, kwargs)


def test_full_form_fixture_covers_every_field():
    covered = {k for k in FULL_FORM if not k.startswith("present_")} | {"present"}
    assert covered == set(ACP_FIELDS)

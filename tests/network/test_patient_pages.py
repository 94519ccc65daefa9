"""Patient pages as practice staff and network partners see them."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse

from accounts.models import OrganisationKind
from network.models import (
    AccessAction,
    AccessLogEntry,
    AccessOutcome,
    AccessRelationship,
    AuthorisationRule,
    CareNetworkMember,
    Patient,
)
from tests.factories import (
    CareNetworkMemberFactory,
    ContraIndicationFactory,
    EpisodeFactory,
    MeasurementFactory,
    MedicationFactory,
    PatientFactory,
)

pytestmark = pytest.mark.django_db


def _last_entry() -> AccessLogEntry:
    return AccessLogEntry.objects.order_by("-id").first()


# --- list and search ----------------------------------------------------------------------


def test_gp_sees_own_practice_patients_and_not_another_practices(
    secure_client, gp, patient, other_practice
):
    PatientFactory(practice=other_practice, surname="Anker")
    client = secure_client(gp)
    response = client.get(reverse("network:patient-list"))
    assert response.status_code == 200
    assert "Meer, G. van der" in response.content.decode()
    assert "Anker" not in response.content.decode()


@pytest.mark.parametrize("query", ["meer", "van der meer", "14-03-1941", "1941-03-14", "14031941"])
def test_gp_finds_patient_by_name_or_date_of_birth(secure_client, gp, patient, practice, query):
    PatientFactory(practice=practice, surname="Dijkstra", birth_date=datetime.date(1956, 8, 2))
    response = secure_client(gp).get(reverse("network:patient-list"), {"q": query})
    body = response.content.decode()
    assert "Meer, G. van der" in body
    assert "Dijkstra" not in body


def test_gp_finds_patient_by_bsn(secure_client, gp, patient, practice):
    PatientFactory(practice=practice, surname="Dijkstra")
    response = secure_client(gp).get(reverse("network:patient-list"), {"q": patient.bsn})
    assert "Meer, G. van der" in response.content.decode()
    assert "Dijkstra" not in response.content.decode()


def test_search_is_logged_with_the_query_not_the_results(secure_client, gp, patient):
    secure_client(gp).get(reverse("network:patient-list"), {"q": "meer"})
    entry = _last_entry()
    assert entry.action == AccessAction.SEARCH
    assert entry.query == "meer"
    assert entry.patient_id is None
    assert entry.user == gp


def test_partner_list_shows_only_visible_patients_in_their_network(
    secure_client, nurse, patient, shared_patient
):
    body = secure_client(nurse).get(reverse("network:patient-list")).content.decode()
    assert "Dijkstra" in body
    assert "Meer" not in body


def test_staff_without_patient_data_access_sees_no_patients_and_is_told_why(
    secure_client, assistant, patient
):
    body = secure_client(assistant).get(reverse("network:patient-list")).content.decode()
    assert "Meer" not in body
    assert "toegang" in body.lower()


def test_list_needs_a_secure_session(client, gp, patient):
    from tests.factories import PASSWORD

    client.post(reverse("account_login"), {"login": gp.email, "password": PASSWORD})
    response = client.get(reverse("network:patient-list"))
    assert response.status_code == 302
    assert "Meer" not in response.content.decode()


# --- patient page -------------------------------------------------------------------------


def test_gp_sees_all_tabs_and_categories(secure_client, gp, patient):
    EpisodeFactory(patient=patient, title="COPD", icpc_code="R95")
    MedicationFactory(patient=patient, name="Tiotropium")
    ContraIndicationFactory(patient=patient, description="Penicilline")
    MeasurementFactory(patient=patient, name="Saturatie", value=94, unit="%")
    client = secure_client(gp)
    overview = client.get(reverse("network:patient-detail", args=[patient.pk])).content.decode()
    assert patient.bsn in overview
    assert "Wie heeft dit dossier ingezien?" in overview
    medical = client.get(reverse("network:patient-medical", args=[patient.pk])).content.decode()
    for text in ("COPD", "Tiotropium", "Penicilline", "Saturatie", "94 %"):
        assert text in medical
    entry = _last_entry()
    assert entry.relationship == AccessRelationship.OWN_PRACTICE
    assert set(entry.data.split(",")) >= {"episodes", "medication", "measurements"}


def test_partner_sees_only_the_categories_the_matrix_allows(secure_client, physio, shared_patient):
    CareNetworkMemberFactory(patient=shared_patient, user=physio)
    EpisodeFactory(patient=shared_patient, title="Artrose knie")
    MeasurementFactory(patient=shared_patient, name="HbA1c", value=53)
    rule = AuthorisationRule.objects.get(organisation_kind=OrganisationKind.PHYSIOTHERAPY)
    assert rule.episodes and not rule.measurements
    body = (
        secure_client(physio)
        .get(reverse("network:patient-medical", args=[shared_patient.pk]))
        .content.decode()
    )
    assert "Artrose knie" in body
    assert "HbA1c" not in body
    assert "Niet gedeeld met jouw soort organisatie" in body
    entry = _last_entry()
    assert entry.relationship == AccessRelationship.CARE_NETWORK
    assert "measurements" not in entry.data.split(",")
    assert "episodes" in entry.data.split(",")


def test_matrix_change_takes_effect_on_the_next_page(secure_client, nurse, shared_patient):
    MedicationFactory(patient=shared_patient, name="Metformine")
    client = secure_client(nurse)
    url = reverse("network:patient-medical", args=[shared_patient.pk])
    assert "Metformine" in client.get(url).content.decode()
    AuthorisationRule.objects.filter(organisation_kind=OrganisationKind.DISTRICT_NURSING).update(
        medication=False
    )
    assert "Metformine" not in client.get(url).content.decode()


def test_partner_without_identity_category_sees_no_address_or_bsn(
    secure_client, nurse, shared_patient
):
    AuthorisationRule.objects.filter(organisation_kind=OrganisationKind.DISTRICT_NURSING).update(
        identity=False
    )
    body = (
        secure_client(nurse)
        .get(reverse("network:patient-detail", args=[shared_patient.pk]))
        .content.decode()
    )
    assert "Dijkstra" in body  # name and date of birth identify the patient
    assert shared_patient.bsn not in body
    assert "Tuinstraat" not in body


@pytest.mark.parametrize("who", ["outsider", "physio", "assistant"])
def test_people_without_a_relationship_get_not_found(secure_client, request, who, shared_patient):
    user = request.getfixturevalue(who)
    response = secure_client(user).get(reverse("network:patient-detail", args=[shared_patient.pk]))
    assert response.status_code == 404
    assert "Dijkstra" not in response.content.decode()
    entry = _last_entry()
    assert entry.outcome == AccessOutcome.DENIED
    assert entry.patient_id == shared_patient.pk


def test_network_member_of_an_invisible_patient_gets_not_found(secure_client, nurse, patient):
    CareNetworkMemberFactory(patient=patient, user=nurse)
    response = secure_client(nurse).get(reverse("network:patient-detail", args=[patient.pk]))
    assert response.status_code == 404


def test_nurse_on_a_patient_outside_her_care_network_gets_the_dutch_not_found_page(
    secure_client, nurse, patient, settings
):
    """As in the embedded mode (`make run`: DEBUG off), never Django's technical 404 page, which
    would list every URL pattern of the site."""
    settings.DEBUG = False
    response = secure_client(nurse).get(reverse("network:patient-detail", args=[patient.pk]))

    assert response.status_code == 404
    page = response.content.decode()
    assert '<h1 class="h3">Pagina niet gevonden</h1>' in page
    assert "Deze pagina bestaat niet, of je hebt er geen toegang toe." in page
    assert "URLconf" not in page and "patienten/&lt;int:pk&gt;/" not in page
    assert patient.surname not in page  # the same page as for a patient who does not exist


def test_ended_network_member_no_longer_sees_the_patient(secure_client, nurse, shared_patient):
    CareNetworkMember.objects.filter(patient=shared_patient).update(
        ended_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    )
    response = secure_client(nurse).get(reverse("network:patient-detail", args=[shared_patient.pk]))
    assert response.status_code == 404


def test_missing_and_forbidden_patient_look_the_same(secure_client, outsider, patient):
    client = secure_client(outsider)
    client.get(reverse("home"))  # shows (and so clears) the "logged in" message
    forbidden = client.get(reverse("network:patient-detail", args=[patient.pk]))
    missing = client.get(reverse("network:patient-detail", args=[patient.pk + 1000]))
    assert forbidden.status_code == missing.status_code == 404

    def without_tokens(response):
        # The CSRF token is masked differently on every response; the path is in "next".
        content = re.sub(rb"[A-Za-z0-9]{64}", b"TOKEN", response.content)
        return re.sub(rb"/patienten/\d+/", b"/patienten/N/", content)

    assert without_tokens(forbidden) == without_tokens(missing)


# --- visibility ---------------------------------------------------------------------------


def test_gp_makes_patient_visible_and_it_is_logged(secure_client, gp, patient):
    response = secure_client(gp).post(
        reverse("network:patient-visibility", args=[patient.pk]), {"visible": "1"}
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.is_visible
    assert patient.visibility_changed_by == gp
    entry = _last_entry()
    assert (entry.action, entry.object_ref) == (AccessAction.UPDATE, "visibility:on")


def test_partner_cannot_change_visibility(secure_client, nurse, shared_patient):
    response = secure_client(nurse).post(
        reverse("network:patient-visibility", args=[shared_patient.pk]), {"visible": "0"}
    )
    assert response.status_code == 403
    shared_patient.refresh_from_db()
    assert shared_patient.is_visible


# --- care network -------------------------------------------------------------------------


def test_network_tab_shows_who_why_and_since_when(secure_client, gp, shared_patient, nurse):
    body = (
        secure_client(gp)
        .get(reverse("network:patient-network", args=[shared_patient.pk]))
        .content.decode()
    )
    assert "Nynke Wiersma" in body
    assert "Thuiszorg Friesland" in body
    assert "met de hand toegevoegd" in body


def test_network_member_adds_a_colleague_from_another_organisation(
    secure_client, nurse, physio, shared_patient
):
    client = secure_client(nurse)
    search = client.get(
        reverse("network:patient-network-candidates", args=[shared_patient.pk]), {"q": "Foppe"}
    )
    assert "Foppe Hiemstra" in search.content.decode()
    membership = physio.memberships.get()
    response = client.post(
        reverse("network:patient-network-add", args=[shared_patient.pk]),
        {"membership": membership.pk},
    )
    assert response.status_code == 302
    member = CareNetworkMember.objects.current().get(patient=shared_patient, user=physio)
    assert member.added_by == nurse
    entry = _last_entry()
    assert entry.action == AccessAction.CREATE
    assert entry.object_ref == f"care_network_member:{member.pk}"


def test_adding_twice_keeps_one_membership(secure_client, gp, physio, patient):
    client = secure_client(gp)
    url = reverse("network:patient-network-add", args=[patient.pk])
    client.post(url, {"membership": physio.memberships.get().pk})
    client.post(url, {"membership": physio.memberships.get().pk})
    assert CareNetworkMember.objects.current().filter(patient=patient, user=physio).count() == 1


def test_helpdesk_staff_cannot_be_added_to_a_care_network(secure_client, gp, patient, helpdesk):
    from tests.factories import MembershipFactory, OrganisationFactory

    kzf = OrganisationFactory(kind=OrganisationKind.CARE_GROUP, name="KZF")
    membership = MembershipFactory(user=helpdesk, organisation=kzf, role="provider")
    secure_client(gp).post(
        reverse("network:patient-network-add", args=[patient.pk]), {"membership": membership.pk}
    )
    assert not CareNetworkMember.objects.filter(patient=patient, user=helpdesk).exists()


def test_member_leaves_the_network_with_a_reason(secure_client, nurse, shared_patient):
    member = CareNetworkMember.objects.get(patient=shared_patient, user=nurse)
    client = secure_client(nurse)
    url = reverse("network:patient-network-end", args=[shared_patient.pk, member.pk])
    empty = client.post(url, {"reason": ""})
    assert empty.status_code == 200
    assert "Geef een reden" in empty.content.decode()
    client.post(url, {"reason": "Zorg afgesloten"})
    member.refresh_from_db()
    assert member.ended_by == nurse
    assert member.end_reason == "Zorg afgesloten"
    assert (
        client.get(reverse("network:patient-detail", args=[shared_patient.pk])).status_code == 404
    )


def test_partner_cannot_end_someone_elses_membership(secure_client, nurse, physio, shared_patient):
    other = CareNetworkMemberFactory(patient=shared_patient, user=physio)
    response = secure_client(nurse).post(
        reverse("network:patient-network-end", args=[shared_patient.pk, other.pk]),
        {"reason": "weg ermee"},
    )
    assert response.status_code == 403
    other.refresh_from_db()
    assert other.ended_at is None


def test_practice_ends_a_partners_membership(secure_client, gp, nurse, shared_patient):
    member = CareNetworkMember.objects.get(patient=shared_patient, user=nurse)
    client = secure_client(gp)
    client.post(
        reverse("network:patient-network-end", args=[shared_patient.pk, member.pk]),
        {"reason": "Verhuisd"},
    )
    member.refresh_from_db()
    assert member.ended_by == gp
    body = client.get(reverse("network:patient-network", args=[shared_patient.pk])).content.decode()
    assert "Eerder betrokken" in body
    assert "Verhuisd" in body


# --- adding by hand -----------------------------------------------------------------------


def test_gp_adds_a_patient_by_hand(secure_client, gp, practice):
    response = secure_client(gp).post(
        reverse("network:patient-create"),
        {
            "initials": "A.",
            "first_name": "Anna",
            "surname": "de Boer",
            "gender": "female",
            "birth_date": "1945-02-11",
            "bsn": "999990019",
            "postal_code": "9051ab",
        },
    )
    assert response.status_code == 302
    created = Patient.objects.get(bsn="999990019")
    assert created.practice == practice
    assert created.postal_code == "9051 AB"
    assert not created.is_visible
    assert _last_entry().action == AccessAction.CREATE


def test_bsn_failing_the_eleven_test_is_refused_in_dutch(secure_client, gp):
    response = secure_client(gp).post(
        reverse("network:patient-create"),
        {"surname": "Test", "gender": "male", "birth_date": "1950-01-01", "bsn": "123456789"},
    )
    assert response.status_code == 200
    assert "elfproef" in response.content.decode()
    assert not Patient.objects.filter(bsn="123456789").exists()


def test_duplicate_bsn_in_the_practice_is_refused(secure_client, gp, patient):
    response = secure_client(gp).post(
        reverse("network:patient-create"),
        {"surname": "Dubbel", "gender": "male", "birth_date": "1950-01-01", "bsn": patient.bsn},
    )
    assert response.status_code == 200
    assert not Patient.objects.filter(surname="Dubbel").exists()


def test_partner_cannot_add_patients(secure_client, nurse):
    assert secure_client(nurse).get(reverse("network:patient-create")).status_code == 403


# --- who looked -------------------------------------------------------------------------


def test_practice_sees_who_looked_at_the_record(secure_client, gp, nurse, shared_patient, client):
    from django.test import Client

    nurse_client = Client()
    secure_client(nurse, client=nurse_client)
    nurse_client.get(reverse("network:patient-detail", args=[shared_patient.pk]))
    body = (
        secure_client(gp)
        .get(reverse("network:patient-access-log", args=[shared_patient.pk]))
        .content.decode()
    )
    assert "Nynke Wiersma" in body
    assert "Thuiszorg Friesland" in body
    assert "zorgnetwerk" in body
    entry = _last_entry()
    assert entry.object_ref == "access_log"
    assert entry.user == gp


def test_access_overview_filters_by_period(secure_client, gp, patient):
    client = secure_client(gp)
    client.get(reverse("network:patient-detail", args=[patient.pk]))
    url = reverse("network:patient-access-log", args=[patient.pk])
    body = client.get(url, {"since": "2001-01-01", "until": "2001-12-31"}).content.decode()
    assert "Geen regels in deze periode" in body


def test_partner_may_not_read_the_access_overview(secure_client, nurse, shared_patient):
    response = secure_client(nurse).get(
        reverse("network:patient-access-log", args=[shared_patient.pk])
    )
    assert response.status_code == 403
    assert _last_entry().outcome == AccessOutcome.DENIED


def test_access_overview_export_is_a_logged_csv(secure_client, gp, patient):
    client = secure_client(gp)
    client.get(reverse("network:patient-detail", args=[patient.pk]))
    response = client.get(reverse("network:patient-access-log-export", args=[patient.pk]))
    assert response["Content-Type"].startswith("text/csv")
    assert "Gerrit Postma" in response.content.decode("utf-8-sig")
    assert _last_entry().action == AccessAction.EXPORT


def test_print_is_logged_as_print(secure_client, gp, patient):
    response = secure_client(gp).get(reverse("network:patient-print", args=[patient.pk]))
    assert "Vertrouwelijke medische informatie" in response.content.decode()
    assert _last_entry().action == AccessAction.PRINT


# --- fail closed --------------------------------------------------------------------------


def test_patient_data_is_not_shown_when_the_access_log_cannot_be_written(
    secure_client, gp, patient, monkeypatch
):
    from django.db import OperationalError

    from network.models import AccessLogEntry

    client = secure_client(gp)

    def refuse(*args, **kwargs):  # the log's database refuses writes (disk full, say)
        raise OperationalError("could not extend file: No space left on device")

    monkeypatch.setattr(AccessLogEntry.objects, "bulk_create", refuse)
    response = client.get(reverse("network:patient-detail", args=[patient.pk]))
    assert response.status_code == 503
    body = response.content.decode()
    assert "Meer" not in body
    assert patient.bsn not in body
    assert "inzageregister" in body.lower()

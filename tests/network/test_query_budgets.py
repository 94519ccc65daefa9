"""Patient pages run a fixed number of queries, whatever the number of patients and their data.

Each budget is the same at 10 and at 100 objects. What a page costs (per request):
session + user + memberships (3), authentication records are in the session, the access rule
and page (count + rows, or the patient), the access-log write (advisory lock on PostgreSQL,
last hash, insert; savepoint pair), and the page's own data — one query per list shown.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import (
    AbsenceFactory,
    CareNetworkMemberFactory,
    ContraIndicationFactory,
    EpisodeFactory,
    MeasurementFactory,
    MedicationFactory,
    MembershipFactory,
    OrganisationFactory,
    PatientFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# Why these numbers: 4 for every page (session, user, memberships, "has a second factor?") + 4
# for the access-log write (savepoint, previous hash, insert, release; PostgreSQL adds the
# advisory lock, see ``_lock``) + the page's own queries; every patient page (under its header)
# also asks the care plans app once whether there is an advance care plan to show (+1, HEADER):
HEADER = 1
LIST_BUDGET = 8 + 2  # count and page of patients
PATIENT_PAGE_BUDGET = (
    8 + 10 + HEADER
)  # patient, network member, matrix row, 3 summary lists, network (2),
# referrals with their latest feedback (1), the health plan's counts (1)
MEDICAL_BUDGET = 8 + 7 + HEADER  # patient, network member, matrix row, one query per category (4)
NETWORK_BUDGET = (
    8 + 5 + HEADER
)  # patient, network member, matrix row, members with their absences (2)
ACCESS_LOG_BUDGET = 8 + 3 + HEADER  # patient, count and page of entries


def _fill(practice, nurse, n: int):
    """``n`` patients, each with ``n``-scaled data on the first one."""
    patients = PatientFactory.create_batch(n, practice=practice, is_visible=True)
    first = patients[0]
    for _ in range(n):
        EpisodeFactory(patient=first)
        MedicationFactory(patient=first)
        ContraIndicationFactory(patient=first)
        MeasurementFactory(patient=first)
    nursing = nurse.memberships.get().organisation
    for patient in patients:
        CareNetworkMemberFactory(patient=patient, user=nurse, organisation=nursing)
    for _ in range(min(n, 40)):  # many providers in one network, some absent
        membership = MembershipFactory(organisation=nursing, user=UserFactory())
        AbsenceFactory(user=membership.user)
        CareNetworkMemberFactory(patient=first, user=membership.user, organisation=nursing)
    return first


def _lock() -> int:
    """The advisory lock that serialises access-log writers exists on PostgreSQL only."""
    return 1 if connection.vendor == "postgresql" else 0


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return len(captured)


@pytest.mark.parametrize("n", [10, 100])
@pytest.mark.parametrize(
    ("who", "url_name", "budget"),
    [
        ("gp", "network:patient-list", LIST_BUDGET),
        ("nurse", "network:patient-list", LIST_BUDGET),
        ("gp", "network:patient-detail", PATIENT_PAGE_BUDGET),
        ("nurse", "network:patient-detail", PATIENT_PAGE_BUDGET),
        ("gp", "network:patient-medical", MEDICAL_BUDGET),
        ("nurse", "network:patient-medical", MEDICAL_BUDGET),
        ("gp", "network:patient-network", NETWORK_BUDGET),
        ("nurse", "network:patient-network", NETWORK_BUDGET),
        ("gp", "network:patient-access-log", ACCESS_LOG_BUDGET),
    ],
)
def test_patient_pages_stay_within_their_query_budget(
    request,
    secure_client,
    practice,
    nurse,
    gp,
    n,
    who,
    url_name,
    budget,
    django_assert_max_num_queries,
):
    first = _fill(practice, nurse, n)
    client = secure_client(request.getfixturevalue(who))
    url = (
        reverse(url_name)
        if url_name == "network:patient-list"
        else reverse(url_name, args=[first.pk])
    )
    for _ in range(3):  # some access-log entries for the overview page
        client.get(url)
    with django_assert_max_num_queries(budget + _lock()):
        response = client.get(url)
    assert response.status_code == 200


@pytest.mark.parametrize(
    "url_name",
    [
        "network:patient-list",
        "network:patient-detail",
        "network:patient-medical",
        "network:patient-network",
    ],
)
def test_query_count_does_not_grow_with_the_data(secure_client, practice, nurse, gp, url_name):
    client = secure_client(gp)
    small = _fill(practice, nurse, 10)
    url = (
        reverse(url_name)
        if url_name == "network:patient-list"
        else reverse(url_name, args=[small.pk])
    )
    client.get(url)
    at_ten = _queries(client, url)
    other_practice = OrganisationFactory()
    big = _fill(practice, nurse, 100)
    PatientFactory.create_batch(50, practice=other_practice)
    url = (
        reverse(url_name)
        if url_name == "network:patient-list"
        else reverse(url_name, args=[big.pk])
    )
    client.get(url)
    assert _queries(client, url) == at_ten

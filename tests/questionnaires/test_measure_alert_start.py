"""The start page's *Signalen thuismetingen*: the practice's open home-measurement alerts —
whose, which reading, when, a link to the patient's measurements — for the people the alert
e-mail goes to (the practice's own staff with patient-data access), nobody else. A handled
alert leaves the list; raising or handling one refreshes the practice's open start pages after
the commit. The names shown are logged; the queries stay the same for 10 and 100 alerts."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conversations import realtime
from network.models import AccessLogEntry
from questionnaires.measure_access import measurements_access_for
from questionnaires.measure_services import alert_handle, measurement_record, threshold_set
from questionnaires.models import HomeMeasurement, MeasurementAlert
from tests.conversations.conftest import actor_for
from tests.conversations.test_consumers import connected, cookie_of  # noqa: F401  (fixture)
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

KEY = "measurement-alerts"


def limits(gp, patient):
    actor = actor_for(gp)
    access = measurements_access_for(actor=actor, pk=patient.pk, need="thresholds")
    return threshold_set(actor=actor, access=access, kind="blood_pressure", high=Decimal(160))


def reading(user, patient, value="185", value2="95", hours_ago=1):
    actor = actor_for(user)
    access = measurements_access_for(actor=actor, pk=patient.pk, need="enter")
    return measurement_record(
        actor=actor,
        access=access,
        kind="blood_pressure",
        value=Decimal(value),
        value2=Decimal(value2),
        measured_at=timezone.now() - datetime.timedelta(hours=hours_ago),
        client_key=uuid.uuid4(),
    )


def handle(gp, alert):
    actor = actor_for(gp)
    access = measurements_access_for(actor=actor, pk=alert.patient_id, need="thresholds")
    return alert_handle(actor=actor, access=access, alert_pk=alert.pk)


def blocks_of(client) -> dict:
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return {block.key: block for block in response.context["blocks"]}


def alerts_in_bulk(gp, practice, n: int) -> None:
    """``n`` open alerts over five patients of the practice (one limit each)."""
    patients = [PatientFactory(practice=practice) for _ in range(5)]
    thresholds = [limits(gp, p) for p in patients]
    now = timezone.now()
    readings = HomeMeasurement.objects.bulk_create(
        HomeMeasurement(
            patient=patients[i % 5],
            kind="blood_pressure",
            value=Decimal(170 + i % 30),
            value2=Decimal(90),
            unit="mmHg",
            measured_at=now - datetime.timedelta(minutes=i),
            entered_by=gp,
            organisation=practice,
            client_key=uuid.uuid4(),
        )
        for i in range(n)
    )
    MeasurementAlert.objects.bulk_create(
        MeasurementAlert(threshold=thresholds[i % 5], patient=r.patient, measurement=r)
        for i, r in enumerate(readings)
    )


@pytest.fixture
def alert(gp, nurse, shared_patient):
    """The district nurse measured 185/95 at Sjoerd's; the gp's limit is 160."""
    limits(gp, shared_patient)
    reading(nurse, shared_patient)
    return MeasurementAlert.objects.get()


def test_the_gp_of_the_practice_sees_the_alert_with_a_link_to_the_measurements(
    client, gp, shared_patient, alert
):
    client.force_login(gp)
    block = blocks_of(client)[KEY]
    assert block.title == "Signalen thuismetingen" and block.count == 1
    [row] = block.rows
    assert row.title == shared_patient.formal_name
    assert row.line == "Bloeddruk: 185/95 mmHg"
    assert row.url == reverse("measurements:page", args=[shared_patient.pk])
    page = client.get(reverse("home")).content.decode()
    assert shared_patient.formal_name in page and "185/95 mmHg" in page
    assert 'hx-trigger="live-alerts from:body"' in page
    # The name shown is logged as read (NEN 7513), with the measurements it shows.
    assert AccessLogEntry.objects.filter(
        user=gp,
        patient=shared_patient,
        object_ref="start",
        relationship="own_practice",
        data__contains="measurements",
    ).exists()


def test_network_partners_and_other_practices_do_not_see_the_alert(
    client, nurse, outsider, assistant, physio, shared_patient, alert
):
    # The nurse who measured, in the patient's care network, gets no block: the practice
    # watches its limits. Nor the practice's assistant without patient-data access.
    for user in (nurse, assistant, physio):
        client.force_login(user)
        assert KEY not in blocks_of(client)
        assert client.get(reverse("start-block", args=[KEY])).status_code == 404
        assert shared_patient.formal_name not in client.get(reverse("home")).content.decode()
    # Another practice's gp has the block, for their own practice: empty.
    client.force_login(outsider)
    assert blocks_of(client)[KEY].count == 0
    fragment = client.get(reverse("start-block", args=[KEY])).content.decode()
    assert "Geen open signalen" in fragment and shared_patient.formal_name not in fragment


def test_a_handled_alert_disappears(client, gp, shared_patient, alert):
    client.force_login(gp)
    assert blocks_of(client)[KEY].count == 1
    handle(gp, alert)
    block = blocks_of(client)[KEY]
    assert block.count == 0 and block.rows == []
    fragment = client.get(reverse("start-block", args=[KEY])).content.decode()
    assert shared_patient.formal_name not in fragment


def test_the_push_goes_to_the_practice_after_the_commit(
    gp, nurse, outsider, assistant, shared_patient, committing, monkeypatch
):
    published = []
    monkeypatch.setattr(realtime, "_publish", published.extend)
    limits(gp, shared_patient)
    with committing():
        reading(nurse, shared_patient)
        assert published == []  # nothing before the commit
    pushed_to = {
        group for group, event in published if event["type"] == "measurement_alerts.changed"
    }
    # The practice's staff with patient-data access; not the nurse who measured, not the
    # assistant, not another practice.
    assert pushed_to == {realtime.user_group(gp.pk)}
    published.clear()
    with committing():
        handle(gp, MeasurementAlert.objects.get())
        assert published == []
    assert [event["type"] for _group, event in published] == ["measurement_alerts.changed"]
    # A reading within the limits raises nothing, and pushes nothing.
    published.clear()
    with committing():
        reading(nurse, shared_patient, value="130", value2="80")
    assert published == []


@pytest.mark.django_db(transaction=True)
def test_an_alert_refreshes_the_gps_open_start_page_and_not_the_nurses(
    client,
    gp,
    nurse,
    shared_patient,
    cookie_of,  # noqa: F811
):
    """Must the gp reload to see a new alert? No: the practice's open pages get an "alerts"
    frame after the commit (no data in it), and the block, fetched again, holds the alert. The
    nurse who entered the reading gets no such frame. Handling it tells the page again."""
    limits(gp, shared_patient)
    gp_cookie, nurse_cookie = cookie_of(gp), cookie_of(nurse)

    async def scenario():
        async with connected(gp_cookie) as gp_socket, connected(nurse_cookie) as nurse_socket:
            await database_sync_to_async(reading)(nurse, shared_patient)
            assert (await gp_socket.next("alerts")) == {"type": "alerts"}
            assert [f["type"] for f in await nurse_socket.rest()].count("alerts") == 0
            alert = await database_sync_to_async(MeasurementAlert.objects.get)()
            await database_sync_to_async(handle)(gp, alert)
            assert (await gp_socket.next("alerts")) == {"type": "alerts"}

    async_to_sync(scenario)()


# --- query budgets: the same at 10 and at 100 alerts --------------------------------------
# The block fetched again (htmx, on a live event): session, user, memberships, "has a second
# factor?" (4); the alerts and their count in one query (1); one access-log write for the
# names shown (savepoint, previous hash, insert, release, advisory lock on PostgreSQL: 5); 1
# slack for a session write. A query per alert would add 5 (the rows shown) or n.
BLOCK_BUDGET = 4 + 1 + 5 + 1
# The list behind "Alle open signalen": the secure-session check reads no more; the count and
# one page of rows (2), the log write (5), 1 slack.
LIST_BUDGET = 4 + 2 + 5 + 1


@pytest.mark.parametrize("n", [10, 100])
def test_the_block_costs_the_same_queries_for_10_and_100_alerts(
    client, gp, practice, n, django_assert_max_num_queries
):
    alerts_in_bulk(gp, practice, n)
    client.force_login(gp)
    client.get(reverse("home"))  # settle the session's first-request writes
    with django_assert_max_num_queries(BLOCK_BUDGET):
        fragment = client.get(reverse("start-block", args=[KEY])).content.decode()
    block = blocks_of(client)[KEY]
    assert block.count == n and len(block.rows) == 5
    # Capped at five, with a link to all of them.
    assert fragment.count('class="fw-semibold"') == 5
    assert f"{reverse('measurements:practice-alerts')}" in fragment and f"({n})" in fragment


@pytest.mark.parametrize("n", [10, 100])
def test_the_list_of_all_alerts_costs_the_same_queries_for_10_and_100(
    secure_client, gp, practice, n, django_assert_max_num_queries
):
    alerts_in_bulk(gp, practice, n)
    client = secure_client(gp)
    url = reverse("measurements:practice-alerts")
    client.get(url)
    with django_assert_max_num_queries(LIST_BUDGET):
        page = client.get(url).content.decode()
    assert page.count('<tr id="alert-') == min(n, 25)
    assert ("Volgende" in page) == (n > 25)


def test_the_list_of_all_alerts_is_for_the_practice_only(
    secure_client, gp, nurse, outsider, shared_patient, alert
):
    url = reverse("measurements:practice-alerts")
    page = secure_client(gp).get(url).content.decode()
    assert shared_patient.formal_name in page and "185/95 mmHg" in page
    assert AccessLogEntry.objects.filter(
        user=gp, patient=shared_patient, object_ref="measurement_alerts:page=1"
    ).exists()
    assert secure_client(nurse, client=Client()).get(url).status_code == 403
    other = secure_client(outsider, client=Client()).get(url)
    assert other.status_code == 200 and shared_patient.formal_name not in other.content.decode()

"""The start page as the day's work queue (*Vandaag*): each block appears when its case
exists, counts right, shows nothing of patients the reader may not see, costs the same queries
for 10 and 100 items, and is fetched again when the socket says something changed."""

from __future__ import annotations

import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from conversations.models import Conversation
from his.models import HisExport
from his.services import his_export_fail
from network.models import AccessLogEntry, CareNetworkMember
from referrals.delivery import referral_delivery_fail
from referrals.models import ReferralDelivery
from referrals.services import feedback_add, referral_transition
from tests.conversations.conftest import actor_for, send, start
from tests.conversations.test_consumers import connected, cookie_of  # noqa: F401  (fixture)
from tests.factories import AbsenceFactory, MembershipFactory, UserFactory
from tests.referrals.conftest import refer

pytestmark = pytest.mark.django_db


def _blocks(client) -> dict:
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return {block.key: block for block in response.context["blocks"]}


def _fragment(client, key: str) -> str:
    response = client.get(reverse("start-block", args=[key]))
    assert response.status_code == 200
    return response.content.decode()


def _failed_delivery(referral):
    return ReferralDelivery.objects.create(
        referral=referral,
        event=referral.events.get(action="send"),
        fhir_json={},
        status=ReferralDelivery.Status.FAILED,
        last_error="Het systeem van de ontvanger weigerde de verwijzing.",
    )


def _failed_his_export(conversation, practice, gp):
    return HisExport.objects.create(
        source_type=ContentType.objects.get_for_model(Conversation),
        source_id=conversation.pk,
        practice=practice,
        requested_by=gp,
        note_text="S: wond",
        fhir_json={},
        status=HisExport.Status.FAILED,
        last_error="Het HIS antwoordde niet.",
    )


# --- each block when its case exists -------------------------------------------------------


def test_gp_sees_the_unread_conversation_with_its_first_line_and_the_read_is_logged(
    client, gp, nurse, shared_patient
):
    conversation = start(
        nurse, gp, subject="Wond linkervoet", body="Wil je morgen kijken?\nTweede regel"
    )
    start(nurse, gp, subject="Over Sjoerd", patient=shared_patient, body="Suiker te hoog")
    client.force_login(gp)
    blocks = _blocks(client)
    assert blocks["conversations"].count == 2
    content = client.get(reverse("home")).content.decode()
    assert reverse("conversations:detail", args=[conversation.pk]) in content
    assert "Wil je morgen kijken?" in content
    assert "Tweede regel" not in content
    assert shared_patient.formal_name in content
    logged = AccessLogEntry.objects.filter(patient=shared_patient, object_ref="start")
    assert logged.exists()


def test_read_conversation_leaves_the_block(client, gp, nurse):
    conversation = start(nurse, gp, subject="Gelezen")
    send(gp, conversation, "Gezien")  # the gp's answer: nothing unread for them
    client.force_login(gp)
    assert _blocks(client)["conversations"].count == 0
    assert "Geen ongelezen gesprekken." in _fragment(client, "conversations")


def test_consultation_waiting_for_the_shared_inbox_says_how_long(
    client, gp, nurse, nursing, time_machine
):
    from conversations.models import SharedInbox, SharedInboxMember

    inbox = SharedInbox.objects.create(organisation=nursing, name="Wijkverpleging Noord")
    SharedInboxMember.objects.create(inbox=inbox, user=nurse, added_by=nurse)
    time_machine.move_to("2026-03-04 09:00 +01:00")
    start(gp, kind="consultation", subject="Medicatiebeoordeling", inboxes=[inbox])
    time_machine.move_to("2026-03-04 11:05 +01:00")
    client.force_login(nurse)
    block = _blocks(client)["consultations"]
    assert block.count == 1
    assert "wacht 2\xa0uur" in block.rows[0].note  # timesince keeps number and unit together
    # The gp asked: it waits for others, not for the gp.
    client.force_login(gp)
    assert _blocks(client)["consultations"].count == 0


def test_nurse_sees_a_new_referral_and_the_menu_badge_counts_it(
    client, gp, nurse, patient, nursing
):
    referral = refer(gp, patient, nursing, question="Wondzorg na opname.\nGraag dagelijks.")
    client.force_login(nurse)
    block = _blocks(client)["referrals-new"]
    assert block.count == 1
    assert block.rows[0].title == patient.formal_name
    assert block.rows[0].url == reverse("referrals:detail", args=[referral.pk])
    assert block.rows[0].line == "Wondzorg na opname."
    badge = client.get(reverse("referrals:new-badge")).content.decode()
    assert 'id="new-referrals"' in badge and ">1<" in badge
    assert (
        'hx-get="' + reverse("referrals:new-badge") in client.get(reverse("home")).content.decode()
    )


def test_practice_sees_new_feedback_failed_delivery_and_failed_his_export(
    client, gp, nurse, patient, shared_patient, nursing, practice
):
    with_feedback = refer(gp, patient, nursing)
    nurse_actor = actor_for(nurse)
    referral_transition(actor=nurse_actor, referral=with_feedback, action="accept")
    feedback_add(actor=nurse_actor, referral=with_feedback, kind="start", findings="Wond schoon.")
    not_delivered = refer(gp, shared_patient, nursing)
    _failed_delivery(not_delivered)
    conversation = start(gp, nurse, patient=shared_patient, subject="Export")
    _failed_his_export(conversation, practice, gp)
    client.force_login(gp)
    blocks = _blocks(client)
    attention = blocks["referrals-attention"]
    assert attention.count == 2
    notes = {row.url: row.note for row in attention.rows}
    assert "nieuwe terugkoppeling" in notes[reverse("referrals:detail", args=[with_feedback.pk])]
    assert "mislukt" in notes[reverse("referrals:detail", args=[not_delivered.pk])]
    failed = blocks["his-failed"]
    assert failed.count == 1
    assert failed.rows[0].url == reverse("conversations:detail", args=[conversation.pk])
    assert failed.rows[0].line == "Het HIS antwoordde niet."
    # Exported again since: the failure is no longer work.
    HisExport.objects.create(
        source_type=ContentType.objects.get_for_model(Conversation),
        source_id=conversation.pk,
        practice=practice,
        requested_by=gp,
        note_text="S: wond",
        fhir_json={},
        status=HisExport.Status.SENT,
    )
    assert _blocks(client)["his-failed"].count == 0


def test_a_colleague_absent_today_is_listed(client, gp, practice):
    colleague = UserFactory(first_name="Afke", last_name="Afwezig")
    MembershipFactory(user=colleague, organisation=practice)
    AbsenceFactory(user=colleague, message="Vervanging via Jelle")
    client.force_login(gp)
    block = _blocks(client)["absent"]
    assert block.count == 1
    assert block.rows[0].title == "Afke Afwezig"
    assert block.rows[0].line == "Vervanging via Jelle"


def test_each_person_gets_only_the_blocks_of_their_work(client, gp, nurse, assistant, helpdesk):
    client.force_login(gp)
    assert set(_blocks(client)) == {
        "conversations",
        "consultations",
        "referrals-attention",
        "measurement-alerts",
        "his-failed",
        "my-actions",
        "absent",
    }
    client.force_login(nurse)
    assert set(_blocks(client)) == {
        "conversations",
        "consultations",
        "referrals-new",
        "my-actions",
        "absent",
    }
    client.force_login(assistant)  # level E: messages, no patient data
    assert set(_blocks(client)) == {"conversations", "consultations", "absent"}
    client.force_login(helpdesk)
    response = client.get(reverse("home"))
    assert response.context["blocks"] == []
    assert reverse("admin:index") in response.content.decode()
    assert "Zorgverlener" not in response.content.decode()
    assert client.get(reverse("start-block", args=["nonsense"])).status_code == 404


# --- nothing of others' patients ------------------------------------------------------------


def test_nurse_outside_the_care_network_sees_no_row_about_the_patient(
    client, gp, nurse, shared_patient
):
    start(gp, nurse, subject="Over Sjoerd", patient=shared_patient, body="Suiker te hoog")
    CareNetworkMember.objects.filter(patient=shared_patient, user=nurse).update(
        ended_at="2026-01-01T00:00:00Z"
    )
    client.force_login(nurse)
    content = client.get(reverse("home")).content.decode()
    assert _blocks(client)["conversations"].count == 0
    assert "Over Sjoerd" not in content
    assert shared_patient.formal_name not in content
    assert "Suiker te hoog" not in _fragment(client, "conversations")


def test_referral_to_a_team_is_new_only_for_that_teams_members(
    client, gp, nurse, team_nurse, team_noord, patient, nursing
):
    refer(gp, patient, nursing, team=team_noord)
    client.force_login(nurse)  # not in Team Noord
    assert _blocks(client)["referrals-new"].count == 0
    assert patient.formal_name not in client.get(reverse("home")).content.decode()
    assert ">1<" not in client.get(reverse("referrals:new-badge")).content.decode()
    client.force_login(team_nurse)
    assert _blocks(client)["referrals-new"].count == 1


def test_another_practice_sees_nothing_of_de_lindes_work(
    client, gp, outsider, nurse, patient, shared_patient, nursing, practice
):
    refer(gp, patient, nursing)
    _failed_delivery(refer(gp, shared_patient, nursing))
    _failed_his_export(start(gp, nurse, patient=shared_patient), practice, gp)
    client.force_login(outsider)
    blocks = _blocks(client)
    assert all(block.count == 0 for block in blocks.values())
    content = client.get(reverse("home")).content.decode()
    assert patient.formal_name not in content and shared_patient.formal_name not in content


# --- query budgets: the same at 10 and at 100 items in every block ------------------------
# Every page: 4 (session, user, memberships, "has a second factor?"). Then per block a count,
# and the rows shown when there are any: conversations 2, consultations 2, referrals with
# feedback or a failed delivery 2, failed HIS exports 2 (+1 for the referrals of exported
# feedback, none here), absent colleagues 4 (count, rows, their memberships and today's
# absences prefetched); and one access-log write for every name the page shows (savepoint,
# previous hash, insert, release, and the advisory lock on PostgreSQL): 5. Measured: 21 for
# the gp, 14 for the nurse (empty blocks cost their count only), at 10 and at 100 items.
# 1 slack for a session write. A query per row would add 5 per block. "Mijn acties" (health
# plan): 1, rows and count in one query (tests/careplans/test_plan_query_budgets.py fills it).
# "Signalen thuismetingen": 1 the same way (tests/questionnaires/test_measure_alert_start.py).
GP_HOME_BUDGET = 4 + 2 + 2 + 2 + 2 + 4 + 5 + 1 + 1 + 1
# The nurse: conversations 1 and consultations 1 (none), new referrals 2, absent 1 (none), log 5,
# my actions 1.
NURSE_HOME_BUDGET = 4 + 1 + 1 + 2 + 1 + 5 + 1 + 1


@pytest.mark.parametrize("n", [10, 100])
def test_gp_start_page_costs_the_same_queries_for_10_and_100_items(
    client, gp, nurse, practice, shared_patient, nursing, n, django_assert_max_num_queries
):
    from conversations.models import SharedInbox, SharedInboxMember

    # A consultation to one person is picked up at once; to a shared inbox it waits.
    inbox = SharedInbox.objects.create(organisation=practice, name="Praktijk")
    SharedInboxMember.objects.create(inbox=inbox, user=gp, added_by=gp)
    for i in range(n):
        start(nurse, gp, subject=f"Gesprek {i}", patient=shared_patient if i % 2 else None)
        start(nurse, subject=f"Consultatie {i}", kind="consultation", inboxes=[inbox])
        colleague = UserFactory(first_name="Hinke", last_name=f"Brouwer{i:03d}")
        MembershipFactory(user=colleague, organisation=practice)
        AbsenceFactory(user=colleague)
    for i in range(n):
        referral = refer(gp, shared_patient, nursing, client_key=uuid.uuid4())
        _failed_delivery(referral)
        _failed_his_export(
            Conversation.objects.filter(patient=shared_patient).first(), practice, gp
        )
    client.force_login(gp)
    client.get(reverse("home"))  # settle the session's first-request writes
    with django_assert_max_num_queries(GP_HOME_BUDGET):
        blocks = _blocks(client)
    assert blocks["conversations"].count == n
    assert blocks["consultations"].count == n
    assert blocks["referrals-attention"].count == n
    assert blocks["his-failed"].count == 1  # one source, exported again and again
    assert blocks["absent"].count == n
    assert blocks["my-actions"].count == 0  # no health plans here: its one query, no rows
    assert blocks["measurement-alerts"].count == 0  # no alerts here: its one query, no rows
    full = {key for key in blocks if key not in ("his-failed", "my-actions", "measurement-alerts")}
    assert all(len(blocks[key].rows) == 5 for key in full)


@pytest.mark.parametrize("n", [10, 100])
def test_nurse_start_page_costs_the_same_queries_for_10_and_100_items(
    client, gp, nurse, patient, nursing, n, django_assert_max_num_queries
):
    for i in range(n):
        refer(gp, patient, nursing, question=f"Verwijzing {i}", client_key=uuid.uuid4())
    client.force_login(nurse)
    client.get(reverse("home"))
    with django_assert_max_num_queries(NURSE_HOME_BUDGET):
        blocks = _blocks(client)
    assert blocks["referrals-new"].count == n
    assert len(blocks["referrals-new"].rows) == 5


# --- live: the push the block listens to, and the fragment with the new row ----------------


def test_the_blocks_listen_to_the_live_events(client, gp):
    client.force_login(gp)
    content = client.get(reverse("home")).content.decode()
    assert (
        f'hx-get="{reverse("start-block", args=["conversations"])}" '
        'hx-trigger="live-inbox from:body"'
    ) in content
    assert (
        f'hx-get="{reverse("start-block", args=["referrals-attention"])}" '
        'hx-trigger="live-referrals from:body"'
    ) in content
    assert (
        f'hx-get="{reverse("start-block", args=["his-failed"])}" hx-trigger="live-his from:body"'
    ) in content


@pytest.mark.django_db(transaction=True)
def test_a_new_message_pushes_inbox_and_the_block_then_shows_it(
    client,
    gp,
    nurse,
    cookie_of,  # noqa: F811
):
    gp_cookie = cookie_of(gp)
    conversation = start(gp, nurse, subject="Wond linkervoet")

    async def scenario():
        async with connected(gp_cookie) as gp_socket:
            await database_sync_to_async(send)(nurse, conversation, "Morgen om tien uur")
            frame = await gp_socket.next("inbox")
            assert frame["conversation"] == conversation.pk

    async_to_sync(scenario)()
    client.force_login(gp)
    assert "Morgen om tien uur" in _fragment(client, "conversations")


@pytest.mark.django_db(transaction=True)
def test_a_new_referral_pushes_referrals_and_the_block_then_shows_it(
    client,
    gp,
    nurse,
    patient,
    nursing,
    cookie_of,  # noqa: F811
):
    nurse_cookie = cookie_of(nurse)

    async def scenario():
        async with connected(nurse_cookie) as nurse_socket:
            referral = await database_sync_to_async(refer)(gp, patient, nursing)
            frame = await nurse_socket.next("referrals")
            assert frame["referral"] == referral.pk
            return referral

    referral = async_to_sync(scenario)()
    client.force_login(nurse)
    fragment = _fragment(client, "referrals-new")
    assert reverse("referrals:detail", args=[referral.pk]) in fragment
    assert patient.formal_name in fragment
    assert 'hx-trigger="live-referrals from:body"' in fragment


@pytest.mark.django_db(transaction=True)
def test_a_his_export_that_fails_in_its_task_pushes_his_and_the_block_then_shows_it(
    client,
    gp,
    nurse,
    practice,
    cookie_of,  # noqa: F811
):
    gp_cookie = cookie_of(gp)
    conversation = start(gp, nurse, subject="Export")
    export = _failed_his_export(conversation, practice, gp)
    HisExport.objects.filter(pk=export.pk).update(status=HisExport.Status.PENDING, last_error="")

    async def scenario():
        async with connected(gp_cookie) as gp_socket:
            # What the Celery task does when its retries are used up.
            await database_sync_to_async(his_export_fail)(export_id=export.pk, reason="HTTP 503")
            assert (await gp_socket.next("his"))["type"] == "his"

    async_to_sync(scenario)()
    client.force_login(gp)
    fragment = _fragment(client, "his-failed")
    assert reverse("conversations:detail", args=[conversation.pk]) in fragment
    assert "HTTP 503" in fragment


@pytest.mark.django_db(transaction=True)
def test_a_referral_delivery_that_fails_pushes_referrals_to_the_practice(
    client,
    gp,
    patient,
    nursing,
    cookie_of,  # noqa: F811
):
    gp_cookie = cookie_of(gp)
    referral = refer(gp, patient, nursing)
    delivery = _failed_delivery(referral)
    ReferralDelivery.objects.filter(pk=delivery.pk).update(
        status=ReferralDelivery.Status.PENDING, last_error=""
    )

    async def scenario():
        async with connected(gp_cookie) as gp_socket:
            await database_sync_to_async(referral_delivery_fail)(
                delivery_id=delivery.pk, reason="HTTP 503"
            )
            assert (await gp_socket.next("referrals"))["referral"] == referral.pk

    async_to_sync(scenario)()
    client.force_login(gp)
    fragment = _fragment(client, "referrals-attention")
    assert reverse("referrals:detail", args=[referral.pk]) in fragment
    assert "mislukt" in fragment

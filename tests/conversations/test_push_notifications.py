"""Web Push for the three events that are mailed: a new message, a consultation for a shared
inbox, a new referral. The push service (tests/push_server.py) checks the VAPID signature and
decrypts with each device's own key: the plaintext says only that something is new."""

from __future__ import annotations

import json

import pytest

from accounts.presence import online_touch
from tests.conversations.conftest import send, start
from tests.push_server import push_server, vapid  # noqa: F401 (fixtures)
from tests.referrals.conftest import refer

pytestmark = pytest.mark.django_db

SECRET_TEXT = "Glucose 14,2 en de wond ziet er rood uit."
QUESTION = "Wondzorg bij mevrouw Van der Meer na de opname."
MEDICAL = ("Glucose", "wond", "Wond", "Wondzorg", "opname", "Dijkstra", "Sjoerd", "Meer", "Geertje")


def assert_says_only(server, path, body, url):
    received = server.to(path)
    assert len(received) == 1, f"{path}: {len(received)} pushes"
    [got] = received
    assert got.problems == []
    assert got.payload == {"title": "Regiozorg", "body": body, "url": url}
    plaintext = got.plaintext.decode()
    for word in MEDICAL:
        assert word not in plaintext


def test_a_new_message_pushes_to_the_recipient_not_the_author(
    committing,
    gp,
    nurse,
    shared_patient,
    push_server,  # noqa: F811
):
    push_server.device(gp, "gp-phone")
    push_server.device(nurse, "nurse-phone")
    push_server.device(nurse, "nurse-laptop")
    with committing():
        start(gp, nurse, patient=shared_patient, subject="Wond Dijkstra", body=SECRET_TEXT)

    for device in ("nurse-phone", "nurse-laptop"):
        assert_says_only(
            push_server, f"/push/{device}", "Nieuw bericht in Regiozorg", "/gesprekken/"
        )
    assert push_server.to("/push/gp-phone") == []


def test_a_consultation_for_a_shared_inbox_pushes_to_its_members(
    committing,
    gp,
    nurse,
    colleague,
    nursing_inbox,
    push_server,  # noqa: F811
):
    push_server.device(nurse, "nurse-phone")
    push_server.device(colleague, "colleague-phone")
    with committing():
        consultation = start(
            gp,
            kind="consultation",
            subject="Wond Dijkstra",
            body=SECRET_TEXT,
            inboxes=[nursing_inbox],
        )

    for device in ("nurse-phone", "colleague-phone"):
        assert_says_only(
            push_server, f"/push/{device}", "Nieuwe consultatie in Regiozorg", "/consultaties/"
        )

    # A reply is a new message in the consultation, for the one who asked.
    push_server.device(gp, "gp-phone")
    with committing():
        send(nurse, consultation, "Graag, de wond van Dijkstra.")
    assert_says_only(push_server, "/push/gp-phone", "Nieuw bericht in Regiozorg", "/consultaties/")
    assert len(push_server.to("/push/nurse-phone")) == 1


def test_a_new_referral_pushes_to_the_receivers(
    committing,
    gp,
    nurse,
    team_nurse,
    patient,
    nursing,
    push_server,  # noqa: F811
):
    push_server.device(gp, "gp-phone")
    push_server.device(nurse, "nurse-phone")
    push_server.device(team_nurse, "team-nurse-phone")
    with committing():
        refer(gp, patient, nursing, question=QUESTION)

    for device in ("nurse-phone", "team-nurse-phone"):
        assert_says_only(
            push_server, f"/push/{device}", "Nieuwe verwijzing in Regiozorg", "/verwijzingen/"
        )
    assert push_server.to("/push/gp-phone") == []
    plaintexts = [got.plaintext for got in push_server.received]
    assert all(patient.his_id.encode() not in text for text in plaintexts)
    assert all(json.loads(text)["url"] == "/verwijzingen/" for text in plaintexts)


def test_the_same_rules_as_mail_someone_online_gets_no_push_and_a_burst_pushes_once(
    committing,
    gp,
    nurse,
    physio,
    push_server,  # noqa: F811
):
    push_server.device(nurse, "nurse-phone")
    push_server.device(physio, "physio-phone")
    online_touch(physio.pk)
    with committing():
        conversation = start(gp, nurse, physio)
    with committing():
        send(gp, conversation, "Nog iets")

    assert len(push_server.to("/push/nurse-phone")) == 1
    assert push_server.to("/push/physio-phone") == []

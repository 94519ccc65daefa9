"""Web Push: switching it on per device, and delivery to a push service that checks like a real
one (tests/push_server.py: the VAPID signature, aes128gcm, decrypting with the device's key)."""

from __future__ import annotations

import datetime
import json

import pytest
from celery.exceptions import Retry
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import PushDelivery, PushSubscription
from accounts.services.push import PushTemporaryError, push_send
from accounts.tasks import push_deliver_task, push_deliveries_prune_task
from regiozorg.env import Env, vapid_keys_match
from tests.push_server import b64url, push_server, vapid  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

P256DH = "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM"
AUTH = "tBHItJI5svbpez7KI4CCXg"
ENDPOINT = "https://fcm.googleapis.com/fcm/send/device-1"


def subscribe(client, endpoint=ENDPOINT, p256dh=P256DH, auth=AUTH):
    return client.post(
        reverse("accounts:push-subscribe"),
        data=json.dumps({"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}}),
        content_type="application/json",
        HTTP_USER_AGENT="Mozilla/5.0 (Linux; Android 14) Chrome/126.0 Mobile Safari/537.36",
    )


# --- switching on and off ---------------------------------------------------------------------


def test_a_valid_subscription_is_stored_once(client, gp, vapid):  # noqa: F811
    client.force_login(gp)
    first = subscribe(client)
    again = subscribe(client)

    assert first.status_code == again.status_code == 200
    assert first.json()["message"] == "Meldingen staan aan op dit apparaat."
    [row] = PushSubscription.objects.all()
    assert (row.user, row.endpoint, row.p256dh, row.auth) == (gp, ENDPOINT, P256DH, AUTH)
    assert row.user_agent == "Chrome · Android"


@pytest.mark.parametrize(
    ("endpoint", "p256dh", "auth", "message"),
    [
        ("http://fcm.googleapis.com/fcm/send/x", P256DH, AUTH, "adres voor meldingen"),
        ("https://intranet.example.nl/hook", P256DH, AUTH, "adres voor meldingen"),
        ("https://user:pw@fcm.googleapis.com/x", P256DH, AUTH, "adres voor meldingen"),
        ("http://127.0.0.2:8000/push", P256DH, AUTH, "adres voor meldingen"),
        (ENDPOINT, P256DH[:-4], AUTH, "sleutel van dit apparaat"),
        (ENDPOINT, "B" + "A" * 86, AUTH, "sleutel van dit apparaat"),  # not a point on P-256
        (ENDPOINT, P256DH, AUTH + "AA", "geheim van dit apparaat"),
        (ENDPOINT, P256DH, "tBHItJI5svbpez7KI4CC+g", "geheim van dit apparaat"),
    ],
)
def test_an_invalid_subscription_is_refused_in_dutch_and_nothing_stored(
    client,
    gp,
    vapid,  # noqa: F811
    endpoint,
    p256dh,
    auth,
    message,
):
    client.force_login(gp)
    response = subscribe(client, endpoint, p256dh, auth)

    assert response.status_code == 400
    assert message in response.json()["error"]
    assert not PushSubscription.objects.exists()


def test_loopback_http_only_when_allowed(client, gp, vapid, settings):  # noqa: F811
    client.force_login(gp)
    settings.WEBPUSH_ALLOW_LOOPBACK_HTTP = False
    assert subscribe(client, "http://127.0.0.1:8000/push").status_code == 400
    settings.WEBPUSH_ALLOW_LOOPBACK_HTTP = True
    assert subscribe(client, "http://127.0.0.1:8000/push").status_code == 200


def test_without_vapid_keys_push_is_off_and_the_profile_says_so(client, gp, settings):
    settings.WEBPUSH_VAPID_PUBLIC_KEY = settings.WEBPUSH_VAPID_PRIVATE_KEY = ""
    client.force_login(gp)

    page = client.get(reverse("accounts:profile")).content.decode()
    assert "Meldingen op dit apparaat" in page
    assert "Meldingen op apparaten zijn voor deze site niet ingesteld." in page
    assert "js/push.js" not in page
    assert subscribe(client).status_code == 400
    assert not PushSubscription.objects.exists()


def test_the_profile_offers_push_with_the_public_key_and_dutch_texts(client, gp, vapid):  # noqa: F811
    PushSubscription.objects.create(
        user=gp, endpoint=ENDPOINT, p256dh=P256DH, auth=AUTH, user_agent="Chrome · Android"
    )
    client.force_login(gp)
    page = client.get(reverse("accounts:profile")).content.decode()

    assert "Apparaten met meldingen" in page and "Chrome · Android · sinds" in page
    assert f'data-push-key="{b64url(vapid)}"' in page
    assert "Aanzetten op dit apparaat" in page and "Uitzetten op dit apparaat" in page
    assert 'data-text-denied="' in page
    assert "js/push.js" in page


def test_switching_off_removes_only_ones_own_device(client, gp, nurse, vapid):  # noqa: F811
    mine = PushSubscription.objects.create(user=gp, endpoint=ENDPOINT, p256dh=P256DH, auth=AUTH)
    hers = PushSubscription.objects.create(
        user=nurse, endpoint=ENDPOINT + "-nurse", p256dh=P256DH, auth=AUTH
    )
    client.force_login(gp)
    url = reverse("accounts:push-unsubscribe")

    other = client.post(url, {"endpoint": hers.endpoint})
    assert other.status_code == 200 and other.json()["removed"] is False
    assert PushSubscription.objects.filter(pk=hers.pk).exists()

    own = client.post(url, json.dumps({"endpoint": mine.endpoint}), content_type="application/json")
    assert own.json() == {"removed": True, "message": "Meldingen staan uit op dit apparaat."}
    assert not PushSubscription.objects.filter(pk=mine.pk).exists()


def test_a_shared_browser_notifies_only_who_switched_it_on_last(client, gp, nurse, vapid):  # noqa: F811
    PushSubscription.objects.create(user=nurse, endpoint=ENDPOINT, p256dh=P256DH, auth=AUTH)
    client.force_login(gp)
    subscribe(client)

    assert list(PushSubscription.objects.values_list("user", flat=True)) == [gp.pk]


def test_vapid_keys_command_prints_a_matching_pair(capsys):
    call_command("vapid_keys")
    lines = dict(line.split("=", 1) for line in capsys.readouterr().out.split())

    assert vapid_keys_match(lines["WEBPUSH_VAPID_PRIVATE_KEY"], lines["WEBPUSH_VAPID_PUBLIC_KEY"])
    assert not vapid_keys_match(lines["WEBPUSH_VAPID_PRIVATE_KEY"], P256DH)


# --- delivery ---------------------------------------------------------------------------------


def test_a_push_is_signed_encrypted_and_says_only_that_something_is_new(
    committing,
    gp,
    push_server,  # noqa: F811
):
    phone = push_server.device(gp, "phone")
    with committing():
        assert push_send(user_ids=[gp.pk], event_key="message:1", url="/gesprekken/") == 1

    [got] = push_server.to("/push/phone")
    assert got.problems == []
    assert got.payload == {
        "title": "Regiozorg",
        "body": "Nieuw bericht in Regiozorg",
        "url": "/gesprekken/",
    }
    phone.refresh_from_db()
    assert phone.last_success_at is not None
    assert PushDelivery.objects.get().sent_at is not None


def test_the_push_is_in_the_persons_language(committing, gp, push_server):  # noqa: F811
    gp.language = "en"
    gp.save(update_fields=["language"])
    push_server.device(gp, "phone")
    with committing():
        push_send(user_ids=[gp.pk], event_key="referral:7", url="/verwijzingen/")

    [got] = push_server.to("/push/phone")
    assert got.payload["body"] == "New referral in Regiozorg"


def test_one_push_per_event_and_device(committing, gp, nurse, push_server):  # noqa: F811
    push_server.device(gp, "phone")
    push_server.device(gp, "laptop")
    push_server.device(nurse, "tablet")
    with committing():
        assert push_send(user_ids=[gp.pk, nurse.pk], event_key="message:5") == 3
    with committing():  # the same event again (a rerun of the notifier)
        assert push_send(user_ids=[gp.pk, nurse.pk], event_key="message:5") == 0
    for delivery in PushDelivery.objects.all():  # a retried or duplicated task
        assert push_deliver_task.delay(delivery_id=delivery.pk).get() == "done"

    assert [len(push_server.to(f"/push/{d}")) for d in ("phone", "laptop", "tablet")] == [1, 1, 1]
    assert all(not got.problems for got in push_server.received)
    with committing():  # a new event is a new push
        push_send(user_ids=[gp.pk], event_key="message:6")
    assert len(push_server.to("/push/phone")) == 2


def test_a_gone_subscription_is_removed(committing, gp, push_server):  # noqa: F811
    gone = push_server.device(gp, "old-phone")
    kept = push_server.device(gp, "phone")
    push_server.answer("/push/old-phone", 410)
    with committing():
        push_send(user_ids=[gp.pk], event_key="message:1")

    assert not PushSubscription.objects.filter(pk=gone.pk).exists()
    assert PushSubscription.objects.filter(pk=kept.pk).exists()
    assert len(push_server.to("/push/phone")) == 1


def test_an_unknown_subscription_404_is_removed_too(committing, gp, push_server):  # noqa: F811
    gone = push_server.device(gp, "phone")
    push_server.answer("/push/phone", 404)
    with committing():
        push_send(user_ids=[gp.pk], event_key="message:1")

    assert not PushSubscription.objects.filter(pk=gone.pk).exists()


def test_a_failing_push_service_is_tried_again_and_sends_once(committing, gp, push_server):  # noqa: F811
    push_server.device(gp, "phone")
    push_server.answer("/push/phone", 500)
    with pytest.raises(Retry, match="500"), committing():
        push_send(user_ids=[gp.pk], event_key="consultation:3", url="/consultaties/")
    delivery = PushDelivery.objects.get()
    assert delivery.sent_at is None and push_server.received == []

    # Celery's retry (a worker runs it later; eager tests run it by hand):
    assert push_deliver_task.delay(delivery_id=delivery.pk, url="/consultaties/").get() == "sent"
    assert push_deliver_task.delay(delivery_id=delivery.pk, url="/consultaties/").get() == "done"

    [got] = push_server.to("/push/phone")
    assert got.problems == []
    assert got.payload["body"] == "Nieuwe consultatie in Regiozorg"


def test_retries_are_bounded_with_backoff():
    """A push service that keeps failing is tried six more times, up to 15 minutes apart
    (about half an hour in all), then given up: the delivery stays unsent."""
    assert PushTemporaryError in push_deliver_task.autoretry_for
    assert push_deliver_task.max_retries == 6
    assert push_deliver_task.retry_backoff == 30
    assert push_deliver_task.retry_backoff_max == 900


def test_push_send_refuses_unknown_kinds_and_foreign_links(gp):
    with pytest.raises(ValueError):
        push_send(user_ids=[gp.pk], event_key="patient:1")
    with pytest.raises(ValueError):
        push_send(user_ids=[gp.pk], event_key="message:1", url="https://example.org/")


def test_no_push_to_a_deactivated_person(committing, gp, push_server):  # noqa: F811
    push_server.device(gp, "phone")
    gp.is_active = False
    gp.save(update_fields=["is_active"])
    with committing():
        assert push_send(user_ids=[gp.pk], event_key="message:1") == 0
    assert push_server.received == []


def test_old_delivery_records_are_pruned(gp):
    device = PushSubscription.objects.create(user=gp, endpoint=ENDPOINT, p256dh=P256DH, auth=AUTH)
    old = PushDelivery.objects.create(event_key="message:1", subscription=device)
    new = PushDelivery.objects.create(event_key="message:2", subscription=device)
    PushDelivery.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=31)
    )

    assert push_deliveries_prune_task.delay().get() == 1
    assert list(PushDelivery.objects.values_list("pk", flat=True)) == [new.pk]


def test_settings_refuse_half_a_key_pair_or_a_bad_subject(capsys):
    call_command("vapid_keys")
    pair = dict(line.split("=", 1) for line in capsys.readouterr().out.split())

    assert Env(pair).vapid_keys() == (
        pair["WEBPUSH_VAPID_PRIVATE_KEY"],
        pair["WEBPUSH_VAPID_PUBLIC_KEY"],
    )
    assert Env({}).vapid_keys() == ("", "")
    for broken in (
        {"WEBPUSH_VAPID_PUBLIC_KEY": pair["WEBPUSH_VAPID_PUBLIC_KEY"]},
        {**pair, "WEBPUSH_VAPID_PUBLIC_KEY": P256DH},
    ):
        with pytest.raises(ImproperlyConfigured, match="WEBPUSH_VAPID"):
            Env(broken).vapid_keys()
    with pytest.raises(ImproperlyConfigured, match="WEBPUSH_SUBJECT"):
        Env({"WEBPUSH_SUBJECT": "helpdesk"}).push_subject("WEBPUSH_SUBJECT", "")

"""The client's own address behind the reverse proxy: rate limits and the access log.

In production nginx (deploy/nginx.conf) forwards every request, so ``REMOTE_ADDR`` is always the
proxy's address; nginx overwrites ``X-Real-IP`` with the client's. The tests put a simulated
proxy in front: every request comes from ``PROXY``, the header names the client.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.client_ip import client_ip, client_ip_from_scope
from network.models import AccessAction, AccessLogEntry
from tests.factories import PASSWORD
from tests.test_deploy import compose
from tests.test_settings import load_settings, settings_values

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
PROXY = "10.0.0.2"
ATTACKER = "203.0.113.66"
ALICE = "198.51.100.7"  # the gp's practice
BOB = "192.0.2.44"  # the district nurse, elsewhere


@pytest.fixture
def behind_nginx(settings):
    """As docker-compose.yml configures it: the client is in the X-Real-IP nginx writes."""
    settings.TRUSTED_CLIENT_IP_HEADER = "X-Real-IP"
    settings.TRUSTED_PROXY_COUNT = 0


def through_proxy(address: str) -> Client:
    return Client(REMOTE_ADDR=PROXY, HTTP_X_REAL_IP=address)


def wrong_login(client: Client, number: int, **headers):
    return client.post(
        reverse("account_login"),
        {"login": f"gokker{number}@example.nl", "password": "Verkeerd-wachtwoord-1"},
        **headers,
    )


def test_eleven_wrong_logins_from_one_client_do_not_lock_out_another(behind_nginx, gp):
    attacker = through_proxy(ATTACKER)
    # Eleven different accounts, so only the per-address limit (10 failures a minute) counts.
    answers = [wrong_login(attacker, number) for number in range(11)]

    assert "Te veel inlogpogingen" not in answers[9].content.decode()
    assert "Te veel inlogpogingen" in answers[10].content.decode()  # the attacker is stopped
    response = through_proxy(ALICE).post(
        reverse("account_login"), {"login": gp.email, "password": PASSWORD}
    )
    assert response.status_code == 302, response.content.decode()[:300]
    assert response["Location"] == reverse("mfa_authenticate")


def test_the_access_log_records_each_clients_own_address(
    behind_nginx, gp, nurse, patient, shared_patient, login_with_totp
):
    alice = login_with_totp(gp, client=through_proxy(ALICE))
    bob = login_with_totp(nurse, client=through_proxy(BOB))

    assert alice.get(reverse("network:patient-detail", args=[patient.pk])).status_code == 200
    assert bob.get(reverse("network:patient-detail", args=[shared_patient.pk])).status_code == 200

    looks = AccessLogEntry.objects.filter(action=AccessAction.READ)
    assert set(looks.filter(user=gp).values_list("ip_address", flat=True)) == {ALICE}
    assert set(looks.filter(user=nurse).values_list("ip_address", flat=True)) == {BOB}
    assert not looks.filter(ip_address=PROXY).exists()


def test_a_forwarded_header_is_believed_only_when_configured(
    settings, gp, patient, login_with_totp
):
    """Without the setting, X-Forwarded-For (or X-Real-IP) changes nothing: anyone can send it."""
    spoofing = {"HTTP_X_FORWARDED_FOR": "6.6.6.6, 7.7.7.7", "HTTP_X_REAL_IP": "8.8.8.8"}
    page = reverse("network:patient-detail", args=[patient.pk])
    assert settings.TRUSTED_CLIENT_IP_HEADER is None
    assert settings.TRUSTED_PROXY_COUNT == 0

    client = login_with_totp(gp, client=Client(REMOTE_ADDR=PROXY))
    assert client.get(page, **spoofing).status_code == 200
    assert AccessLogEntry.objects.order_by("pk").last().ip_address == PROXY

    # Failures with a new made-up address each still count for the one real address.
    spoofer = Client(REMOTE_ADDR=ATTACKER)
    for number in range(10):
        wrong_login(spoofer, number, HTTP_X_FORWARDED_FOR=f"192.0.2.{number}")
    refused = spoofer.post(
        reverse("account_login"),
        {"login": gp.email, "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="192.0.2.99",
        HTTP_X_REAL_IP="192.0.2.99",
    )
    assert "Te veel inlogpogingen" in refused.content.decode()

    # One proxy of ours appends to X-Forwarded-For: its last entry is the client, whatever the
    # client wrote in front of it.
    settings.TRUSTED_PROXY_COUNT = 1
    assert client.get(page, **spoofing).status_code == 200
    assert AccessLogEntry.objects.order_by("pk").last().ip_address == "7.7.7.7"


@pytest.mark.parametrize(
    ("header", "count", "forwarded_for", "real_ip", "expected"),
    [
        # Not configured: the peer, whatever the headers say.
        (None, 0, "6.6.6.6", "8.8.8.8", PROXY),
        # A trusted header: its value; its rightmost value if a proxy appended to it.
        ("X-Real-IP", 0, "6.6.6.6", ALICE, ALICE),
        ("X-Real-IP", 0, None, f"6.6.6.6, {ALICE}", ALICE),
        # Missing or not an address (a request that bypassed the proxy): the peer.
        ("X-Real-IP", 0, "6.6.6.6", None, PROXY),
        ("X-Real-IP", 0, None, "unknown", PROXY),
        # N proxies of ours append: the Nth entry from the right.
        (None, 1, f"6.6.6.6, {ALICE}", None, ALICE),
        (None, 2, f"6.6.6.6, {ALICE}, 10.0.0.9", None, ALICE),
        (None, 2, ALICE, None, PROXY),  # fewer entries than proxies: not through them all
        # Ports and IPv6 are understood and normalised.
        (None, 1, f"{ALICE}:51234", None, ALICE),
        (None, 1, "[2001:DB8::1]:443", None, "2001:db8::1"),
    ],
)
def test_client_ip_is_the_same_for_a_request_and_a_websocket(
    settings, header, count, forwarded_for, real_ip, expected
):
    settings.TRUSTED_CLIENT_IP_HEADER = header
    settings.TRUSTED_PROXY_COUNT = count
    headers = {
        name: value
        for name, value in (("X-Forwarded-For", forwarded_for), ("X-Real-IP", real_ip))
        if value is not None
    }
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, headers=headers)
    scope = {
        "type": "websocket",
        "client": (PROXY, 40000),
        "headers": [(name.lower().encode(), value.encode()) for name, value in headers.items()],
    }

    assert client_ip(request) == expected
    assert client_ip_from_scope(scope) == expected


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"TRUSTED_PROXY_COUNT": "two"}, "TRUSTED_PROXY_COUNT"),
        ({"TRUSTED_PROXY_COUNT": "-1"}, "TRUSTED_PROXY_COUNT"),
        ({"TRUSTED_CLIENT_IP_HEADER": "X-Real-IP: 1.2.3.4"}, "TRUSTED_CLIENT_IP_HEADER"),
        ({"TRUSTED_CLIENT_IP_HEADER": "X-Real-IP", "TRUSTED_PROXY_COUNT": "1"}, "not both"),
        ({"ATTACHMENT_MAX_PIXELS": "lots"}, "ATTACHMENT_MAX_PIXELS"),
    ],
)
def test_a_bad_proxy_or_pixel_setting_stops_start_up(env, named):
    result = load_settings(env, "TRUSTED_PROXY_COUNT")

    assert result.returncode != 0
    assert named in result.stderr


def test_the_settings_read_the_proxy_from_the_environment():
    assert settings_values(
        {"TRUSTED_CLIENT_IP_HEADER": "X-Real-IP"},
        "TRUSTED_CLIENT_IP_HEADER",
        "TRUSTED_PROXY_COUNT",
        "ALLAUTH_TRUSTED_CLIENT_IP_HEADER",
    ) == {
        "TRUSTED_CLIENT_IP_HEADER": "X-Real-IP",
        "TRUSTED_PROXY_COUNT": 0,
        "ALLAUTH_TRUSTED_CLIENT_IP_HEADER": "X-Real-IP",
    }
    assert settings_values({}, "TRUSTED_CLIENT_IP_HEADER", "TRUSTED_PROXY_COUNT") == {
        "TRUSTED_CLIENT_IP_HEADER": None,
        "TRUSTED_PROXY_COUNT": 0,
    }


def test_nginx_overwrites_the_header_the_application_trusts():
    """deploy/nginx.conf writes the client's address over whatever came in; docker-compose.yml
    tells the application to believe that header."""
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "real_ip_header X-Forwarded-For;" in nginx
    assert "real_ip_recursive off;" in nginx
    for block in re.findall(r"location [^{]+\{(.*?)\}", nginx, re.S):
        assert "proxy_set_header X-Real-IP $remote_addr;" in block
        assert "proxy_set_header X-Forwarded-For $remote_addr;" in block
        assert "$proxy_add_x_forwarded_for" not in block
    environment = compose()["x-app-env"]
    assert environment["TRUSTED_CLIENT_IP_HEADER"] == "X-Real-IP"
    assert "TRUSTED_PROXY_COUNT" not in environment

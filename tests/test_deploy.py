"""The production stack as docker-compose.yml describes it (no Docker engine needed)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parent.parent


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_pages_go_to_gunicorn_and_websockets_to_daphne_behind_one_address():
    services = compose()["services"]
    assert "gunicorn regiozorg.wsgi:application" in services["web"]["command"]
    assert services["live"]["command"][:1] == ["daphne"]
    assert "regiozorg.asgi:application" in services["live"]["command"]
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    websocket_block = re.search(r"location /ws/ \{(.*?)\}", nginx, re.S).group(1)
    assert "proxy_pass http://regiozorg_live;" in websocket_block
    assert "proxy_set_header Upgrade $http_upgrade;" in websocket_block
    assert "server live:8001;" in nginx
    assert "server web:8000;" in nginx


def test_attachments_live_on_a_volume_shared_by_web_and_worker_and_writable_in_the_image():
    data = compose()
    for name in ("web", "worker"):
        assert "private:/app/var/private" in data["services"][name]["volumes"], name
    assert "private" in data["volumes"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"chown regiozorg:regiozorg [^\n]*/app/var/private", dockerfile)


APP_SERVICES = ("web", "live", "worker", "beat")


def _database_user(url: str) -> str:
    """The user of a DATABASE_URL as written in the compose file (``${…}`` left unexpanded)."""
    return urlsplit(re.sub(r"\$\{[^}]*\}", "x", url)).username


def test_the_application_connects_as_its_own_role_and_only_migrate_as_the_owner():
    services = compose()["services"]
    owner = services["postgres"]["environment"]["POSTGRES_USER"]
    owner_password = services["postgres"]["environment"]["POSTGRES_PASSWORD"]
    assert owner_password.startswith("${DB_OWNER_PASSWORD:?")  # no password in the file

    for name in APP_SERVICES:
        environment = services[name]["environment"]
        assert _database_user(environment["DATABASE_URL"]) == "regiozorg_app", name
        # Not the owner, and not its password under another name either.
        assert not any("DB_OWNER_PASSWORD" in str(value) for value in environment.values()), name
        assert "migrate" not in str(services[name]["command"]), name
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }, name

    migrate = services["migrate"]
    assert _database_user(migrate["environment"]["DATABASE_URL"]) == owner != "regiozorg_app"
    command = " ".join(migrate["command"])
    assert re.search(
        r"manage\.py migrate --noinput &&\s+python manage\.py db_app_role "
        r"--role regiozorg_app --password-env APP_DB_PASSWORD$",
        command,
    )
    assert migrate["environment"]["APP_DB_PASSWORD"].startswith("${APP_DB_PASSWORD:?")
    assert migrate["restart"] == "no"  # one-shot: the others wait for it to have exited 0
    assert "migrate" not in migrate["depends_on"]


def test_the_access_log_key_is_required_and_the_seals_are_the_workers_alone():
    data = compose()
    services = data["services"]
    for name in (*APP_SERVICES, "migrate"):
        environment = services[name]["environment"]
        assert environment["ACCESS_LOG_HMAC_KEY"].startswith("${ACCESS_LOG_HMAC_KEY:?"), name
        assert environment["FHIR_IDENTIFIER_SYSTEM"].startswith("${FHIR_IDENTIFIER_SYSTEM:?")
        assert environment["ACCESS_LOG_SEAL_EMAIL"] == "${ACCESS_LOG_SEAL_EMAIL:-}", name

    seals = services["worker"]["environment"]["ACCESS_LOG_SEAL_DIR"]
    assert f"access-log-seals:{seals}" in services["worker"]["volumes"]
    assert "access-log-seals" in data["volumes"]
    mounting = [
        name
        for name, service in services.items()
        if any(str(volume).startswith("access-log-seals:") for volume in service.get("volumes", []))
    ]
    assert mounting == ["worker"]  # not the database, not the web processes
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(rf"chown regiozorg:regiozorg [^\n]*{seals}", dockerfile)
    # The image's collectstatic runs with production settings, which need a log key too.
    collectstatic = re.search(r"RUN (?:[^\n]*\\\n)*[^\n]*collectstatic", dockerfile).group(0)
    assert "ACCESS_LOG_HMAC_KEY=" in collectstatic
    assert "FHIR_IDENTIFIER_SYSTEM=" in collectstatic


def test_coturn_relays_only_for_credentials_of_the_platform_and_only_to_public_addresses():
    data = compose()
    services = data["services"]
    turn = services["coturn"]
    assert turn["image"].startswith("coturn/coturn")
    flags = turn["command"]
    secret = "${CALL_TURN_SECRET:?"
    assert "--use-auth-secret" in flags
    assert any(f.startswith(f"--static-auth-secret={secret}") for f in flags)
    assert {"--no-cli", "--fingerprint", "--listening-port=3478"} <= set(flags)
    denied = {f.split("=", 1)[1] for f in flags if f.startswith("--denied-peer-ip=")}
    assert {
        "10.0.0.0-10.255.255.255",
        "172.16.0.0-172.31.255.255",
        "192.168.0.0-192.168.255.255",
        "127.0.0.0-127.255.255.255",
        "169.254.0.0-169.254.255.255",
        "fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    } <= denied
    assert not any(f.startswith("--allowed-peer-ip") for f in flags)  # documented, not set
    assert {"3478:3478/udp", "3478:3478/tcp"} <= set(turn["ports"])
    # Its own network: nothing of the application's is reachable from the relay.
    assert turn["networks"] == ["turn"]
    assert all("networks" not in service for name, service in services.items() if name != "coturn")

    # The pages and the sockets hand out the credentials; the same secret, required.
    for name in ("web", "live"):
        environment = services[name]["environment"]
        assert environment["CALL_TURN_SECRET"].startswith(secret), name
        assert {"CALL_STUN_URLS", "CALL_TURN_URLS"} <= set(environment), name
    for name in ("worker", "beat", "migrate"):
        assert "CALL_TURN_SECRET" not in services[name]["environment"], name

"""The production stack as docker-compose.yml describes it (no Docker engine needed)."""

from __future__ import annotations

import re
from pathlib import Path

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

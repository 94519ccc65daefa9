""" "Wie heeft dit dossier ingezien?" answers a patient in words: no code (``referral``,
``referral-feedback``, ``conversation``, ``referral_list``) on the page or in its CSV export."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from network.access import Actor
from network.access_log import access_log_write
from network.models import AccessAction, AccessRelationship, DataCategory
from network.models.access_log import OBJECT_LABELS

pytestmark = pytest.mark.django_db

# What the feature apps write (data, object_ref), as testers found them raw on the page.
WRITTEN_BY_THE_APPS = [
    (AccessAction.READ, [DataCategory.IDENTITY, "referral"], "referral:17", "verwijzing"),
    (
        AccessAction.EXPORT,
        ["referral_feedback"],
        "referral-feedback:3",
        "terugkoppeling op een verwijzing",
    ),
    (AccessAction.READ, [DataCategory.IDENTITY, "conversation"], "conversation:9", "gesprek"),
    (
        AccessAction.READ,
        [DataCategory.IDENTITY],
        "referral_list:new:page=1",
        "lijst van verwijzingen",
    ),
    (
        AccessAction.READ,
        [DataCategory.IDENTITY],
        "consultation_list:page=2",
        "lijst van consultaties",
    ),
    (AccessAction.EXPORT, ["conversation"], "his_export:4", "terugkoppeling naar het HIS"),
    (AccessAction.READ, ["referral_attachment"], "referral-attachment:8", "bijlage"),
]
RAW_CODES = re.compile(
    r"\b(referral[-_](feedback|list|attachment|delivery)|conversation_list|consultation_list"
    r"|his_export|access_request|referral|conversation)\b"
)


def _write_what_the_apps_write(gp, patient):
    actor = Actor(user=gp, membership=gp.memberships.get(), ip_address="192.0.2.10")
    for action, data, object_ref, _words in WRITTEN_BY_THE_APPS:
        access_log_write(
            actor=actor,
            action=action,
            relationship=AccessRelationship.OWN_PRACTICE,
            patient=patient,
            data=data,
            object_ref=object_ref,
        )


def test_access_overview_names_every_object_in_dutch_words(secure_client, gp, patient):
    _write_what_the_apps_write(gp, patient)

    body = secure_client(gp).get(reverse("network:patient-access-log", args=[patient.pk]))
    # One row per entry, led by its time (the row's header cell); "What" is the fourth cell.
    rows = re.findall(r"<tr[^>]*>\s*(<th scope=\"row\".*?)</tr>", body.content.decode(), flags=re.S)
    what = " | ".join(re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, flags=re.S)[3] for row in rows)

    for _action, _data, _ref, words in WRITTEN_BY_THE_APPS:
        assert words in what, (words, what)
    assert not RAW_CODES.search(what), what
    # "Who": the person's name, the e-mail under it as plain text (not "Name <e-mail>").
    who = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", rows[0], flags=re.S)[1]
    assert gp.full_name in who and gp.email in who
    assert "&lt;" not in who, who


def test_access_overview_csv_names_every_object_in_dutch_words(secure_client, gp, patient):
    _write_what_the_apps_write(gp, patient)

    response = secure_client(gp).get(
        reverse("network:patient-access-log-export", args=[patient.pk])
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Tijdstip"  # the header is Dutch too
    data_cells = " | ".join(row[5] for row in rows[1:])
    for _action, _data, _ref, words in WRITTEN_BY_THE_APPS:
        assert words in data_cells, (words, data_cells)
    assert not RAW_CODES.search(data_cells), data_cells
    assert {row[4] for row in rows[1:]} <= {"ingezien", "geëxporteerd"}
    assert {row[6] for row in rows[1:]} == {"eigen praktijk"}


def _keys_written_in_the_source() -> set[str]:
    """Every literal key the code writes into the log's ``data`` or ``object_ref``."""
    root = Path(settings.BASE_DIR)
    patterns = [
        re.compile(r'object_ref=f?"([a-z][a-z_-]*)'),  # object_ref="referral" / f"referral:{…}"
        re.compile(r'data=\[[^\]]*?"([a-z][a-z_]*)"'),  # data=[…, "conversation"]
        re.compile(r'\bdata="([a-z][a-z_]*)"'),  # his_export_store(data="referral_feedback")
    ]
    keys = set()
    for app in ("accounts", "network", "files", "his", "conversations", "referrals", "core"):
        for path in (root / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            text = path.read_text()
            for pattern in patterns:
                keys.update(pattern.findall(text))
    # conversations/selectors.py writes f"{kind}_list:…" for both kinds of conversation.
    keys |= {"conversation_list", "consultation_list"}
    return keys


def test_every_key_the_code_writes_into_the_log_has_a_dutch_label():
    known = set(OBJECT_LABELS) | set(DataCategory.values)
    assert _keys_written_in_the_source() - known == set()


def test_a_key_nobody_named_yet_is_other_data_not_a_code():
    from django.utils import translation

    from network.models import AccessLogEntry

    entry = AccessLogEntry(data="identity,referral", object_ref="referral:5")
    unknown = AccessLogEntry(data="identity", object_ref="careplan_goal:7")
    with translation.override("nl"):
        assert entry.data_labels == "Identiteit en adres (NAW), verwijzing"  # said once
        assert unknown.data_labels == "Identiteit en adres (NAW), overige gegevens"

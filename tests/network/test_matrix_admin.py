"""The helpdesk edits the authorisation matrix in the admin; every change is kept."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.models import OrganisationKind
from network.models import AuthorisationRule, AuthorisationRuleChange

pytestmark = pytest.mark.django_db


@pytest.fixture
def helpdesk_client(client, helpdesk):
    client.force_login(helpdesk)
    return client


def test_a_sensible_default_matrix_is_seeded_for_every_kind():
    rules = {r.organisation_kind: r for r in AuthorisationRule.objects.all()}
    assert set(rules) == set(OrganisationKind.values)
    assert not any(r.journal for r in rules.values()), "journal excerpt is off by default"
    nursing = rules[OrganisationKind.DISTRICT_NURSING]
    assert nursing.episodes and nursing.medication and nursing.contra_indications
    assert not rules[OrganisationKind.CARE_GROUP].categories
    assert rules[OrganisationKind.SOCIAL_DOMAIN].categories == {"identity"}


def _changelist_post(rules, **changes):
    """The list_editable form as the admin renders it, with ``changes`` per kind applied."""
    data = {
        "form-TOTAL_FORMS": str(len(rules)),
        "form-INITIAL_FORMS": str(len(rules)),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "_save": "Opslaan",
    }
    for i, rule in enumerate(rules):
        data[f"form-{i}-id"] = str(rule.pk)
        values = {**rule.snapshot(), **changes.get(rule.organisation_kind, {})}
        for category, allowed in values.items():
            if allowed:
                data[f"form-{i}-{category}"] = "on"
    return data


def test_helpdesk_changes_the_matrix_and_the_change_is_kept(helpdesk_client, helpdesk):
    rules = list(AuthorisationRule.objects.order_by("organisation_kind"))
    url = reverse("admin:network_authorisationrule_changelist")
    assert helpdesk_client.get(url).status_code == 200
    response = helpdesk_client.post(
        url,
        _changelist_post(rules, physiotherapy={"measurements": True, "medication": False}),
    )
    assert response.status_code == 302
    physio = AuthorisationRule.objects.get(organisation_kind=OrganisationKind.PHYSIOTHERAPY)
    assert physio.measurements and not physio.medication
    change = AuthorisationRuleChange.objects.get()
    assert change.organisation_kind == OrganisationKind.PHYSIOTHERAPY
    assert change.changed_by == helpdesk
    assert change.before["measurements"] is False and change.after["measurements"] is True
    assert change.before["medication"] is True and change.after["medication"] is False
    history = helpdesk_client.get(reverse("admin:network_authorisationrulechange_changelist"))
    assert "Fysiotherapie" in history.content.decode()


def test_saving_without_changes_records_nothing(helpdesk_client):
    rules = list(AuthorisationRule.objects.order_by("organisation_kind"))
    helpdesk_client.post(
        reverse("admin:network_authorisationrule_changelist"), _changelist_post(rules)
    )
    assert not AuthorisationRuleChange.objects.exists()


def test_the_history_cannot_be_edited_or_deleted(helpdesk_client, helpdesk):
    change = AuthorisationRuleChange.objects.create(
        organisation_kind=OrganisationKind.PHARMACY, changed_by=helpdesk, before={}, after={}
    )
    change_url = reverse("admin:network_authorisationrulechange_change", args=[change.pk])
    helpdesk_client.post(change_url, {"organisation_kind": OrganisationKind.OTHER})
    delete_url = reverse("admin:network_authorisationrulechange_delete", args=[change.pk])
    assert helpdesk_client.post(delete_url, {"post": "yes"}).status_code == 403
    change.refresh_from_db()
    assert change.organisation_kind == OrganisationKind.PHARMACY


def test_helpdesk_sees_no_patient_admin(helpdesk_client):
    body = helpdesk_client.get(reverse("admin:index")).content.decode()
    assert "/admin/network/authorisationrule/" in body
    assert "/admin/network/patient/" not in body
    assert "/admin/network/accesslogentry/" not in body


def test_every_box_of_the_matrix_is_named_by_its_category_and_kind(helpdesk_client):
    response = helpdesk_client.get(reverse("admin:network_authorisationrule_changelist"))
    html = response.content.decode()
    boxes = re.findall(r'<input type="checkbox"[^>]*>', html)
    assert len(boxes) == 60
    assert all("aria-label=" in box for box in boxes)
    assert 'aria-label="Journaaluittreksel voor Apotheek"' in html
    assert 'aria-label="Actuele medicatie voor Wijkverpleging / VVT"' in html

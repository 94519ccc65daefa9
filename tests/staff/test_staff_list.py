"""Praktijkinstellingen → Medewerkersbeheer: the practice's staff as level A sees them.

Expected texts are looked up in the Dutch catalogue rather than written out, so the tests hold
while the translator works (a string not yet translated is shown, and expected, in English).
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.conf import settings
from django.core import mail
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import timezone, translation

from accounts import services
from accounts.levels import Level
from accounts.models import Function, Invitation
from tests.factories import MembershipFactory, UserFactory
from tests.staff.fixtures_requests import (
    account_request,
    colleague_membership,
    in_dutch,
    level_change_request,
    membership_of,
)

pytestmark = pytest.mark.django_db

STAFF_LIST = reverse("accounts:staff-list")


def _row(html: str, email: str) -> str:
    """The table row of the person (or invitee) with this e-mail address."""
    rows = [row for row in re.findall(r"<tr>.*?</tr>", html, re.S) if f">{email}<" in row]
    assert len(rows) == 1, f"expected one row for {email}, found {len(rows)}"
    return rows[0]


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture
def gp_client(client, gp):
    client.force_login(gp)
    return client


def test_level_a_sees_each_colleagues_name_level_functions_access_and_last_login(
    gp_client, gp, assistant
):
    assistant.functions = [Function.DOCTORS_ASSISTANT, Function.PRACTICE_MANAGER]
    assistant.last_login = timezone.make_aware(datetime.datetime(2025, 3, 4, 9, 15))
    assistant.save()
    gp.functions = [Function.GP]
    gp.save()

    html = gp_client.get(STAFF_LIST).content.decode()

    assistant_row = _text(_row(html, assistant.email))
    assert "Aaltje Bosma" in assistant_row
    assert f" {Level.E} " in f" {assistant_row} "
    with translation.override("nl"):
        functions = ", ".join(str(Function(code).label) for code in assistant.functions)
        last_login = date_filter(timezone.localtime(assistant.last_login), "DATETIME_FORMAT")
    assert functions in assistant_row
    assert last_login in assistant_row
    assert "4 maart 2025 09:15" in assistant_row  # a Dutch month, written out
    assert in_dutch("No access") in assistant_row
    assert in_dutch("Active", context="account status") in assistant_row

    gp_row = _text(_row(html, gp.email))
    assert "Gerrit Postma" in gp_row
    assert f" {Level.A} " in f" {gp_row} "
    assert in_dutch("Access") in gp_row and in_dutch("No access") not in gp_row
    assert in_dutch("Active", context="account status") in gp_row


def test_a_colleague_who_never_logged_in_shows_never(gp_client, assistant):
    html = gp_client.get(STAFF_LIST).content.decode()
    assert in_dutch("Never") in _text(_row(html, assistant.email))


def test_approved_account_request_shows_the_invitee_as_invited(gp_client, gp, helpdesk):
    request = account_request(gp, email="nieuw@delinde.nl", last_name="Nieuwenhuis")
    services.account_request_approve(helpdesk_user=helpdesk, account_request=request)
    assert Invitation.objects.filter(email="nieuw@delinde.nl", status="pending").exists()

    row = _text(_row(gp_client.get(STAFF_LIST).content.decode(), "nieuw@delinde.nl"))

    assert "Nieuwenhuis" in row
    assert f" {Level.C} " in f" {row} "
    assert in_dutch("Invited") in row


def test_an_expired_invitation_says_so(gp_client, gp, helpdesk, time_machine):
    request = account_request(gp, email="nieuw@delinde.nl")
    services.account_request_approve(helpdesk_user=helpdesk, account_request=request)
    time_machine.move_to(
        timezone.now() + datetime.timedelta(days=settings.INVITATION_VALID_DAYS, hours=1)
    )
    gp_client.force_login(gp)  # a fresh session: the old one timed out during the jump

    row = _text(_row(gp_client.get(STAFF_LIST).content.decode(), "nieuw@delinde.nl"))

    assert in_dutch("Invitation expired") in row


def test_deactivated_colleague_is_listed_as_deactivated_without_actions(
    gp_client, assistant, helpdesk
):
    services.user_deactivate(actor=helpdesk, user=assistant)
    membership = membership_of(assistant)

    html = gp_client.get(STAFF_LIST).content.decode()

    row = _row(html, assistant.email)
    assert in_dutch("Deactivated") in _text(row)
    assert in_dutch("Active", context="account status") not in _text(row)
    # No grant/revoke or level change for an account that no longer works.
    assert reverse("accounts:patient-data-access", args=[membership.pk]) not in row
    assert reverse("accounts:level-change", args=[membership.pk]) not in row


def test_ended_membership_is_listed_as_deactivated(gp_client, practice):
    membership = colleague_membership(practice)
    membership.is_active = False
    membership.save()

    row = _text(_row(gp_client.get(STAFF_LIST).content.decode(), membership.user.email))

    assert in_dutch("Deactivated") in row


def test_pending_requests_are_listed_for_the_practice(gp_client, gp, assistant):
    account_request(gp, email="nieuw@delinde.nl", last_name="Nieuwenhuis")
    level_change_request(gp, membership_of(assistant), Level.A, remarks="Rol A wijziging")

    response = gp_client.get(STAFF_LIST)

    requests = list(response.context["requests"])
    assert {(r.kind, r.email) for r in requests} == {
        ("new_account", "nieuw@delinde.nl"),
        ("level_change", assistant.email),
    }
    assert "nieuw@delinde.nl" in response.content.decode()


def test_staff_list_shows_only_the_own_practice(client, gp, assistant, outsider, other_practice):
    client.force_login(outsider)

    response = client.get(STAFF_LIST)

    html = response.content.decode()
    assert response.context["practice"] == other_practice
    assert outsider.email in html
    assert gp.email not in html and assistant.email not in html


def test_staff_list_tells_how_to_reach_the_helpdesk_to_remove_an_account(gp_client):
    html = gp_client.get(STAFF_LIST).content.decode()
    assert settings.SUPPORT_PHONE in html
    assert settings.SUPPORT_ORGANISATION in html


def test_opening_the_staff_list_sends_nothing_and_changes_nothing(gp_client, assistant):
    gp_client.get(STAFF_LIST)
    assert mail.outbox == []


# --- Query budget --------------------------------------------------------------------------


def _staff(practice, n: int, gp) -> None:
    """``n`` staff in total, with functions, every level, some without access, some
    deactivated, plus pending requests and open invitations in proportion."""
    levels = Level.values
    for i in range(n - 1):  # the gp is one of them
        user = UserFactory(functions=[Function.PRACTICE_NURSE], is_active=i % 7 != 0)
        MembershipFactory(
            user=user,
            organisation=practice,
            level=levels[i % len(levels)],
            has_patient_data_access=i % 3 == 0,
        )
    for i in range(n // 5):
        account_request(gp, email=f"aanvraag{i}@delinde.nl")
    for i in range(n // 5):
        Invitation.objects.create(
            organisation=practice,
            inviting_organisation=practice,
            invited_by=gp,
            source=Invitation.Source.ACCOUNT_REQUEST,
            email=f"uitgenodigd{i}@delinde.nl",
            last_name=f"Genodigde{i}",
            level=Level.E,
            token_hash=f"{i:064d}",
            expires_at=timezone.now() + datetime.timedelta(days=1),
            sent_at=timezone.now(),
        )


# Why 8: the session, the user, the active memberships (organisation middleware) and the
# authenticator check (second-factor middleware) are 4 for any page; the list adds 1 to count
# the staff, 1 for the page of staff with their users (select_related), 1 for the open
# invitations and 1 for the pending requests with who asked (select_related). None of them
# grows with the number of staff, requests or invitations.
STAFF_LIST_QUERIES = 8


@pytest.mark.parametrize("n", [10, 100])
def test_staff_list_query_count_does_not_grow_with_the_staff(
    gp_client, gp, practice, n, django_assert_max_num_queries
):
    _staff(practice, n, gp)

    with django_assert_max_num_queries(STAFF_LIST_QUERIES):
        response = gp_client.get(STAFF_LIST)

    assert response.status_code == 200
    assert response.context["page"].paginator.count == n

"""Deactivation: the helpdesk ends an account ("by calling the helpdesk").

The person can no longer log in, their sessions end at once, and their history stays
attributed to them: users are deactivated, never deleted. The user to deactivate logs in
through the real login form in their own browser (a second client), as in production.
"""

from __future__ import annotations

import pytest
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core import mail
from django.db.models import ProtectedError
from django.test import Client
from django.urls import reverse

from accounts.models import AccountRequest, Membership, StaffChange, User
from tests.factories import PASSWORD, UserFactory, totp_enable
from tests.staff.fixtures_requests import (
    account_request,
    is_login_redirect,
    log_in_with_password,
    membership_of,
)

pytestmark = pytest.mark.django_db

A = StaffChange.Action
USERS = reverse("admin:accounts_user_changelist")


@pytest.fixture
def helpdesk_client(helpdesk):
    client = Client()
    client.force_login(helpdesk)
    return client


def _run_action(client, action: str, *users):
    return client.post(USERS, {"action": action, "_selected_action": [u.pk for u in users]})


def _password_login(client, user):
    return client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})


def test_helpdesk_deactivates_an_account_and_the_open_session_ends_at_once(
    helpdesk_client, helpdesk, assistant
):
    browser = log_in_with_password(assistant)
    assert browser.get(reverse("home")).status_code == 200
    session_key = browser.session.session_key

    response = _run_action(helpdesk_client, "deactivate", assistant)

    assert response.status_code == 302
    assistant.refresh_from_db()
    assert not assistant.is_active
    assert not Session.objects.filter(session_key=session_key).exists()
    assert not UserSession.objects.filter(user=assistant).exists()
    assert is_login_redirect(browser.get(reverse("home")))
    change = StaffChange.objects.get(action=A.USER_DEACTIVATED)
    assert (change.actor, change.subject, change.subject_email) == (
        helpdesk,
        assistant,
        assistant.email,
    )
    assert change.details["sessions_ended"] == 1


def test_a_deactivated_user_can_no_longer_log_in(helpdesk_client, assistant):
    _run_action(helpdesk_client, "deactivate", assistant)
    browser = Client()

    _password_login(browser, assistant)

    assert SESSION_KEY not in browser.session
    assert is_login_redirect(browser.get(reverse("home")))


def test_a_deactivated_user_gets_no_password_reset_link(
    helpdesk_client, assistant, django_capture_on_commit_callbacks
):
    _run_action(helpdesk_client, "deactivate", assistant)

    with django_capture_on_commit_callbacks(execute=True):
        Client().post(reverse("account_reset_password"), {"email": assistant.email})

    assert mail.outbox == []


def test_history_stays_attributed_to_the_deactivated_user(helpdesk_client, gp, practice):
    request = account_request(gp)
    _run_action(helpdesk_client, "deactivate", gp)

    assert User.objects.filter(pk=gp.pk, is_active=False).exists()
    assert Membership.objects.filter(user=gp, organisation=practice).exists()
    assert AccountRequest.objects.get(pk=request.pk).requested_by == gp
    assert StaffChange.objects.filter(actor=gp, action=A.ACCOUNT_REQUESTED).exists()
    assert StaffChange.objects.filter(subject=gp, action=A.USER_DEACTIVATED).exists()


def test_deactivated_user_no_longer_counts_as_a_member(helpdesk_client, assistant):
    _run_action(helpdesk_client, "deactivate", assistant)
    assert not Membership.objects.active().filter(user=assistant).exists()


def test_the_admin_offers_no_way_to_delete_a_user(helpdesk_client, assistant):
    changelist = helpdesk_client.get(USERS)
    actions = {name for name, _label in changelist.context["action_form"].fields["action"].choices}
    assert "delete_selected" not in actions
    assert {"deactivate", "reactivate"} <= actions

    delete_url = reverse("admin:accounts_user_delete", args=[assistant.pk])
    assert helpdesk_client.get(delete_url).status_code == 403
    assert helpdesk_client.post(delete_url, {"post": "yes"}).status_code == 403
    _run_action(helpdesk_client, "delete_selected", assistant)

    assert User.objects.filter(pk=assistant.pk).exists()


def test_a_user_with_memberships_cannot_be_deleted_even_in_code(assistant):
    with pytest.raises(ProtectedError):
        assistant.delete()
    assert User.objects.filter(pk=assistant.pk).exists()


def test_reactivating_lets_the_person_log_in_again_and_is_recorded(
    helpdesk_client, helpdesk, assistant
):
    _run_action(helpdesk_client, "deactivate", assistant)

    _run_action(helpdesk_client, "reactivate", assistant)

    assistant.refresh_from_db()
    assert assistant.is_active
    assert StaffChange.objects.filter(
        action=A.USER_REACTIVATED, actor=helpdesk, subject=assistant
    ).exists()
    browser = log_in_with_password(assistant)
    assert browser.get(reverse("home")).status_code == 200


def test_deactivating_twice_records_it_once(helpdesk_client, assistant):
    _run_action(helpdesk_client, "deactivate", assistant)
    _run_action(helpdesk_client, "deactivate", assistant)

    assert StaffChange.objects.filter(action=A.USER_DEACTIVATED).count() == 1


def test_the_helpdesk_cannot_deactivate_itself(helpdesk_client, helpdesk):
    _run_action(helpdesk_client, "deactivate", helpdesk)

    helpdesk.refresh_from_db()
    assert helpdesk.is_active
    assert not StaffChange.objects.exists()


def test_the_helpdesk_cannot_deactivate_a_superuser(helpdesk_client):
    admin = UserFactory(email="beheerder@kzf.nl", is_staff=True, is_superuser=True)

    _run_action(helpdesk_client, "deactivate", admin)

    admin.refresh_from_db()
    assert admin.is_active
    assert not StaffChange.objects.exists()


def test_a_superuser_can_deactivate_a_superuser(totp_secret):
    root = UserFactory(email="root@kzf.nl", is_staff=True, is_superuser=True)
    totp_secret[root.pk] = totp_enable(root)
    admin = UserFactory(email="beheerder@kzf.nl", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(root)

    _run_action(client, "deactivate", admin)

    admin.refresh_from_db()
    assert not admin.is_active
    assert StaffChange.objects.get().actor == root


def test_is_active_cannot_be_edited_on_the_user_form_only_through_the_actions(
    helpdesk_client, assistant
):
    response = helpdesk_client.get(reverse("admin:accounts_user_change", args=[assistant.pk]))
    assert "is_active" not in response.context["adminform"].form.fields


def test_practice_users_cannot_deactivate_anyone(client, gp, assistant):
    client.force_login(gp)

    response = _run_action(client, "deactivate", assistant)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assistant.refresh_from_db()
    assert assistant.is_active


def test_the_staff_list_tells_practice_users_how_to_reach_the_helpdesk(client, gp):
    client.force_login(gp)
    html = client.get(reverse("accounts:staff-list")).content.decode()
    assert settings.SUPPORT_PHONE in html
    assert settings.SUPPORT_ORGANISATION in html


def test_deactivated_membership_stays_visible_to_the_practice(helpdesk_client, gp, assistant):
    _run_action(helpdesk_client, "deactivate", assistant)
    client = Client()
    client.force_login(gp)

    page = client.get(reverse("accounts:staff-list")).context["page"]

    assert membership_of(assistant) in list(page)

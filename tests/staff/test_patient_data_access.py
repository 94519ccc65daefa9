"""“Medewerker heeft toegang tot patiëntdata”: only level A of the same practice ticks it.

On grant the colleague's sessions end: they log in again and must set up a second factor before
any page. On revoke it takes effect at the colleague's next request, without logging in again.
The colleague logs in through the real login form in their own browser (a second client), so
allauth keeps track of their session the way it does in production.
"""

from __future__ import annotations

import pytest
from allauth.usersessions.models import UserSession
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.levels import Level
from accounts.models import Membership, StaffChange
from tests.factories import MembershipFactory, UserFactory, totp_enable
from tests.staff.fixtures_requests import (
    INVITATION_LINK,
    admin_form_data,
    html_part,
    in_dutch,
    is_login_redirect,
    level_c_member,
    log_in_with_password,
    membership_of,
)

pytestmark = pytest.mark.django_db

A = StaffChange.Action
STAFF_LIST = reverse("accounts:staff-list")


@pytest.fixture(autouse=True)
def frozen(time_machine):
    """Stop the clock, so a TOTP code computed here is checked in the same 30-second window."""
    time_machine.move_to(timezone.now(), tick=False)
    return time_machine


@pytest.fixture
def gp_client(client, gp):
    client.force_login(gp)
    return client


@pytest.fixture
def trusted_colleague(practice, totp_secret):
    """A level-C colleague who has patient-data access and a second factor."""
    user = UserFactory(email="poh.ggz@delinde.nl", first_name="Geke", last_name="Hoekstra")
    MembershipFactory(user=user, organisation=practice, level=Level.C, has_patient_data_access=True)
    totp_secret[user.pk] = totp_enable(user)
    return user


def _set_access(client, membership: Membership, granted: bool):
    data = {"granted": "on"} if granted else {}
    return client.post(reverse("accounts:patient-data-access", args=[membership.pk]), data)


# --- Grant --------------------------------------------------------------------------------


def test_grant_sets_the_flag_records_it_ends_the_colleagues_sessions_and_mails_them(
    gp_client, gp, assistant, practice, django_capture_on_commit_callbacks
):
    colleague = log_in_with_password(assistant)
    assert colleague.get(reverse("home")).status_code == 200
    assert UserSession.objects.filter(user=assistant).exists()
    membership = membership_of(assistant)

    with django_capture_on_commit_callbacks(execute=True):
        response = _set_access(gp_client, membership, granted=True)

    assert response.status_code == 302 and response["Location"] == STAFF_LIST
    membership.refresh_from_db()
    assert membership.has_patient_data_access
    change = StaffChange.objects.get()
    assert (change.action, change.actor, change.subject, change.organisation) == (
        A.ACCESS_GRANTED,
        gp,
        assistant,
        practice,
    )
    assert change.subject_email == assistant.email and change.created_at is not None

    # The colleague's open session has ended: their next request is anonymous.
    assert not UserSession.objects.filter(user=assistant).exists()
    assert is_login_redirect(colleague.get(reverse("home")))
    # The level-A user who granted it stays logged in.
    assert gp_client.get(STAFF_LIST).status_code == 200

    [message] = mail.outbox
    assert message.to == [assistant.email]
    assert message.subject == in_dutch("You now have access to patient data in Regiozorg")
    assert message.body and html_part(message)
    assert "http://testserver/" in message.body  # where to log in again (the address used)
    assert not INVITATION_LINK.search(message.body)


def test_after_a_grant_the_colleague_must_set_up_a_second_factor_before_any_page(
    gp_client, assistant
):
    _set_access(gp_client, membership_of(assistant), granted=True)

    colleague = log_in_with_password(assistant)

    setup = reverse("mfa_activate_totp")
    for page in (reverse("home"), reverse("accounts:profile"), reverse("accounts:invitation-list")):
        response = colleague.get(page)
        assert response.status_code == 302, page
        assert response["Location"] == setup
    assert colleague.get(setup).status_code == 200


def test_granting_twice_records_and_mails_once(
    gp_client, assistant, django_capture_on_commit_callbacks
):
    membership = membership_of(assistant)
    with django_capture_on_commit_callbacks(execute=True):
        _set_access(gp_client, membership, granted=True)
        _set_access(gp_client, membership, granted=True)

    assert StaffChange.objects.filter(action=A.ACCESS_GRANTED).count() == 1
    assert len(mail.outbox) == 1


def test_staff_list_offers_grant_and_revoke_per_colleague(gp_client, assistant, trusted_colleague):
    html = gp_client.get(STAFF_LIST).content.decode()

    for user in (assistant, trusted_colleague):
        assert reverse("accounts:patient-data-access", args=[membership_of(user).pk]) in html


# --- Revoke -------------------------------------------------------------------------------


def test_revoke_takes_effect_at_the_colleagues_next_request_without_logging_in_again(
    gp_client, gp, trusted_colleague, practice, login_with_totp
):
    colleague = login_with_totp(trusted_colleague, client=Client())
    before = colleague.get(reverse("accounts:profile"))
    assert before.wsgi_request.membership.has_patient_data_access
    assert in_dutch("You have access to patient data.") in before.content.decode()

    response = _set_access(gp_client, membership_of(trusted_colleague), granted=False)

    assert response["Location"] == STAFF_LIST
    after = colleague.get(reverse("accounts:profile"))
    assert after.status_code == 200
    assert after.wsgi_request.user == trusted_colleague  # still logged in: same session
    assert not after.wsgi_request.membership.has_patient_data_access
    html = after.content.decode()
    assert in_dutch("No access to patient data.") in html
    assert in_dutch("You have access to patient data.") not in html
    change = StaffChange.objects.get()
    assert (change.action, change.actor, change.subject, change.organisation) == (
        A.ACCESS_REVOKED,
        gp,
        trusted_colleague,
        practice,
    )


def test_revoke_of_a_colleague_without_access_changes_nothing(gp_client, assistant):
    _set_access(gp_client, membership_of(assistant), granted=False)
    assert not StaffChange.objects.exists()


# --- Who may --------------------------------------------------------------------------------


def test_level_c_cannot_grant_access_to_a_colleague(client, practice, assistant):
    client.force_login(level_c_member(practice))
    membership = membership_of(assistant)

    response = _set_access(client, membership, granted=True)

    assert response.status_code == 403
    membership.refresh_from_db()
    assert not membership.has_patient_data_access
    assert not StaffChange.objects.exists()


def test_level_c_cannot_revoke_access_either(client, practice, trusted_colleague):
    client.force_login(level_c_member(practice))

    assert _set_access(client, membership_of(trusted_colleague), granted=False).status_code == 403
    assert membership_of(trusted_colleague).has_patient_data_access


def test_level_a_of_another_practice_gets_404_and_changes_nothing(
    client, outsider, assistant, trusted_colleague
):
    client.force_login(outsider)

    assert _set_access(client, membership_of(assistant), granted=True).status_code == 404
    assert _set_access(client, membership_of(trusted_colleague), granted=False).status_code == 404

    assert not membership_of(assistant).has_patient_data_access
    assert membership_of(trusted_colleague).has_patient_data_access
    assert not StaffChange.objects.exists()


def test_level_a_cannot_grant_access_in_another_organisation_they_do_not_manage(gp_client, nurse):
    """The lead provider's membership is not De Linde's: not found for De Linde's level A."""
    membership = membership_of(nurse)
    assert _set_access(gp_client, membership, granted=False).status_code == 404
    assert membership_of(nurse).has_patient_data_access


def test_helpdesk_cannot_tick_patient_data_access_in_the_membership_admin(helpdesk, assistant):
    client = Client()
    client.force_login(helpdesk)
    membership = membership_of(assistant)
    url = reverse("admin:accounts_membership_change", args=[membership.pk])

    page = client.get(url)
    assert "has_patient_data_access" not in page.context["adminform"].form.fields  # read-only

    response = client.post(url, admin_form_data(page, has_patient_data_access="on"))

    assert response.status_code == 302
    membership.refresh_from_db()
    assert not membership.has_patient_data_access
    assert not StaffChange.objects.filter(action=A.ACCESS_GRANTED).exists()


def test_helpdesk_cannot_tick_patient_data_access_in_the_user_admin_either(helpdesk, assistant):
    client = Client()
    client.force_login(helpdesk)

    response = client.get(reverse("admin:accounts_user_change", args=[assistant.pk]))

    [inline] = [
        formset
        for formset in response.context["inline_admin_formsets"]
        if formset.formset.model is Membership
    ]
    assert "has_patient_data_access" in inline.readonly_fields
    assert all("has_patient_data_access" not in f.fields for f in inline.formset.forms)


def test_a_new_level_a_member_cannot_grant_themselves_access_while_the_practice_has_a_keeper(
    client, gp, practice
):
    """Four eyes: an account made level A (say by the helpdesk, for an address it controls)
    does not open the practice's patients on its own; the practice's own level A decides."""
    newcomer = UserFactory(email="nieuw.a@delinde.nl")
    own = MembershipFactory(user=newcomer, organisation=practice, level=Level.A)
    totp_enable(newcomer)
    client.force_login(newcomer)

    response = _set_access(client, own, granted=True)

    assert response.status_code == 302
    assert not Membership.objects.get(pk=own.pk).has_patient_data_access
    assert "Toegang tot patiëntgegevens voor jezelf geeft een andere collega" in (
        client.get(STAFF_LIST).content.decode()
    )
    assert not StaffChange.objects.filter(subject=newcomer, action=A.ACCESS_GRANTED).exists()

    gp_browser = Client()
    gp_browser.force_login(gp)
    _set_access(gp_browser, own, granted=True)
    assert Membership.objects.get(pk=own.pk).has_patient_data_access

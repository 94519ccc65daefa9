"""Accepting an invitation: the link from the e-mail, a password, a second factor, a membership.

Every test gets its link the way the invitee does: from the e-mail in the outbox.
"""

from __future__ import annotations

import re
import threading

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import PermissionDenied
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts import services
from accounts.levels import Level, Role
from accounts.models import AccountRequest, Invitation, Membership, StaffChange, User
from accounts.services.invitations import InvitationUnusable
from tests.conftest import totp_code
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

A = StaffChange.Action
LINK = re.compile(r"/uitnodiging/[A-Za-z0-9_-]+/")
NEW_PASSWORD = "Groene-fiets-over-de-dijk-7"


@pytest.fixture
def frozen(time_machine):
    """Stop the clock, so a TOTP code computed here is checked in the same 30-second window."""
    time_machine.move_to(timezone.now(), tick=False)
    return time_machine


def _in_dutch(msgid: str) -> str:
    with translation.override("nl"):
        return gettext(msgid)


def _link_to(outbox, email: str) -> str:
    [message] = [m for m in outbox if m.to == [email]]
    [path] = set(LINK.findall(message.body))
    return path


def _logged_in_as(client) -> int | None:
    value = client.session.get(SESSION_KEY)
    return int(value) if value else None


def _accept_data(**overrides):
    data = {
        "first_name": "Fenna",
        "infix": "van der",
        "last_name": "Meer",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    }
    data.update(overrides)
    return data


@pytest.fixture
def partner_link(gp, physio_practice, mailoutbox, django_capture_on_commit_callbacks):
    """De Linde invites a physiotherapist of Fysio Centrum; returns the link from the e-mail."""
    gp_membership = Membership.objects.get(user=gp)
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_create(
            inviter=gp_membership,
            email="f.vandermeer@fysiocentrum.nl",
            first_name="Fenna",
            last_name="Meer",
            organisation=physio_practice,
        )
    return _link_to(mailoutbox, "f.vandermeer@fysiocentrum.nl")


@pytest.fixture
def staff_link(gp, helpdesk, mailoutbox, django_capture_on_commit_callbacks):
    """Level A asks for a level-C colleague, the helpdesk approves; the link from the e-mail."""
    request = services.account_request_create(
        manager=Membership.objects.get(user=gp),
        initials="S.",
        last_name="Vries",
        infix="de",
        email="s.devries@delinde.nl",
        agb_code="01099999",
        mobile="0612345678",
        level=Level.C,
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.account_request_approve(helpdesk_user=helpdesk, account_request=request)
    return _link_to(mailoutbox, "s.devries@delinde.nl")


# --- A new account -----------------------------------------------------------------------------


def test_anonymous_invitee_sees_the_form_with_the_names_filled_in(client, partner_link):
    response = client.get(partner_link)

    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["first_name"] == "Fenna"
    assert form.initial["last_name"] == "Meer"
    assert response.context["invitation"].email == "f.vandermeer@fysiocentrum.nl"
    assert 'name="password1"' in response.content.decode()


def test_partner_accepts_sets_totp_and_opens_the_start_page(
    client, partner_link, physio_practice, frozen
):
    response = client.post(partner_link, _accept_data())

    # Logged in straight away and sent to set up the second factor.
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    user = User.objects.get(email="f.vandermeer@fysiocentrum.nl")
    assert (user.first_name, user.infix, user.last_name) == ("Fenna", "van der", "Meer")
    assert user.check_password(NEW_PASSWORD)
    assert _logged_in_as(client) == user.pk
    membership = Membership.objects.get(user=user)
    assert membership.organisation == physio_practice
    assert membership.role == Role.PROVIDER
    assert membership.level == ""
    assert membership.has_patient_data_access is True
    invitation = Invitation.objects.get()
    assert invitation.status == Invitation.Status.ACCEPTED
    assert invitation.accepted_user == user
    assert invitation.accepted_at == timezone.now()
    assert StaffChange.objects.filter(
        action=A.INVITATION_ACCEPTED, actor=user, subject=user, organisation=physio_practice
    ).exists()
    assert StaffChange.objects.filter(
        action=A.MEMBERSHIP_CREATED, subject=user, organisation=physio_practice
    ).exists()
    # Patient data needs a second factor first: everything leads to the set-up page.
    assert client.get(reverse("home"))["Location"] == reverse("mfa_activate_totp")

    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    match = re.search(r'id="authenticator_secret" value="([A-Z2-7=]+)"', page.content.decode())
    assert match, "the activation page shows the secret to type into the app"
    activated = client.post(reverse("mfa_activate_totp"), {"code": totp_code(match.group(1))})

    assert activated.status_code == 302
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    start = client.get(reverse("home"))
    assert start.status_code == 200
    assert physio_practice.name in start.content.decode()


def test_practice_colleague_gets_the_level_from_the_approved_request(
    client, staff_link, practice, helpdesk
):
    response = client.post(
        staff_link, _accept_data(first_name="Sietske", infix="de", last_name="Vries")
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    user = User.objects.get(email="s.devries@delinde.nl")
    # What the practice filled in on the request ends up on the account.
    assert user.initials == "S."
    assert user.agb_code == "01099999"
    assert user.mobile == "0612345678"
    membership = Membership.objects.get(user=user)
    assert membership.organisation == practice
    assert membership.level == Level.C
    assert membership.role == ""
    # Only level A ticks patient-data access, later; an account request never grants it.
    assert membership.has_patient_data_access is False
    invitation = Invitation.objects.get(email=user.email)
    assert invitation.source == Invitation.Source.ACCOUNT_REQUEST
    assert invitation.account_request.status == AccountRequest.Status.APPROVED
    assert invitation.status == Invitation.Status.ACCEPTED
    assert _logged_in_as(client) == user.pk


def test_the_link_works_only_once(client, partner_link):
    assert client.post(partner_link, _accept_data()).status_code == 302
    client.logout()

    again = client.get(partner_link)
    other = Client().post(partner_link, _accept_data(first_name="Iemand", last_name="Anders"))

    assert again.status_code == 410
    assert again.context["message"] == _in_dutch(
        "This invitation has already been used. Log in with your e-mail address."
    )
    assert other.status_code == 410
    assert User.objects.filter(email="f.vandermeer@fysiocentrum.nl").count() == 1
    assert User.objects.get(email="f.vandermeer@fysiocentrum.nl").first_name == "Fenna"


def test_two_open_forms_cannot_both_accept(client, partner_link):
    first, second = Client(), Client()
    assert first.get(partner_link).status_code == 200
    assert second.get(partner_link).status_code == 200

    assert first.post(partner_link, _accept_data()).status_code == 302
    response = second.post(partner_link, _accept_data(password1="x" * 20, password2="x" * 20))

    assert response.status_code == 410
    assert _logged_in_as(second) is None
    user = User.objects.get(email="f.vandermeer@fysiocentrum.nl")
    assert user.check_password(NEW_PASSWORD)
    assert Membership.objects.filter(user=user).count() == 1
    assert StaffChange.objects.filter(action=A.INVITATION_ACCEPTED).count() == 1


def test_accepting_twice_through_the_service_is_refused(partner_link):
    token = partner_link.rstrip("/").rsplit("/", 1)[-1]
    services.invitation_accept(
        token=token, first_name="Fenna", last_name="Meer", password=NEW_PASSWORD
    )

    with pytest.raises(InvitationUnusable) as refused:
        services.invitation_accept(
            token=token, first_name="Fenna", last_name="Meer", password=NEW_PASSWORD
        )

    assert refused.value.code == "used"
    assert User.objects.filter(email="f.vandermeer@fysiocentrum.nl").count() == 1


@pytest.mark.parametrize(
    ("passwords", "field"),
    [
        (("1234", "1234"), "password1"),
        (("fenna.vandermeer", "fenna.vandermeer"), "password1"),  # too like the e-mail
        ((NEW_PASSWORD, NEW_PASSWORD + "!"), "password2"),
    ],
)
def test_a_weak_or_mismatched_password_creates_nothing(client, partner_link, passwords, field):
    password1, password2 = passwords

    response = client.post(partner_link, _accept_data(password1=password1, password2=password2))

    assert response.status_code == 422
    assert field in response.context["form"].errors
    assert not User.objects.filter(email="f.vandermeer@fysiocentrum.nl").exists()
    assert Invitation.objects.get().status == Invitation.Status.PENDING
    assert _logged_in_as(client) is None
    # The link still works for a second try.
    assert client.post(partner_link, _accept_data()).status_code == 302


def test_names_are_required(client, partner_link):
    response = client.post(partner_link, _accept_data(first_name="", last_name=""))

    assert response.status_code == 422
    assert {"first_name", "last_name"} <= set(response.context["form"].errors)
    assert not User.objects.filter(email="f.vandermeer@fysiocentrum.nl").exists()


def test_an_unknown_token_is_404(client, partner_link):
    response = client.get(reverse("accounts:invitation-accept", args=["niet-bestaand-token"]))
    post = client.post(reverse("accounts:invitation-accept", args=["x" * 43]), _accept_data())

    assert response.status_code == 404
    assert response.context["message"] == _in_dutch("This invitation link is not valid.")
    assert post.status_code == 404
    assert not User.objects.filter(email="f.vandermeer@fysiocentrum.nl").exists()


# --- Someone who already has an account -------------------------------------------------------


@pytest.fixture
def physio_invited_by_nurse(nurse, physio, mailoutbox, django_capture_on_commit_callbacks):
    """The lead nurse invites the physiotherapist (who has an account) into the nursing org."""
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_create(
            inviter=Membership.objects.get(user=nurse),
            email=physio.email,
            first_name=physio.first_name,
            last_name=physio.last_name,
        )
    return _link_to(mailoutbox, physio.email)


def test_existing_user_who_is_not_logged_in_is_sent_to_log_in(
    client, physio, physio_invited_by_nurse
):
    response = client.get(physio_invited_by_nurse)

    assert response.status_code == 200
    assert response.context["existing"] is True
    assert "form" not in response.context
    login = f"{reverse('account_login')}?next={physio_invited_by_nurse}"
    assert login in response.content.decode()
    # A POST without logging in does nothing.
    assert client.post(physio_invited_by_nurse, _accept_data()).status_code == 200
    assert Invitation.objects.get().status == Invitation.Status.PENDING
    # Logging in through that link brings them back to the invitation.
    logged_in = client.post(login, {"login": physio.email, "password": PASSWORD})
    assert logged_in.status_code == 302
    assert logged_in["Location"] == physio_invited_by_nurse


def test_existing_user_accepts_and_gets_a_second_membership(
    client, physio, nursing, physio_practice, physio_invited_by_nurse
):
    users_before = User.objects.count()
    client.force_login(physio)
    page = client.get(physio_invited_by_nurse)
    assert page.status_code == 200
    assert page.context["other_user"] is False

    response = client.post(physio_invited_by_nurse)

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert User.objects.count() == users_before
    assert set(
        Membership.objects.filter(user=physio, is_active=True).values_list(
            "organisation", flat=True
        )
    ) == {physio_practice.pk, nursing.pk}
    membership = Membership.objects.get(user=physio, organisation=nursing)
    assert membership.role == Role.PROVIDER
    assert membership.has_patient_data_access is True
    physio.refresh_from_db()
    assert physio.check_password(PASSWORD)  # the password they had stays
    invitation = Invitation.objects.get()
    assert invitation.status == Invitation.Status.ACCEPTED
    assert invitation.accepted_user == physio
    assert client.get(physio_invited_by_nurse).status_code == 410


def test_someone_else_logged_in_is_warned_and_nothing_happens(
    client, assistant, physio, nursing, physio_invited_by_nurse
):
    client.force_login(assistant)

    page = client.get(physio_invited_by_nurse)
    response = client.post(physio_invited_by_nurse, _accept_data())

    assert page.status_code == 200
    assert page.context["other_user"] is True
    assert "alert-warning" in page.content.decode()
    assert response.status_code == 200
    assert not Membership.objects.filter(
        organisation=nursing, user__in=[assistant, physio]
    ).exists()
    assert Invitation.objects.get().status == Invitation.Status.PENDING


def test_someone_else_logged_in_cannot_take_a_new_account_invitation(
    client, assistant, partner_link
):
    client.force_login(assistant)

    response = client.post(partner_link, _accept_data())

    assert response.status_code == 200
    assert response.context["other_user"] is True
    assert not User.objects.filter(email="f.vandermeer@fysiocentrum.nl").exists()
    assert _logged_in_as(client) == assistant.pk
    assert Invitation.objects.get().status == Invitation.Status.PENDING


def test_existing_user_accepting_through_the_service_needs_to_be_that_user(
    physio, assistant, physio_invited_by_nurse
):
    token = physio_invited_by_nurse.rstrip("/").rsplit("/", 1)[-1]

    with pytest.raises(PermissionDenied):
        services.invitation_accept(token=token, user=assistant)
    with pytest.raises(PermissionDenied):
        services.invitation_accept(token=token, password=NEW_PASSWORD, first_name="X")

    assert Invitation.objects.get().status == Invitation.Status.PENDING
    physio.refresh_from_db()
    assert physio.check_password(PASSWORD)


# --- Really at the same moment (PostgreSQL: row locks) ------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_acceptances_join_once(
    gp, physio_practice, mailoutbox, django_capture_on_commit_callbacks
):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the row lock is what PostgreSQL relies on")
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_create(
            inviter=Membership.objects.get(user=gp),
            email="f.vandermeer@fysiocentrum.nl",
            organisation=physio_practice,
        )
    token = _link_to(mailoutbox, "f.vandermeer@fysiocentrum.nl").rstrip("/").rsplit("/", 1)[-1]
    barrier = threading.Barrier(2)
    outcomes = []

    def accept():
        try:
            barrier.wait()
            services.invitation_accept(
                token=token, first_name="Fenna", last_name="Meer", password=NEW_PASSWORD
            )
            outcomes.append("joined")
        except InvitationUnusable as exc:
            outcomes.append(exc.code)
        except Exception as exc:  # pragma: no cover - shown in the assertion below
            outcomes.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=accept) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["joined", "used"]
    user = User.objects.get(email="f.vandermeer@fysiocentrum.nl")
    assert Membership.objects.filter(user=user).count() == 1
    assert StaffChange.objects.filter(action=A.INVITATION_ACCEPTED).count() == 1

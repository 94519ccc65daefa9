"""Account and level-change requests: level A asks, the helpdesk decides in the admin.

The seed: a level-A user requests a colleague's account with the form (initials*, infix,
surname*, personal AGB code, e-mail*, mobile, level*, remarks); the helpdesk approves or
rejects with a reason; approval sends a Dutch invitation e-mail with a single-use link, and the
requester hears the outcome.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from accounts import services
from accounts.helpdesk import HELPDESK_GROUP
from accounts.levels import Level
from accounts.models import AccountRequest, Invitation, Membership, StaffChange, User
from tests.factories import UserFactory, totp_enable
from tests.staff.fixtures_requests import (
    INVITATION_LINK,
    SEED_FORM,
    account_request,
    approve,
    html_part,
    in_dutch,
    level_change_request,
    mails_to,
    membership_of,
    reject,
)

pytestmark = pytest.mark.django_db

A = StaffChange.Action
REQUEST_URL = reverse("accounts:account-request")
STAFF_LIST = reverse("accounts:staff-list")
NEW_EMAIL = SEED_FORM["email"]


@pytest.fixture
def gp_client(client, gp):
    client.force_login(gp)
    return client


@pytest.fixture
def helpdesk_client(helpdesk):
    client = Client()
    client.force_login(helpdesk)
    return client


def _form_errors(response) -> dict[str, list[str]]:
    """Field → error codes of the form on a refused page."""
    form = response.context["form"]
    return {field: [e.code for e in errors] for field, errors in form.errors.as_data().items()}


def _change_url(request) -> str:
    return reverse("admin:accounts_accountrequest_change", args=[request.pk])


# --- Level A asks ---------------------------------------------------------------------------


def test_level_a_requests_an_account_that_waits_for_the_helpdesk(gp_client, gp, practice):
    response = gp_client.post(REQUEST_URL, SEED_FORM)

    assert response.status_code == 302
    assert response["Location"] == STAFF_LIST
    request = AccountRequest.objects.get()
    assert request.status == AccountRequest.Status.PENDING
    assert request.kind == AccountRequest.Kind.NEW_ACCOUNT
    assert (request.organisation, request.requested_by) == (practice, gp)
    assert (request.initials, request.infix, request.last_name) == ("J.", "van der", "Meer")
    assert (request.agb_code, request.email, request.mobile, request.level) == (
        "01234567",
        NEW_EMAIL,
        "06 12345678",
        Level.C,
    )
    assert request.remarks == SEED_FORM["remarks"]
    # Nothing exists for the colleague until the helpdesk approves.
    assert not User.objects.filter(email__iexact=NEW_EMAIL).exists()
    assert not Invitation.objects.exists()
    change = StaffChange.objects.get()
    assert (change.action, change.actor, change.subject_email, change.organisation) == (
        A.ACCOUNT_REQUESTED,
        gp,
        NEW_EMAIL,
        practice,
    )
    assert change.details["request"] == request.pk


def test_the_request_form_offers_the_seeds_fields(gp_client):
    form = gp_client.get(REQUEST_URL).context["form"]
    assert list(form.fields) == [
        "initials",
        "infix",
        "last_name",
        "agb_code",
        "email",
        "mobile",
        "level",
        "remarks",
    ]
    required = {name for name, field in form.fields.items() if field.required}
    assert required == {"initials", "last_name", "email", "level"}


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("initials", "", "required"),
        ("last_name", "", "required"),
        ("email", "", "required"),
        ("level", "", "required"),
        ("level", "Z", "invalid_choice"),
        ("agb_code", "0123456", "invalid_agb"),  # seven digits
        ("agb_code", "0123456A", "invalid_agb"),
        ("email", "j.vandermeer-at-delinde.nl", "invalid"),
        ("mobile", "12", "invalid_phone"),
    ],
)
def test_bad_input_is_refused_with_422_and_nothing_is_saved(gp_client, field, value, code):
    response = gp_client.post(REQUEST_URL, {**SEED_FORM, field: value})

    assert response.status_code == 422
    assert code in _form_errors(response)[field]
    assert not AccountRequest.objects.exists()
    assert not StaffChange.objects.exists()


def test_a_second_pending_request_for_the_same_email_is_refused(gp_client, gp):
    account_request(gp)

    response = gp_client.post(REQUEST_URL, {**SEED_FORM, "email": NEW_EMAIL.upper()})

    assert response.status_code == 422
    errors = response.context["form"].non_field_errors()
    assert errors == [in_dutch("A request for this e-mail address is already waiting.")]
    assert AccountRequest.objects.count() == 1
    assert StaffChange.objects.filter(action=A.ACCOUNT_REQUESTED).count() == 1


def test_after_a_rejection_the_same_email_can_be_requested_again(gp_client, gp, helpdesk):
    first = account_request(gp)
    services.account_request_reject(helpdesk_user=helpdesk, account_request=first, reason="AGB?")

    response = gp_client.post(REQUEST_URL, SEED_FORM)

    assert response.status_code == 302
    assert AccountRequest.objects.pending().count() == 1


def test_requesting_an_account_for_someone_already_at_the_practice_is_refused(gp_client, assistant):
    response = gp_client.post(REQUEST_URL, {**SEED_FORM, "email": assistant.email.upper()})

    assert response.status_code == 422
    assert list(_form_errors(response)) == ["email"]
    assert not AccountRequest.objects.exists()
    assert not StaffChange.objects.exists()


def test_level_a_requests_a_level_change_for_a_colleague(gp_client, gp, assistant, practice):
    membership = membership_of(assistant)
    url = reverse("accounts:level-change", args=[membership.pk])

    response = gp_client.post(url, {"level": Level.A, "remarks": "Rol A wijziging"})

    assert response.status_code == 302
    assert response["Location"] == STAFF_LIST
    request = AccountRequest.objects.get()
    assert request.kind == AccountRequest.Kind.LEVEL_CHANGE
    assert request.status == AccountRequest.Status.PENDING
    assert (request.target_membership, request.level, request.remarks) == (
        membership,
        Level.A,
        "Rol A wijziging",
    )
    assert (request.email, request.last_name) == (assistant.email, assistant.last_name)
    membership.refresh_from_db()
    assert membership.level == Level.E  # only the helpdesk changes it
    change = StaffChange.objects.get()
    assert (change.action, change.actor, change.subject, change.organisation) == (
        A.LEVEL_CHANGE_REQUESTED,
        gp,
        assistant,
        practice,
    )
    assert (change.details["before"], change.details["after"]) == (Level.E, Level.A)


def test_level_change_form_shows_the_current_level(gp_client, assistant):
    url = reverse("accounts:level-change", args=[membership_of(assistant).pk])
    assert gp_client.get(url).context["form"].initial == {"level": Level.E}


def test_requesting_the_level_a_colleague_already_has_is_refused(gp_client, assistant):
    url = reverse("accounts:level-change", args=[membership_of(assistant).pk])

    response = gp_client.post(url, {"level": Level.E})

    assert response.status_code == 422
    assert list(_form_errors(response)) == ["level"]
    assert not AccountRequest.objects.exists()


def test_a_second_pending_level_change_for_the_same_colleague_is_refused(gp_client, gp, assistant):
    membership = membership_of(assistant)
    level_change_request(gp, membership, Level.C)

    response = gp_client.post(
        reverse("accounts:level-change", args=[membership.pk]), {"level": Level.A}
    )

    assert response.status_code == 422
    assert response.context["form"].non_field_errors()
    assert AccountRequest.objects.get().level == Level.C


# --- The helpdesk sees and decides ----------------------------------------------------------


def test_helpdesk_sees_pending_requests_in_the_admin(helpdesk_client, gp):
    request = account_request(gp)

    changelist = helpdesk_client.get(reverse("admin:accounts_accountrequest_changelist"))
    change = helpdesk_client.get(_change_url(request))

    assert list(changelist.context["cl"].result_list) == [request]
    assert change.status_code == 200
    html = change.content.decode()
    assert reverse("admin:accounts_accountrequest_approve", args=[request.pk]) in html
    assert reverse("admin:accounts_accountrequest_reject", args=[request.pk]) in html


def test_helpdesk_approves_a_new_account_the_invitee_gets_a_dutch_invitation_with_a_link(
    helpdesk_client, helpdesk, gp, practice, django_capture_on_commit_callbacks
):
    request = account_request(gp)

    with django_capture_on_commit_callbacks(execute=True):
        response = approve(helpdesk_client, request)

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:accounts_accountrequest_changelist")
    request.refresh_from_db()
    assert request.status == AccountRequest.Status.APPROVED
    assert request.decided_by == helpdesk and request.decided_at is not None
    invitation = Invitation.objects.get()
    assert (invitation.organisation, invitation.inviting_organisation) == (practice, practice)
    assert (invitation.email, invitation.level, invitation.account_request) == (
        NEW_EMAIL,
        Level.C,
        request,
    )
    assert invitation.source == Invitation.Source.ACCOUNT_REQUEST
    assert (invitation.agb_code, invitation.mobile) == ("01234567", "06 12345678")
    # The account itself is made when the invitee accepts.
    assert not User.objects.filter(email__iexact=NEW_EMAIL).exists()

    [invite] = mails_to(mail.outbox, NEW_EMAIL)
    assert invite.to == [NEW_EMAIL]
    assert invite.subject == in_dutch("Invitation to Regiozorg for %(org)s", org=practice.name)
    html = html_part(invite)
    assert 'lang="nl"' in html
    [path] = set(INVITATION_LINK.findall(invite.body))
    assert set(INVITATION_LINK.findall(html)) == {path}
    # The link works for the invitee (a fresh browser, not logged in).
    page = Client().get(path)
    assert page.status_code == 200
    assert page.context["invitation"] == invitation

    [outcome] = mails_to(mail.outbox, gp.email)
    assert outcome.body and html_part(outcome)
    assert outcome.subject == in_dutch("Request approved: %(name)s", name=request.full_name)
    assert len(mail.outbox) == 2

    actions = set(StaffChange.objects.filter(actor=helpdesk).values_list("action", flat=True))
    assert actions == {A.REQUEST_APPROVED, A.INVITATION_CREATED, A.INVITATION_SENT}


def test_approving_a_request_for_an_existing_user_adds_the_practice_without_invitation(
    helpdesk_client, helpdesk, gp, physio, practice, django_capture_on_commit_callbacks
):
    request = account_request(gp, email=physio.email, level=Level.E)

    with django_capture_on_commit_callbacks(execute=True):
        approve(helpdesk_client, request)

    membership = Membership.objects.get(user=physio, organisation=practice)
    assert membership.is_active and membership.level == Level.E
    assert not membership.has_patient_data_access
    assert not Invitation.objects.exists()
    [added] = mails_to(mail.outbox, physio.email)
    assert added.subject == in_dutch(
        "You now also work on behalf of %(org)s in Regiozorg", org=practice.name
    )
    assert added.body and html_part(added)
    assert not INVITATION_LINK.search(added.body)
    assert len(mails_to(mail.outbox, gp.email)) == 1
    assert StaffChange.objects.filter(
        action=A.MEMBERSHIP_CREATED, subject=physio, organisation=practice, actor=helpdesk
    ).exists()


def test_approving_a_level_change_changes_the_level_and_records_before_and_after(
    helpdesk_client, helpdesk, gp, assistant, practice, django_capture_on_commit_callbacks
):
    membership = membership_of(assistant)
    request = level_change_request(gp, membership, Level.A, remarks="Rol A wijziging")

    with django_capture_on_commit_callbacks(execute=True):
        approve(helpdesk_client, request)

    membership.refresh_from_db()
    assert membership.level == Level.A
    change = StaffChange.objects.get(action=A.LEVEL_CHANGED)
    assert (change.actor, change.subject, change.organisation) == (helpdesk, assistant, practice)
    assert (change.details["before"], change.details["after"]) == (Level.E, Level.A)
    [outcome] = mails_to(mail.outbox, gp.email)
    assert outcome.subject == in_dutch("Request approved: %(name)s", name=request.full_name)
    assert not Invitation.objects.exists()


def test_helpdesk_rejects_with_a_reason_and_the_requester_reads_it(
    helpdesk_client, helpdesk, gp, django_capture_on_commit_callbacks
):
    request = account_request(gp)
    reason = "Deze persoon heeft geen AGB-code bij Vektis; graag eerst aanvragen."

    with django_capture_on_commit_callbacks(execute=True):
        response = reject(helpdesk_client, request, reason)

    assert response["Location"] == reverse("admin:accounts_accountrequest_changelist")
    request.refresh_from_db()
    assert request.status == AccountRequest.Status.REJECTED
    assert (request.rejection_reason, request.decided_by) == (reason, helpdesk)
    [outcome] = mail.outbox
    assert outcome.to == [gp.email]
    assert outcome.subject == in_dutch("Request rejected: %(name)s", name=request.full_name)
    assert reason in outcome.body
    assert reason in html_part(outcome)
    assert not Invitation.objects.exists()
    change = StaffChange.objects.get(action=A.REQUEST_REJECTED)
    assert (change.actor, change.details["reason"]) == (helpdesk, reason)


def test_rejecting_without_a_reason_is_refused_and_the_request_stays_pending(
    helpdesk_client, gp, django_capture_on_commit_callbacks
):
    request = account_request(gp)

    with django_capture_on_commit_callbacks(execute=True):
        response = reject(helpdesk_client, request, "   ")

    assert response.status_code == 302
    assert response["Location"] == _change_url(request)
    request.refresh_from_db()
    assert request.status == AccountRequest.Status.PENDING
    assert mail.outbox == []
    assert not StaffChange.objects.filter(action=A.REQUEST_REJECTED).exists()


def test_a_second_approval_is_refused_and_nothing_is_duplicated(
    helpdesk_client, gp, django_capture_on_commit_callbacks
):
    request = account_request(gp)
    with django_capture_on_commit_callbacks(execute=True):
        approve(helpdesk_client, request)

    with django_capture_on_commit_callbacks(execute=True):
        second = approve(helpdesk_client, request)
        rejected = reject(helpdesk_client, request, "Toch niet")

    assert second["Location"] == _change_url(request)
    assert rejected["Location"] == _change_url(request)
    request.refresh_from_db()
    assert request.status == AccountRequest.Status.APPROVED
    assert Invitation.objects.count() == 1
    assert StaffChange.objects.filter(action=A.REQUEST_APPROVED).count() == 1
    assert len(mails_to(mail.outbox, NEW_EMAIL)) == 1
    assert len(mails_to(mail.outbox, gp.email)) == 1


def test_a_decided_request_offers_no_decision_buttons(helpdesk_client, gp):
    request = account_request(gp)
    approve(helpdesk_client, request)

    html = helpdesk_client.get(_change_url(request)).content.decode()

    assert reverse("admin:accounts_accountrequest_approve", args=[request.pk]) not in html


def test_an_approval_that_cannot_go_through_leaves_the_request_pending(
    helpdesk_client, helpdesk, gp, django_capture_on_commit_callbacks
):
    # The first request was approved: its invitation is open. A second request for the same
    # person (written directly: the service now refuses it up front) cannot get another
    # invitation, so nothing of its approval is written.
    first = account_request(gp)
    services.account_request_approve(helpdesk_user=helpdesk, account_request=first)
    second = AccountRequest.objects.create(
        organisation=first.organisation,
        kind=AccountRequest.Kind.NEW_ACCOUNT,
        requested_by=gp,
        initials=first.initials,
        last_name=first.last_name,
        email=first.email,
        level=first.level,
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = approve(helpdesk_client, second)

    assert response["Location"] == _change_url(second)
    second.refresh_from_db()
    assert second.status == AccountRequest.Status.PENDING and second.decided_by is None
    assert Invitation.objects.count() == 1
    assert StaffChange.objects.filter(action=A.REQUEST_APPROVED).count() == 1
    assert mail.outbox == []


def test_staff_user_outside_the_helpdesk_cannot_approve(gp, totp_secret):
    other_staff = UserFactory(email="beheer@kzf.nl", is_staff=True)
    totp_secret[other_staff.pk] = totp_enable(other_staff)
    assert not other_staff.groups.filter(name=HELPDESK_GROUP).exists()
    request = account_request(gp)
    client = Client()
    client.force_login(other_staff)

    assert client.get(reverse("admin:accounts_accountrequest_changelist")).status_code == 403
    assert approve(client, request).status_code == 403
    assert reject(client, request, "Nee").status_code == 403

    request.refresh_from_db()
    assert request.status == AccountRequest.Status.PENDING
    assert not Invitation.objects.exists()


def test_practice_user_cannot_approve_their_own_request(gp_client, gp):
    request = account_request(gp)

    response = approve(gp_client, request)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    request.refresh_from_db()
    assert request.status == AccountRequest.Status.PENDING
    assert not Invitation.objects.exists()


def test_the_helpdesk_needs_the_group_permission_not_just_admin_access(helpdesk, gp):
    """A helpdesk employee whose group lost the right to decide gets 403 from the service."""
    request = account_request(gp)
    group = Group.objects.get(name=HELPDESK_GROUP)
    group.permissions.remove(*group.permissions.filter(codename="change_accountrequest"))
    client = Client()
    client.force_login(helpdesk)

    assert approve(client, request).status_code == 403
    request.refresh_from_db()
    assert request.status == AccountRequest.Status.PENDING


def test_a_double_submit_that_slips_past_validation_still_gets_a_clear_error(
    gp_client, gp, monkeypatch
):
    """Two clicks at once: both pass validation before either is saved; the database's unique
    constraint decides, and the second is told so instead of getting a server error."""
    account_request(gp)
    monkeypatch.setattr(AccountRequest, "validate_constraints", lambda self, exclude=None: None)

    response = gp_client.post(REQUEST_URL, SEED_FORM)

    assert response.status_code == 422
    errors = response.context["form"].non_field_errors()
    assert errors == [in_dutch("A request for this e-mail address is already waiting.")]
    assert AccountRequest.objects.count() == 1
    assert StaffChange.objects.filter(action=A.ACCOUNT_REQUESTED).count() == 1


def test_a_double_submitted_level_change_still_gets_a_clear_error(
    gp_client, gp, assistant, monkeypatch
):
    membership = membership_of(assistant)
    level_change_request(gp, membership, Level.C)
    monkeypatch.setattr(AccountRequest, "validate_constraints", lambda self, exclude=None: None)

    response = gp_client.post(
        reverse("accounts:level-change", args=[membership.pk]), {"level": Level.C}
    )

    assert response.status_code == 422
    assert response.context["form"].non_field_errors()
    assert AccountRequest.objects.count() == 1


def test_requesting_an_account_for_someone_with_an_open_invitation_is_refused(gp, helpdesk):
    services.account_request_approve(helpdesk_user=helpdesk, account_request=account_request(gp))

    with pytest.raises(ValidationError) as error:
        account_request(gp)

    assert "email" in error.value.error_dict
    assert AccountRequest.objects.count() == 1


def test_approving_a_request_for_a_deactivated_account_is_refused(gp, helpdesk):
    former = UserFactory(email="oud@delinde.nl", is_active=False)
    request = account_request(gp, email=former.email)

    with pytest.raises(ValidationError):
        services.account_request_approve(helpdesk_user=helpdesk, account_request=request)

    request.refresh_from_db()
    assert request.status == AccountRequest.Status.PENDING
    assert not former.memberships.exists()

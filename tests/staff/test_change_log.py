"""The staff change log: every change to levels, access, invitations and accounts is recorded
(who, whom, what, when) and visible — read-only — to the helpdesk in the admin.
"""

from __future__ import annotations

import dataclasses
import datetime

import pytest
from django.core import mail
from django.db.models import ProtectedError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.levels import Level
from accounts.models import Membership, Organisation, StaffChange, User
from tests.factories import UserFactory, totp_enable
from tests.staff.fixtures_requests import (
    INVITATION_LINK,
    SEED_FORM,
    account_request,
    admin_form_data,
    approve,
    invitation_by,
    level_change_request,
    log_in_with_password,
    mails_to,
    membership_of,
    reject,
)

pytestmark = pytest.mark.django_db

A = StaffChange.Action
CHANGELIST = reverse("admin:accounts_staffchange_changelist")
NEW_PASSWORD = "Groene-fiets-over-de-dijk-7"


@dataclasses.dataclass
class Ctx:
    gp: User
    assistant: User
    helpdesk: User
    practice: Organisation
    partner: Organisation
    gp_client: Client
    helpdesk_client: Client
    capture: object  # django_capture_on_commit_callbacks


@pytest.fixture
def ctx(gp, assistant, helpdesk, practice, physio_practice, django_capture_on_commit_callbacks):
    gp_client, helpdesk_client = Client(), Client()
    gp_client.force_login(gp)
    helpdesk_client.force_login(helpdesk)
    return Ctx(
        gp,
        assistant,
        helpdesk,
        practice,
        physio_practice,
        gp_client,
        helpdesk_client,
        django_capture_on_commit_callbacks,
    )


def _membership_admin_edit(c: Ctx, membership: Membership, **changes):
    url = reverse("admin:accounts_membership_change", args=[membership.pk])
    response = c.helpdesk_client.post(url, admin_form_data(c.helpdesk_client.get(url), **changes))
    assert response.status_code == 302, response.content[:1000]


def _accept_invitation(c: Ctx) -> User:
    with c.capture(execute=True):
        invitation_by(c.gp, c.partner, email="nieuw@fysiocentrum.nl")
    [message] = mails_to(mail.outbox, "nieuw@fysiocentrum.nl")
    token = INVITATION_LINK.findall(message.body)[0].rstrip("/").rsplit("/", 1)[1]
    return services.invitation_accept(
        token=token, first_name="Nina", last_name="Nieuw", password=NEW_PASSWORD
    )


# Each change as a user makes it, and the record it must leave:
# (action, who did it, whom it was about — a user or an e-mail address).
def _account_requested(c):
    c.gp_client.post(reverse("accounts:account-request"), SEED_FORM)
    return A.ACCOUNT_REQUESTED, c.gp, SEED_FORM["email"]


def _level_change_requested(c):
    url = reverse("accounts:level-change", args=[membership_of(c.assistant).pk])
    c.gp_client.post(url, {"level": Level.A, "remarks": "Rol A wijziging"})
    return A.LEVEL_CHANGE_REQUESTED, c.gp, c.assistant


def _request_approved(c):
    approve(c.helpdesk_client, account_request(c.gp))
    return A.REQUEST_APPROVED, c.helpdesk, SEED_FORM["email"]


def _request_rejected(c):
    reject(c.helpdesk_client, account_request(c.gp), "Onbekende AGB-code")
    return A.REQUEST_REJECTED, c.helpdesk, SEED_FORM["email"]


def _level_changed_by_approval(c):
    approve(c.helpdesk_client, level_change_request(c.gp, membership_of(c.assistant), Level.A))
    return A.LEVEL_CHANGED, c.helpdesk, c.assistant


def _access_granted(c):
    url = reverse("accounts:patient-data-access", args=[membership_of(c.assistant).pk])
    c.gp_client.post(url, {"granted": "on"})
    return A.ACCESS_GRANTED, c.gp, c.assistant


def _access_revoked(c):
    membership = membership_of(c.assistant)
    Membership.objects.filter(pk=membership.pk).update(has_patient_data_access=True)
    c.gp_client.post(reverse("accounts:patient-data-access", args=[membership.pk]))
    return A.ACCESS_REVOKED, c.gp, c.assistant


def _invitation_created(c):
    c.gp_client.post(
        reverse("accounts:invitation-create"),
        {
            "first_name": "Nina",
            "last_name": "Nieuw",
            "email": "nieuw@fysiocentrum.nl",
            "organisation": c.partner.pk,
        },
    )
    return A.INVITATION_CREATED, c.gp, "nieuw@fysiocentrum.nl"


def _invitation_resent(c):
    invitation = invitation_by(c.gp, c.partner, email="nieuw@fysiocentrum.nl")
    StaffChange.objects.all().delete()  # only the resend's record counts here
    c.gp_client.post(reverse("accounts:invitation-resend", args=[invitation.pk]))
    return A.INVITATION_SENT, c.gp, "nieuw@fysiocentrum.nl"


def _invitation_revoked(c):
    invitation = invitation_by(c.gp, c.partner, email="nieuw@fysiocentrum.nl")
    c.gp_client.post(reverse("accounts:invitation-revoke", args=[invitation.pk]))
    return A.INVITATION_REVOKED, c.gp, "nieuw@fysiocentrum.nl"


def _invitation_accepted(c):
    user = _accept_invitation(c)
    return A.INVITATION_ACCEPTED, user, user


def _deactivated(c):
    c.helpdesk_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "deactivate", "_selected_action": [c.assistant.pk]},
    )
    return A.USER_DEACTIVATED, c.helpdesk, c.assistant


def _reactivated(c):
    c.assistant.is_active = False
    c.assistant.save()
    c.helpdesk_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "reactivate", "_selected_action": [c.assistant.pk]},
    )
    return A.USER_REACTIVATED, c.helpdesk, c.assistant


def _level_edited_in_the_admin(c):
    _membership_admin_edit(c, membership_of(c.assistant), level=Level.C)
    return A.LEVEL_CHANGED, c.helpdesk, c.assistant


def _membership_ended_in_the_admin(c):
    _membership_admin_edit(c, membership_of(c.assistant), is_active=None)
    return A.MEMBERSHIP_ENDED, c.helpdesk, c.assistant


def _membership_added_in_the_admin(c):
    user = UserFactory(email="invaller@delinde.nl")
    response = c.helpdesk_client.post(
        reverse("admin:accounts_membership_add"),
        {"user": user.pk, "organisation": c.practice.pk, "level": Level.E, "is_active": "on"},
    )
    assert response.status_code == 302, response.content[:1000]
    return A.MEMBERSHIP_CREATED, c.helpdesk, user


def _user_action(c, action: str, user: User) -> None:
    c.helpdesk_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": action, "_selected_action": [user.pk]},
    )


def _second_factor_reset(c):
    _user_action(c, "second_factor_reset", c.gp)
    return A.SECOND_FACTOR_RESET, c.helpdesk, c.gp


def _password_reset_link_sent(c):
    _user_action(c, "password_reset_link_send", c.assistant)
    return A.PASSWORD_RESET_SENT, c.helpdesk, c.assistant


def _user_created_in_the_admin(c):
    response = c.helpdesk_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "nieuw@delinde.nl",
            "initials": "N.",
            "last_name": "Nieuwenhuis",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
            "absences-TOTAL_FORMS": "0",
            "absences-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content[:1000]
    return A.USER_CREATED, c.helpdesk, User.objects.get(email="nieuw@delinde.nl")


CHANGES = [
    _account_requested,
    _level_change_requested,
    _request_approved,
    _request_rejected,
    _level_changed_by_approval,
    _access_granted,
    _access_revoked,
    _invitation_created,
    _invitation_resent,
    _invitation_revoked,
    _invitation_accepted,
    _deactivated,
    _reactivated,
    _level_edited_in_the_admin,
    _membership_ended_in_the_admin,
    _membership_added_in_the_admin,
    _second_factor_reset,
    _password_reset_link_sent,
    _user_created_in_the_admin,
]


@pytest.mark.parametrize("change", CHANGES, ids=lambda f: f.__name__.strip("_"))
def test_every_change_is_recorded_with_who_whom_what_and_when(ctx, change):
    started = timezone.now()

    action, actor, whom = change(ctx)

    records = StaffChange.objects.filter(action=action)
    assert records.count() == 1, list(records.values("action", "actor__email", "subject_email"))
    record = records.get()
    assert record.actor == actor
    if isinstance(whom, User):
        assert (record.subject, record.subject_email) == (whom, whom.email)
    else:
        assert record.subject_email == whom
    assert started - datetime.timedelta(seconds=1) <= record.created_at <= timezone.now()
    # The helpdesk finds it in the admin.
    shown = ctx.helpdesk_client.get(CHANGELIST, {"action__exact": action})
    assert list(shown.context["cl"].result_list) == [record]


def test_admin_level_edit_records_before_and_after(ctx):
    _membership_admin_edit(ctx, membership_of(ctx.assistant), level=Level.C)

    record = StaffChange.objects.get(action=A.LEVEL_CHANGED)
    assert (record.details["before"], record.details["after"]) == (Level.E, Level.C)
    assert record.organisation == ctx.practice
    assert membership_of(ctx.assistant).level == Level.C


def test_admin_level_edit_in_the_user_form_is_recorded_too(ctx):
    url = reverse("admin:accounts_user_change", args=[ctx.assistant.pk])
    page = ctx.helpdesk_client.get(url)
    [prefix] = [
        inline.formset.prefix
        for inline in page.context["inline_admin_formsets"]
        if inline.formset.model is Membership
    ]

    response = ctx.helpdesk_client.post(url, admin_form_data(page, **{f"{prefix}-0-level": "B"}))

    assert response.status_code == 302, response.content[:2000]
    record = StaffChange.objects.get(action=A.LEVEL_CHANGED)
    assert (record.actor, record.subject) == (ctx.helpdesk, ctx.assistant)
    assert (record.details["before"], record.details["after"]) == (Level.E, Level.B)


def test_saving_an_unchanged_membership_in_the_admin_records_nothing(ctx):
    _membership_admin_edit(ctx, membership_of(ctx.assistant))
    assert not StaffChange.objects.exists()


def test_not_even_a_superuser_ticks_patient_data_access_in_the_admin(ctx, totp_secret):
    """Only level A of the practice decides who sees its patients (in the product). A superuser
    is for emergencies, outside the product: the box is read-only for them too."""
    root = UserFactory(email="root@kzf.nl", is_staff=True, is_superuser=True)
    totp_secret[root.pk] = totp_enable(root)
    client = Client()
    client.force_login(root)
    membership = membership_of(ctx.assistant)
    browser = log_in_with_password(ctx.assistant)
    url = reverse("admin:accounts_membership_change", args=[membership.pk])
    page = client.get(url)
    assert "has_patient_data_access" not in page.context["adminform"].form.fields

    response = client.post(url, admin_form_data(page, has_patient_data_access="on"))

    assert response.status_code == 302
    membership.refresh_from_db()
    assert not membership.has_patient_data_access
    assert not StaffChange.objects.filter(action=A.ACCESS_GRANTED).exists()
    assert browser.get(reverse("home")).status_code == 200  # nothing happened to them


# --- Read-only in the admin -----------------------------------------------------------------


@pytest.fixture
def record(ctx):
    services.account_request_create(manager=membership_of(ctx.gp), **SEED_FORM)
    return StaffChange.objects.get()


def test_helpdesk_sees_the_log_with_who_whom_what_and_when(ctx, record):
    response = ctx.helpdesk_client.get(CHANGELIST)

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [record]
    assert {"created_at", "action", "actor", "subject_email"} <= set(
        response.context["cl"].list_display
    )
    html = response.content.decode()
    assert SEED_FORM["email"] in html and ctx.gp.full_name in html


def test_a_log_entry_opens_read_only(ctx, record):
    url = reverse("admin:accounts_staffchange_change", args=[record.pk])

    response = ctx.helpdesk_client.get(url)

    assert response.status_code == 200
    assert not response.context["adminform"].form.fields  # every field is shown read-only
    html = response.content.decode()
    assert 'name="_save"' not in html and 'name="_continue"' not in html


def test_a_log_entry_cannot_be_changed_added_or_deleted(ctx, record):
    change = reverse("admin:accounts_staffchange_change", args=[record.pk])
    delete = reverse("admin:accounts_staffchange_delete", args=[record.pk])

    posted = ctx.helpdesk_client.post(change, {"action": A.ACCESS_GRANTED, "details": "{}"})

    assert posted.status_code == 403
    assert ctx.helpdesk_client.get(reverse("admin:accounts_staffchange_add")).status_code == 403
    assert ctx.helpdesk_client.get(delete).status_code == 403
    assert ctx.helpdesk_client.post(delete, {"post": "yes"}).status_code == 403
    changelist = ctx.helpdesk_client.get(CHANGELIST)
    assert changelist.context["action_form"] is None  # no bulk actions, so no bulk delete
    record.refresh_from_db()
    assert record.action == A.ACCOUNT_REQUESTED


def test_practice_users_do_not_see_the_log(ctx, record):
    response = ctx.gp_client.get(CHANGELIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_a_person_the_log_mentions_cannot_be_deleted(ctx):
    """Users are deactivated, not deleted: the log keeps pointing at them."""
    former = UserFactory(email="oud-collega@delinde.nl")  # no memberships left
    services.staff_change_record(
        actor=ctx.helpdesk, action=A.USER_DEACTIVATED, subject=former, organisation=ctx.practice
    )

    with pytest.raises(ProtectedError):
        former.delete()
    assert StaffChange.objects.get().subject == former

"""Issue 11: the helpdesk never reaches patient data, directly or by becoming someone.

A security probe found that the helpdesk could read every user's TOTP secret in the admin, set
any user's password, and make itself a level-A member of a practice with patient-data access.
Here the helpdesk logs in as it does in production (password, then its TOTP code) and tries
each of those again:

* no admin page shows a TOTP secret, a recovery code (or their seed) or a password input;
* it resets a second factor (the person sets it up again before any patient data) and sends a
  reset link to the person's own address — each recorded and e-mailed to the person;
* it gives no membership to itself or another helpdesk account, by any path;
* it grants no patient-data access: only level A of the practice does, in the product.
"""

from __future__ import annotations

import datetime
import re

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.usersessions.models import UserSession
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import Client
from django.urls import reverse

from accounts import services
from accounts.helpdesk import HELPDESK_GROUP, ensure_helpdesk_group
from accounts.levels import Level
from accounts.models import AccountRequest, Membership, PartnerImport, StaffChange, User
from accounts.services.partner_import import partner_import_apply
from conversations.models import SharedInbox
from his.models import HisEndpoint
from network.models import AuthorisationRule, DataCategory, Extraction
from network.services.matrix import authorisation_rule_update
from questionnaires.library_services import instruments_load
from referrals.models import CarePathway, ReferralEndpoint
from support.models import ReleaseNote, Ticket
from tests.factories import PASSWORD, MembershipFactory, UserFactory, totp_enable
from tests.staff.fixtures_requests import (
    INVITATION_LINK,
    account_request,
    admin_form_data,
    approve,
    html_part,
    in_dutch,
    invitation_by,
    is_login_redirect,
    mails_to,
    membership_of,
)

pytestmark = pytest.mark.django_db

A = StaffChange.Action
USERS = reverse("admin:accounts_user_changelist")
WEBAUTHN_CREDENTIAL = "webauthn-credential-id-of-nynke-7f3a"
HIS_TOKEN = "his-token-van-de-linde-0123456789abcdef"
REFERRAL_TOKEN = "verwijs-token-fysio-0123456789abcdef"
NO_HELPDESK_MEMBERSHIP = (
    "The helpdesk gives no place in an organisation to itself or to another helpdesk account "
    "(%(email)s)."
)
PASSWORD_INPUT = re.compile(r"<input[^>]*type=\"password\"[^>]*>")


@pytest.fixture
def helpdesk_browser(helpdesk, login_with_totp):
    """The helpdesk, logged in through the real login with its second factor."""
    return login_with_totp(helpdesk, client=Client())


@pytest.fixture
def colleague(db):
    """Another helpdesk employee: staff in the helpdesk group."""
    user = UserFactory(email="collega@kzf.nl", first_name="Klaas", last_name="Zijlstra")
    user.is_staff = True
    user.save()
    user.groups.add(Group.objects.get(name=HELPDESK_GROUP))
    return user


def _run_action(client, action: str, *users):
    return client.post(USERS, {"action": action, "_selected_action": [u.pk for u in users]})


# --- Nothing to read: no secrets, no password inputs -------------------------------------------


@pytest.fixture
def secrets(
    gp, assistant, nurse, outsider, helpdesk, colleague, practice, physio_practice, totp_secret
):
    """One object of every kind the helpdesk's admin lists, and every secret that must never
    appear on any of its pages: each user's TOTP secret, the recovery codes and their seed, a
    security key's credential, and the write-only tokens of the endpoints."""
    recovery = RecoveryCodes.activate(gp)
    Authenticator.objects.create(
        user=nurse,
        type=Authenticator.Type.WEBAUTHN,
        data={"name": "Sleutel van Nynke", "credential": {"id": WEBAUTHN_CREDENTIAL}},
    )
    totp_secret[colleague.pk] = totp_enable(colleague)
    account_request(gp)
    invitation_by(gp, physio_practice)
    PartnerImport.objects.create(
        practice=practice, file_name="partners.csv", content="", uploaded_by=helpdesk
    )
    Extraction.objects.create(
        practice=practice,
        uploaded_by=gp,
        file_name="linde-extractie.json",
        size=2,
        sha256="0" * 64,
        content=b"{}",
        status="done",
    )
    SharedInbox.objects.create(organisation=practice, name="Balie De Linde")
    HisEndpoint.objects.create(
        practice=practice, url="https://his.delinde.nl/fhir", token=HIS_TOKEN
    )
    ReferralEndpoint.objects.create(
        organisation=physio_practice, url="https://fysio.example.nl/fhir", token=REFERRAL_TOKEN
    )
    CarePathway.objects.create(name="Diabetes", required_icpc=["T90"])
    # Support: a question to the helpdesk and a release note (help articles: the migration's).
    Ticket.objects.create(user=gp, subject="Agenda", question="Waar staat de agenda?")
    ReleaseNote.objects.create(
        version="2.4", date=datetime.date(2026, 12, 1), title="Hulp", body="Nieuw."
    )
    instruments_load()  # the questionnaire library: questionnaires, items, scoring rules
    rule = AuthorisationRule.objects.order_by("pk").first()
    authorisation_rule_update(
        rule=rule,
        allowed={DataCategory.JOURNAL: not getattr(rule, DataCategory.JOURNAL)},
        by=helpdesk,
    )
    found = [
        *totp_secret.values(),
        recovery.instance.data["seed"],
        *recovery.get_unused_codes(),
        WEBAUTHN_CREDENTIAL,
        HIS_TOKEN,
        REFERRAL_TOKEN,
    ]
    assert len(totp_secret) == 5  # gp, nurse, outsider, helpdesk, colleague
    return found


def _admin_pages(client) -> list[str]:
    """Every page reachable from the admin index: each model's list, its add page, and the
    change and history pages of its objects (all of them for users, with Django's password
    page; the first object otherwise)."""
    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    urls, empty = [reverse("admin:index")], []
    for app in index.context["app_list"]:
        for entry in app["models"]:
            opts = entry["model"]._meta
            urls.append(entry["admin_url"])
            if entry.get("add_url"):
                urls.append(entry["add_url"])
            listed = list(client.get(entry["admin_url"]).context["cl"].result_list)
            if not listed:
                empty.append(opts.label)
            objects = listed if opts.model is User else listed[:1]
            for obj in objects:
                for view in ("change", "history"):
                    name = f"admin:{opts.app_label}_{opts.model_name}_{view}"
                    urls.append(reverse(name, args=[obj.pk]))
                if opts.model is User:
                    urls.append(reverse("admin:auth_user_password_change", args=[obj.pk]))
    assert empty == [], f"give the walk an object of {empty} in the fixture"
    return urls


def test_no_admin_page_shows_a_second_factor_secret_or_a_password_input(helpdesk_browser, secrets):
    pages = _admin_pages(helpdesk_browser)
    assert len(pages) > 40  # every model the helpdesk keeps, not an empty walk

    for url in pages:
        response = helpdesk_browser.get(url)
        assert response.status_code == (404 if url.endswith("/password/") else 200), url
        html = response.content.decode()
        assert [secret for secret in secrets if secret in html] == [], url
        # Only the write-only bearer token of a HIS or referral endpoint is typed into a masked
        # field (never rendered back, see conversations.admin); no user's password anywhere.
        inputs = PASSWORD_INPUT.findall(html)
        assert [tag for tag in inputs if 'name="token"' not in tag] == [], url


def test_the_user_page_shows_which_second_factors_exist_but_not_their_data(
    helpdesk_browser, gp, secrets
):
    html = helpdesk_browser.get(reverse("admin:accounts_user_change", args=[gp.pk])).content
    html = html.decode()

    assert "Tweede factor" in html  # the field's label
    labels = dict(Authenticator.Type.choices)
    for kind in (Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES):
        assert str(labels[kind]) in html
    assert [secret for secret in secrets if secret in html] == []


def test_the_password_page_of_every_user_is_a_404_for_the_helpdesk(
    helpdesk_browser, helpdesk, gp, assistant, colleague
):
    for user in (gp, assistant, colleague, helpdesk):
        url = reverse("admin:auth_user_password_change", args=[user.pk])
        assert helpdesk_browser.get(url).status_code == 404
        new = {"password1": "Overgenomen-account-99", "password2": "Overgenomen-account-99"}
        assert helpdesk_browser.post(url, new).status_code == 404
        user.refresh_from_db()
        assert user.check_password(PASSWORD)


def test_the_authenticator_admin_of_allauth_is_gone(helpdesk_browser, gp):
    authenticator = Authenticator.objects.get(user=gp)

    assert not admin.site.is_registered(Authenticator)
    for url in (
        "/admin/mfa/authenticator/",
        f"/admin/mfa/authenticator/{authenticator.pk}/change/",
        f"/admin/mfa/authenticator/{authenticator.pk}/delete/",
    ):
        assert helpdesk_browser.get(url).status_code == 404, url
    assert Authenticator.objects.filter(pk=authenticator.pk).exists()


def test_the_helpdesk_group_loses_its_old_authenticator_permissions(helpdesk):
    group = Group.objects.get(name=HELPDESK_GROUP)
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="mfa",
            codename__in=["view_authenticator", "delete_authenticator"],
        )
    )

    ensure_helpdesk_group()

    assert not group.permissions.filter(content_type__app_label="mfa").exists()
    helpdesk = User.objects.get(pk=helpdesk.pk)  # a fresh permission cache
    assert not helpdesk.has_perm("mfa.view_authenticator")


def test_the_email_address_is_read_only_in_the_admin_with_a_word_why(helpdesk_browser, assistant):
    url = reverse("admin:accounts_user_change", args=[assistant.pk])
    page = helpdesk_browser.get(url)
    assert "email" not in page.context["adminform"].form.fields
    why = in_dutch(
        "Read-only: password-reset links go to this address, so the helpdesk does not change "
        "it. A change comes from the person themselves and is confirmed from the new address."
    )
    assert why in page.content.decode()

    helpdesk_browser.post(url, admin_form_data(page, email="helpdesk-eigen@kzf.nl"))

    assistant.refresh_from_db()
    assert assistant.email == "assistent@delinde.nl"


# --- Resetting a second factor -----------------------------------------------------------------


def test_second_factor_reset_removes_everything_ends_sessions_records_and_mails_the_person(
    helpdesk_browser, helpdesk, gp, patient, login_with_totp, django_capture_on_commit_callbacks
):
    RecoveryCodes.activate(gp)
    Authenticator.objects.create(
        user=gp, type=Authenticator.Type.WEBAUTHN, data={"name": "Sleutel", "credential": {}}
    )
    gp_browser = login_with_totp(gp, client=Client())
    assert gp_browser.get(reverse("home")).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = _run_action(helpdesk_browser, "second_factor_reset", gp)

    assert response.status_code == 302
    # Every authenticator is gone: app, recovery codes, security key.
    assert not Authenticator.objects.filter(user=gp).exists()
    # Logged out everywhere, at once.
    assert not UserSession.objects.filter(user=gp).exists()
    assert is_login_redirect(gp_browser.get(reverse("home")))
    # Recorded: who, whom, what.
    record = StaffChange.objects.get(action=A.SECOND_FACTOR_RESET)
    assert (record.actor, record.subject, record.subject_email) == (helpdesk, gp, gp.email)
    assert record.details["removed"] == ["recovery_codes", "totp", "webauthn"]
    assert record.details["sessions_ended"] == 1
    # The person is told, in Dutch, with what to do and whom to call if it was not them.
    [message] = mails_to(mail.outbox, gp.email)
    assert message.to == [gp.email]
    assert message.subject == "Je tweede factor is gereset door de helpdesk"
    body = " ".join(message.body.split())
    assert "opnieuw een tweede factor in te stellen" in body
    assert "Was jij dit niet? Bel dan meteen de helpdesk" in body
    assert "Was jij dit niet? Bel dan meteen de helpdesk" in html_part(message)


def test_after_a_reset_the_password_alone_leads_to_enrolment_not_to_patient_data(
    helpdesk_browser, gp, patient
):
    _run_action(helpdesk_browser, "second_factor_reset", gp)
    browser = Client()

    # No second-factor step any more: the password logs in ...
    response = browser.post(reverse("account_login"), {"login": gp.email, "password": PASSWORD})
    assert response.status_code == 302

    # ... but every page, the start page and the patient alike, sends them to set one up.
    enrolment = reverse("mfa_activate_totp")
    for url in (reverse("home"), reverse("network:patient-detail", args=[patient.pk])):
        page = browser.get(url)
        assert (page.status_code, page["Location"]) == (302, enrolment), url
    landed = browser.get(reverse("network:patient-detail", args=[patient.pk]), follow=True)
    assert landed.redirect_chain[-1][0] == enrolment
    assert "Geertje" not in landed.content.decode()


def test_the_helpdesk_resets_neither_its_own_second_factor_nor_a_superusers(
    helpdesk_browser, helpdesk, totp_secret
):
    root = UserFactory(email="root@kzf.nl", is_staff=True, is_superuser=True)
    totp_secret[root.pk] = totp_enable(root)

    _run_action(helpdesk_browser, "second_factor_reset", helpdesk, root)

    assert Authenticator.objects.filter(user=helpdesk).exists()
    assert Authenticator.objects.filter(user=root).exists()
    assert not StaffChange.objects.filter(action=A.SECOND_FACTOR_RESET).exists()
    assert mail.outbox == []


# --- Passwords: a reset link to the person's own address ---------------------------------------


def test_the_reset_link_action_mails_the_person_and_records_it(
    helpdesk_browser, helpdesk, assistant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _run_action(helpdesk_browser, "password_reset_link_send", assistant)

    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [[assistant.email]]
    [message] = mail.outbox
    assert "Nieuw wachtwoord" in message.subject  # allauth's own reset e-mail, in Dutch
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", message.body)
    assert link
    record = StaffChange.objects.get(action=A.PASSWORD_RESET_SENT)
    assert (record.actor, record.subject) == (helpdesk, assistant)
    assistant.refresh_from_db()
    assert assistant.check_password(PASSWORD)  # nothing changed until the person uses the link

    # The person (and only they, who read the mailbox) chooses the new password.
    browser = Client()
    form_url = browser.get(link.group(1), follow=True).redirect_chain[-1][0]
    new = "Eigen-gekozen-wachtwoord-2026"
    browser.post(form_url, {"password1": new, "password2": new})
    assistant.refresh_from_db()
    assert assistant.check_password(new)


def test_no_reset_link_for_a_superuser_or_a_deactivated_account(helpdesk_browser):
    root = UserFactory(email="root@kzf.nl", is_staff=True, is_superuser=True)
    gone = UserFactory(email="weg@delinde.nl", is_active=False)

    _run_action(helpdesk_browser, "password_reset_link_send", root, gone)

    assert mail.outbox == []
    assert not StaffChange.objects.filter(action=A.PASSWORD_RESET_SENT).exists()


# --- No membership for the helpdesk itself or another helpdesk account ------------------------


@pytest.fixture(params=["itself", "colleague"])
def staff_account(request, helpdesk, colleague):
    return helpdesk if request.param == "itself" else colleague


def test_no_membership_for_a_helpdesk_account_on_its_user_page(
    helpdesk_browser, staff_account, practice
):
    url = reverse("admin:accounts_user_change", args=[staff_account.pk])
    data = admin_form_data(
        helpdesk_browser.get(url),
        **{
            "memberships-TOTAL_FORMS": "1",
            "memberships-0-organisation": practice.pk,
            "memberships-0-level": Level.A,
            "memberships-0-is_active": "on",
            "memberships-0-has_patient_data_access": "on",
        },
    )

    response = helpdesk_browser.post(url, data)

    assert response.status_code == 200
    assert in_dutch(NO_HELPDESK_MEMBERSHIP, email=staff_account.email) in response.content.decode()
    assert not Membership.objects.filter(user=staff_account).exists()
    assert not StaffChange.objects.exists()


def test_no_membership_for_a_helpdesk_account_in_the_membership_admin(
    helpdesk_browser, staff_account, practice
):
    response = helpdesk_browser.post(
        reverse("admin:accounts_membership_add"),
        {
            "user": staff_account.pk,
            "organisation": practice.pk,
            "level": Level.A,
            "is_active": "on",
            "has_patient_data_access": "on",
        },
    )

    assert response.status_code == 200
    assert in_dutch(NO_HELPDESK_MEMBERSHIP, email=staff_account.email) in response.content.decode()
    assert not Membership.objects.filter(user=staff_account).exists()
    assert not StaffChange.objects.exists()


def test_a_helpdesk_membership_held_already_cannot_be_raised_only_ended(
    helpdesk_browser, helpdesk, practice
):
    """Say one exists from before this rule: the helpdesk cannot change it, except end it."""
    membership = MembershipFactory(user=helpdesk, organisation=practice, level=Level.E)
    url = reverse("admin:accounts_membership_change", args=[membership.pk])

    raised = helpdesk_browser.post(url, admin_form_data(helpdesk_browser.get(url), level=Level.A))
    assert raised.status_code == 200
    membership.refresh_from_db()
    assert membership.level == Level.E

    ended = helpdesk_browser.post(url, admin_form_data(helpdesk_browser.get(url), is_active=None))
    assert ended.status_code == 302
    membership.refresh_from_db()
    assert not membership.is_active


def test_approving_an_account_request_for_a_helpdesk_account_is_refused(
    helpdesk_browser, helpdesk, gp
):
    request = account_request(gp, email=helpdesk.email)

    response = approve(helpdesk_browser, request)

    assert response.status_code == 302
    page = helpdesk_browser.get(response["Location"])
    assert helpdesk.email in page.content.decode()
    assert not Membership.objects.filter(user=helpdesk).exists()
    request.refresh_from_db()
    assert request.status == AccountRequest.Status.PENDING


def test_a_helpdesk_account_cannot_join_through_an_invitation(
    helpdesk_browser, helpdesk, gp, physio_practice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation_by(gp, physio_practice, email=helpdesk.email)
    [message] = mails_to(mail.outbox, helpdesk.email)
    link = INVITATION_LINK.findall(message.body)[0]

    response = helpdesk_browser.post(link)

    assert response.status_code == 403
    assert helpdesk.email in response.content.decode()
    assert not Membership.objects.filter(user=helpdesk).exists()


def test_a_partner_overview_naming_a_helpdesk_account_imports_nothing(
    helpdesk, colleague, practice, physio_practice
):
    content = "\n".join(
        [
            "organisatie;soort;agb_code;naam;email;hoofdzorgverlener",
            f"Fysio Centrum;fysiotherapie;{physio_practice.agb_code};Klaas Zijlstra;"
            f"{colleague.email};ja",
        ]
    )
    partner_import = PartnerImport.objects.create(
        practice=practice, file_name="partners.csv", content=content, uploaded_by=helpdesk
    )

    with pytest.raises(ValidationError) as refused:
        partner_import_apply(helpdesk_user=helpdesk, partner_import=partner_import)

    assert colleague.email in " ".join(refused.value.messages)
    assert not Membership.objects.filter(user=colleague).exists()


# --- Patient-data access: level A's alone ------------------------------------------------------


def test_granting_patient_data_access_in_the_admin_changes_nothing(helpdesk_browser, assistant):
    membership = membership_of(assistant)
    for url, key in (
        (
            reverse("admin:accounts_membership_change", args=[membership.pk]),
            "has_patient_data_access",
        ),
        (
            reverse("admin:accounts_user_change", args=[assistant.pk]),
            "memberships-0-has_patient_data_access",
        ),
    ):
        page = helpdesk_browser.get(url)
        response = helpdesk_browser.post(url, admin_form_data(page, **{key: "on"}))
        assert response.status_code == 302, url
        membership.refresh_from_db()
        assert not membership.has_patient_data_access
    assert not StaffChange.objects.filter(action=A.ACCESS_GRANTED).exists()


def test_a_new_membership_in_the_admin_starts_without_patient_data_access(
    helpdesk_browser, practice
):
    user = UserFactory(email="invaller@delinde.nl")

    response = helpdesk_browser.post(
        reverse("admin:accounts_membership_add"),
        {
            "user": user.pk,
            "organisation": practice.pk,
            "level": Level.A,
            "is_active": "on",
            "has_patient_data_access": "on",
        },
    )

    assert response.status_code == 302
    assert not membership_of(user).has_patient_data_access
    assert StaffChange.objects.get(action=A.MEMBERSHIP_CREATED).details["patient_data_access"] is (
        False
    )


def test_the_services_refuse_a_grant_by_anyone_but_level_a_of_the_practice(
    helpdesk, gp, outsider, assistant, practice
):
    """Patient-data access has one door, ``patient_data_access_set``; the helpdesk's
    ``membership_update`` has no way to change it."""
    membership = membership_of(assistant)
    root = UserFactory(email="root@kzf.nl", is_staff=True, is_superuser=True)
    with pytest.raises(TypeError):
        services.membership_update(
            actor=helpdesk, membership=membership, has_patient_data_access=True
        )
    # Level A of another practice: not theirs.
    with pytest.raises(Http404):
        services.patient_data_access_set(
            manager=membership_of(outsider), membership=membership, granted=True
        )
    # The helpdesk or a superuser holding a level-A membership of the practice (made before this
    # rule) still decides nothing about its patients.
    for staff in (helpdesk, root):
        own = MembershipFactory(user=staff, organisation=practice, level=Level.A)
        with pytest.raises(PermissionDenied):
            services.patient_data_access_set(manager=own, membership=membership, granted=True)
        with pytest.raises(PermissionDenied):
            services.patient_data_access_set(manager=own, membership=own, granted=True)
    membership.refresh_from_db()
    assert not membership.has_patient_data_access

    # Level A of the practice does, as in the product.
    services.patient_data_access_set(manager=membership_of(gp), membership=membership, granted=True)
    membership.refresh_from_db()
    assert membership.has_patient_data_access
    assert StaffChange.objects.get(action=A.ACCESS_GRANTED).actor == gp


def test_level_a_still_grants_access_in_the_product(client, gp, assistant, login_with_totp):
    login_with_totp(gp)
    membership = membership_of(assistant)

    client.post(reverse("accounts:patient-data-access", args=[membership.pk]), {"granted": "on"})

    membership.refresh_from_db()
    assert membership.has_patient_data_access


def test_a_helpdesk_account_never_gets_patient_data_access_from_level_a(gp, helpdesk, practice):
    own = MembershipFactory(user=helpdesk, organisation=practice, level=Level.E)

    with pytest.raises(PermissionDenied):
        services.patient_data_access_set(manager=membership_of(gp), membership=own, granted=True)

    own.refresh_from_db()
    assert not own.has_patient_data_access

"""The helpdesk works in the admin with exactly the rights of its group, and nobody else gets in.

``client.force_login`` is enough for the helpdesk: the admin only asks for an active staff user,
and the second-factor middleware lets staff through because the helpdesk actor has TOTP. The
admin's own login page is wrapped in ``login_required`` so a real login goes through allauth.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.urls import reverse

from accounts.helpdesk import HELPDESK_GROUP, HELPDESK_PERMISSIONS, ensure_helpdesk_group
from accounts.levels import Level
from accounts.models import Membership, Organisation, OrganisationKind, StaffChange, Team, User
from support.helpdesk import SUPPORT_HELPDESK_PERMISSIONS, helpdesk_support_permissions_grant
from tests.factories import PASSWORD, MembershipFactory, OrganisationFactory, TeamFactory

pytestmark = pytest.mark.django_db

# The support app adds its own rights to the group (support.helpdesk), after accounts' handler.
ALL_HELPDESK_PERMISSIONS = set(HELPDESK_PERMISSIONS) | set(SUPPORT_HELPDESK_PERMISSIONS)


def _group_permissions() -> set[str]:
    return {
        f"{app_label}.{codename}"
        for app_label, codename in Group.objects.get(name=HELPDESK_GROUP).permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


def _changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def _rows(response) -> list:
    return list(response.context["cl"].result_list)


# --- The group ----------------------------------------------------------------------------


def test_helpdesk_group_holds_exactly_the_helpdesk_permissions_after_migrate():
    assert _group_permissions() == ALL_HELPDESK_PERMISSIONS


def test_ensure_helpdesk_group_is_idempotent_and_repairs_drift():
    group = Group.objects.get(name=HELPDESK_GROUP)
    group.permissions.add(Permission.objects.get(codename="delete_user"))
    group.permissions.remove(Permission.objects.get(codename="change_membership"))
    ensure_helpdesk_group()
    ensure_helpdesk_group()
    assert Group.objects.filter(name=HELPDESK_GROUP).count() == 1
    assert _group_permissions() == set(HELPDESK_PERMISSIONS)
    # ... and post_migrate then runs the support app's handler, which adds its own.
    helpdesk_support_permissions_grant()
    helpdesk_support_permissions_grant()
    assert _group_permissions() == ALL_HELPDESK_PERMISSIONS


def test_helpdesk_user_has_the_group_permissions_and_no_more(helpdesk):
    assert not helpdesk.is_superuser
    assert helpdesk.get_all_permissions() == ALL_HELPDESK_PERMISSIONS


# --- What the helpdesk can do -------------------------------------------------------------


@pytest.fixture
def helpdesk_client(client, helpdesk):
    client.force_login(helpdesk)
    return client


def test_helpdesk_opens_the_admin_index(helpdesk_client):
    response = helpdesk_client.get(reverse("admin:index"))
    assert response.status_code == 200
    models = {
        model["object_name"] for app in response.context["app_list"] for model in app["models"]
    }
    assert {"User", "Organisation", "Team", "Membership"} <= models
    assert "Group" not in models


def test_helpdesk_searches_users_by_name_and_by_organisation(helpdesk_client, gp, assistant, nurse):
    response = helpdesk_client.get(_changelist(User), {"q": "postma"})
    assert response.status_code == 200
    assert _rows(response) == [gp]
    by_organisation = _rows(helpdesk_client.get(_changelist(User), {"q": "De Linde"}))
    assert sorted(u.email for u in by_organisation) == [assistant.email, gp.email]


def test_user_search_lists_a_person_with_two_memberships_once(helpdesk_client, gp):
    MembershipFactory(user=gp, organisation=OrganisationFactory(name="Praktijk De Linde-Oost"))
    assert _rows(helpdesk_client.get(_changelist(User), {"q": "linde"})) == [gp]


def test_helpdesk_filters_users_by_level(helpdesk_client, gp, assistant, manager):
    response = helpdesk_client.get(_changelist(User), {"memberships__level__exact": Level.B_PLUS})
    assert response.status_code == 200
    assert _rows(response) == [manager]


def test_helpdesk_filters_users_by_active(helpdesk_client, gp, assistant):
    assistant.is_active = False
    assistant.save()
    rows = _rows(helpdesk_client.get(_changelist(User), {"is_active__exact": "0"}))
    assert rows == [assistant]


def test_helpdesk_searches_and_filters_organisations(helpdesk_client, practice, nursing):
    rows = _rows(helpdesk_client.get(_changelist(Organisation), {"q": "01012345"}))
    assert rows == [practice]
    rows = _rows(
        helpdesk_client.get(
            _changelist(Organisation), {"kind__exact": OrganisationKind.DISTRICT_NURSING}
        )
    )
    assert rows == [nursing]


def test_helpdesk_searches_and_filters_teams(helpdesk_client, nursing):
    TeamFactory(organisation=nursing, name="Team Zuid", is_active=False)
    rows = _rows(helpdesk_client.get(_changelist(Team), {"q": "thuiszorg"}))
    assert sorted(t.name for t in rows) == ["Team Noord", "Team Zuid"]
    rows = _rows(helpdesk_client.get(_changelist(Team), {"is_active__exact": "0"}))
    assert [t.name for t in rows] == ["Team Zuid"]


def test_helpdesk_searches_and_filters_memberships(helpdesk_client, gp, assistant, nurse):
    rows = _rows(helpdesk_client.get(_changelist(Membership), {"q": "wiersma"}))
    assert [m.user for m in rows] == [nurse]
    rows = _rows(helpdesk_client.get(_changelist(Membership), {"level__exact": Level.E}))
    assert [m.user for m in rows] == [assistant]
    rows = _rows(
        helpdesk_client.get(_changelist(Membership), {"has_patient_data_access__exact": "1"})
    )
    assert sorted(m.user.email for m in rows) == sorted([gp.email, nurse.email])


def test_helpdesk_adds_an_organisation(helpdesk_client):
    response = helpdesk_client.post(
        reverse("admin:accounts_organisation_add"),
        {
            "name": "Apotheek De Waag",
            "kind": OrganisationKind.PHARMACY,
            "agb_code": "06099999",
            "is_active": "on",
            "street": "Waagplein 1",
            "postal_code": "8911 BL",
            "city": "Leeuwarden",
            "phone": "058 - 213 45 67",
            "email": "info@dewaag.nl",
            "teams-TOTAL_FORMS": "1",
            "teams-INITIAL_FORMS": "0",
            "teams-MIN_NUM_FORMS": "0",
            "teams-MAX_NUM_FORMS": "1000",
            "teams-0-name": "Baliedienst",
            "teams-0-is_active": "on",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    organisation = Organisation.objects.get(agb_code="06099999")
    assert organisation.name == "Apotheek De Waag"
    assert list(organisation.teams.values_list("name", flat=True)) == ["Baliedienst"]


def test_helpdesk_cannot_add_an_organisation_with_a_bad_agb_code(helpdesk_client):
    response = helpdesk_client.post(
        reverse("admin:accounts_organisation_add"),
        {
            "name": "Apotheek Fout",
            "kind": OrganisationKind.PHARMACY,
            "agb_code": "0609999",
            "teams-TOTAL_FORMS": "0",
            "teams-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.has_error("agb_code", code="invalid_agb")
    assert not Organisation.objects.filter(name="Apotheek Fout").exists()


def test_helpdesk_adds_a_user_to_a_practice_who_chooses_their_own_password(
    helpdesk_client, helpdesk, practice, django_capture_on_commit_callbacks
):
    add_page = helpdesk_client.get(reverse("admin:accounts_user_add"))
    assert set(add_page.context["adminform"].form.fields) == {"email", "initials", "last_name"}
    with django_capture_on_commit_callbacks(execute=True):
        response = helpdesk_client.post(
            reverse("admin:accounts_user_add"),
            {
                "email": "nieuw@delinde.nl",
                "initials": "N.",
                "last_name": "Nieuwenhuis",
                # A password sent along anyway is not taken.
                "password1": "Een-lang-wachtwoord-2026",
                "password2": "Een-lang-wachtwoord-2026",
                # The add page carries the inlines too: give the new user a place in the practice.
                "memberships-TOTAL_FORMS": "1",
                "memberships-INITIAL_FORMS": "0",
                "memberships-0-organisation": practice.pk,
                "memberships-0-level": Level.E,
                "memberships-0-is_active": "on",
                "memberships-0-has_patient_data_access": "on",
                "absences-TOTAL_FORMS": "0",
                "absences-INITIAL_FORMS": "0",
                "is_superuser": "on",
                "is_staff": "on",
            },
        )
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(email="nieuw@delinde.nl")
    assert not user.has_usable_password()
    assert user.memberships.get().organisation == practice
    assert user.memberships.get().level == Level.E
    assert not user.memberships.get().has_patient_data_access
    assert not user.is_staff
    assert not user.is_superuser
    [message] = [m for m in mail.outbox if m.to == ["nieuw@delinde.nl"]]
    assert message.subject == "Je Regiozorg-account staat klaar: kies je wachtwoord"
    assert "/accounts/password/reset/key/" in message.body
    assert StaffChange.objects.get(action=StaffChange.Action.USER_CREATED).actor == helpdesk


def test_helpdesk_cannot_delete_a_user(helpdesk_client, assistant):
    url = reverse("admin:accounts_user_delete", args=[assistant.pk])
    assert helpdesk_client.get(url).status_code == 403
    assert helpdesk_client.post(url, {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=assistant.pk).exists()


def test_helpdesk_cannot_delete_users_in_bulk(helpdesk_client, assistant):
    response = helpdesk_client.post(
        _changelist(User),
        {"action": "delete_selected", "_selected_action": [assistant.pk], "post": "yes"},
    )
    assert User.objects.filter(pk=assistant.pk).exists()
    assert response.status_code in (200, 302)


def test_helpdesk_cannot_open_group_admin(helpdesk_client):
    group = Group.objects.get(name=HELPDESK_GROUP)
    assert helpdesk_client.get(_changelist(Group)).status_code == 403
    assert helpdesk_client.get(reverse("admin:auth_group_change", args=[group.pk])).status_code == (
        403
    )
    assert helpdesk_client.get(reverse("admin:auth_group_add")).status_code == 403


def _form_data(response) -> dict:
    """The POST a browser would send for an unchanged admin change form (incl. inlines)."""
    data = {}

    def add(form, name, field):
        if field.disabled:
            return
        value = field.prepare_value(form[name].value())
        if value is None:
            return
        if isinstance(value, bool):
            if value:
                data[form.add_prefix(name)] = "on"
            return
        data[form.add_prefix(name)] = [str(v) for v in value] if isinstance(value, list) else value

    form = response.context["adminform"].form
    for name, field in form.fields.items():
        add(form, name, field)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name, field in formset.management_form.fields.items():
            add(formset.management_form, name, field)
        for inline_form in formset.forms:
            for name, field in inline_form.fields.items():
                add(inline_form, name, field)
    return data


def test_user_change_form_has_no_rights_fields_for_the_helpdesk(helpdesk_client, assistant):
    response = helpdesk_client.get(reverse("admin:accounts_user_change", args=[assistant.pk]))
    assert response.status_code == 200
    fields = set(response.context["adminform"].form.fields)
    assert "last_name" in fields
    # Read-only: reset links go there (tests/staff/test_helpdesk_security.py).
    assert "email" not in fields
    assert "password" not in fields
    # Deactivation is an action (it ends sessions and is recorded), not a tick box.
    assert "is_active" not in fields
    assert not fields & {"is_superuser", "is_staff", "groups", "user_permissions"}
    content = response.content.decode()
    for name in ("is_superuser", "is_staff", "groups", "user_permissions"):
        assert f'name="{name}"' not in content


def test_helpdesk_changes_a_user_but_cannot_grant_rights(helpdesk_client, helpdesk, assistant):
    url = reverse("admin:accounts_user_change", args=[assistant.pk])
    data = _form_data(helpdesk_client.get(url))
    data |= {
        "last_name": "Bosma-de Jong",
        "is_superuser": "on",
        "is_staff": "on",
        "groups": [Group.objects.get(name=HELPDESK_GROUP).pk],
        "user_permissions": [Permission.objects.get(codename="delete_user").pk],
    }
    response = helpdesk_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assistant.refresh_from_db()
    assert assistant.last_name == "Bosma-de Jong"  # the ordinary change went through
    assert not assistant.is_superuser
    assert not assistant.is_staff
    assert not assistant.groups.exists()
    assert not assistant.user_permissions.exists()


def test_helpdesk_cannot_make_itself_superuser(helpdesk_client, helpdesk):
    url = reverse("admin:accounts_user_change", args=[helpdesk.pk])
    data = _form_data(helpdesk_client.get(url)) | {"is_superuser": "on"}
    helpdesk_client.post(url, data)
    helpdesk.refresh_from_db()
    assert not helpdesk.is_superuser
    assert not User.objects.filter(is_superuser=True).exists()


def test_helpdesk_cannot_take_over_a_superuser_account(helpdesk_client):
    admin = User.objects.create_superuser(email="beheer@kzf.nl", last_name="Beheer", password="x")
    original_password = admin.password
    password_url = reverse("admin:auth_user_password_change", args=[admin.pk])
    response = helpdesk_client.post(
        password_url,
        {"password1": "Overgenomen-account-99", "password2": "Overgenomen-account-99"},
    )
    assert response.status_code == 404
    change_url = reverse("admin:accounts_user_change", args=[admin.pk])
    data = _form_data(helpdesk_client.get(change_url)) | {"email": "helpdesk-eigen@kzf.nl"}
    helpdesk_client.post(change_url, data)
    admin.refresh_from_db()
    assert admin.password == original_password
    assert admin.email == "beheer@kzf.nl"


def test_helpdesk_cannot_set_the_password_of_an_ordinary_user(helpdesk_client, assistant):
    """It sends a reset link to the person's own address instead (test_helpdesk_security)."""
    response = helpdesk_client.post(
        reverse("admin:auth_user_password_change", args=[assistant.pk]),
        {"password1": "Nieuw-wachtwoord-2026", "password2": "Nieuw-wachtwoord-2026"},
    )
    assert response.status_code == 404
    assistant.refresh_from_db()
    assert assistant.check_password(PASSWORD)


def test_helpdesk_resets_a_lost_second_factor_with_the_user_action(helpdesk_client, gp):
    """The only thing the helpdesk does with authenticators (test_helpdesk_security has more)."""
    from allauth.mfa.models import Authenticator

    response = helpdesk_client.post(
        _changelist(User), {"action": "second_factor_reset", "_selected_action": [gp.pk]}
    )
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=gp).exists()


# --- Everybody else -----------------------------------------------------------------------


def test_ordinary_user_is_sent_away_from_the_admin(client, assistant):
    client.force_login(assistant)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("model", [User, Organisation, Membership, Team, Group])
def test_ordinary_user_sees_no_admin_list(client, assistant, gp, model):
    client.force_login(assistant)
    response = client.get(_changelist(model), follow=True)
    assert "cl" not in (response.context or {})
    assert gp.email not in response.content.decode()
    assert "Huisartsenpraktijk De Linde</a>" not in response.content.decode()


def test_level_a_of_a_practice_is_no_helpdesk_either(client, gp, assistant):
    client.force_login(gp)
    response = client.get(reverse("admin:accounts_user_change", args=[assistant.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_anonymous_visitor_of_the_admin_goes_through_the_allauth_login(client):
    response = client.get(reverse("admin:index"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("account_login"))


def test_ordinary_user_cannot_post_to_the_admin(client, assistant):
    client.force_login(assistant)
    client.post(
        reverse("admin:accounts_organisation_add"),
        {"name": "Stiekem", "kind": OrganisationKind.OTHER},
    )
    assert not Organisation.objects.filter(name="Stiekem").exists()


def test_membership_inline_keeps_memberships_of_a_practice(helpdesk_client, gp, practice):
    # can_delete is off: memberships end (is_active), they are never removed by the helpdesk.
    url = reverse("admin:accounts_user_change", args=[gp.pk])
    data = _form_data(helpdesk_client.get(url))
    data["memberships-0-DELETE"] = "on"
    helpdesk_client.post(url, data)
    assert Membership.objects.filter(user=gp, organisation=practice).exists()


def test_logged_in_non_staff_cannot_use_the_admin_login_to_skip_the_second_factor(
    client, assistant, helpdesk
):
    from tests.factories import PASSWORD

    client.force_login(assistant)
    client.post(
        reverse("admin:login"),
        {"username": helpdesk.email, "password": PASSWORD, "next": reverse("admin:index")},
    )
    response = client.get(_changelist(User))
    assert response.wsgi_request.user == assistant
    assert response.status_code == 302


def test_the_admin_login_sends_staff_on_and_anonymous_visitors_to_allauth(client, helpdesk):
    response = client.get(reverse("admin:login"), {"next": reverse("admin:index")})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))

    client.force_login(helpdesk)
    response = client.get(reverse("admin:login"), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("admin:index")

"""The own profile: details, absences and language."""

from __future__ import annotations

import datetime
import re

import pytest
from django.conf import settings
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone

from accounts.models import Absence, User
from tests.factories import AbsenceFactory

pytestmark = pytest.mark.django_db

PROFILE_FIELDS = [
    "initials",
    "first_name",
    "infix",
    "last_name",
    "agb_code",
    "mobile",
    "functions",
    "working_days",
    "notify_messages",
    "notify_consultations",
    "notify_referrals",
    "notify_care_network",
    "language",
]


def _stored(user: User) -> dict:
    return model_to_dict(User.objects.get(pk=user.pk), fields=[*PROFILE_FIELDS, "email"])


def _valid_post(**overrides) -> dict:
    data = {
        "initials": "G.J.",
        "first_name": "Gerrit-Jan",
        "infix": "van der",
        "last_name": "Post",
        "agb_code": "01998877",
        "mobile": "06 12345678",
        "functions": ["gp", "practice_manager"],
        "working_days": ["1", "3", "5"],
        "notify_messages": "on",
        "notify_care_network": "on",
        "language": "nl",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_profile_page_shows_the_form_filled_with_the_users_details(client, gp):
    client.force_login(gp)
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.instance == gp
    content = response.content.decode()
    assert 'name="last_name"' in content
    assert 'value="Postma"' in content
    assert gp.email in content


def test_saving_the_profile_stores_every_changed_field(client, gp):
    client.force_login(gp)
    response = client.post(reverse("accounts:profile"), _valid_post())
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:profile")
    gp.refresh_from_db()
    assert gp.initials == "G.J."
    assert gp.first_name == "Gerrit-Jan"
    assert gp.infix == "van der"
    assert gp.last_name == "Post"
    assert gp.full_name == "Gerrit-Jan van der Post"
    assert gp.agb_code == "01998877"
    assert gp.mobile == "06 12345678"
    assert gp.functions == ["gp", "practice_manager"]
    assert gp.working_days == [1, 3, 5]
    assert (gp.notify_messages, gp.notify_consultations) == (True, False)
    assert (gp.notify_referrals, gp.notify_care_network) == (False, True)
    assert gp.language == "nl"
    # The saved name is what the start page greets with.
    page = client.get(reverse("home")).content.decode()
    assert "Gerrit-Jan van der Post" in page


def test_choosing_english_in_the_profile_switches_the_pages_to_english(client, gp):
    client.force_login(gp)
    client.post(reverse("accounts:profile"), _valid_post(language="en"))
    gp.refresh_from_db()
    assert gp.language == "en"
    assert '<html lang="en">' in client.get(reverse("home")).content.decode()


@pytest.mark.parametrize(
    ("field", "overrides", "code"),
    [
        ("agb_code", {"agb_code": "0199887"}, "invalid_agb"),
        ("agb_code", {"agb_code": "0199887x"}, "invalid_agb"),
        ("functions", {"functions": ["gp", "gp_trainee", "dietitian", "pharmacist"]}, None),
        ("mobile", {"mobile": "bel me"}, "invalid_phone"),
        ("mobile", {"mobile": "0612"}, "invalid_phone"),
        ("last_name", {"last_name": ""}, "required"),
        ("working_days", {"working_days": ["8"]}, "invalid_choice"),
    ],
)
def test_invalid_profile_is_rejected_on_its_field_and_nothing_is_saved(
    client, gp, field, overrides, code
):
    client.force_login(gp)
    before = _stored(gp)
    response = client.post(reverse("accounts:profile"), _valid_post(**overrides))
    assert response.status_code == 422
    form = response.context["form"]
    assert form.has_error(field, code=code), form.errors.as_data()
    assert list(form.errors) == [field]
    # Not the other (valid) changes in the same form either.
    assert _stored(gp) == before
    # The page around the form still shows the stored name, not the rejected input.
    assert "Gerrit Postma" in response.content.decode()


def test_a_profile_post_cannot_change_the_e_mail_address_or_staff_flags(client, gp):
    client.force_login(gp)
    client.post(
        reverse("accounts:profile"),
        _valid_post(email="someone@else.nl", is_staff="on", is_superuser="on"),
    )
    gp.refresh_from_db()
    assert gp.email == "gp@delinde.nl"
    assert not gp.is_staff
    assert not gp.is_superuser


def test_profile_needs_login(client):
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# --- Absences -----------------------------------------------------------------------------


def _today() -> datetime.date:
    return timezone.localdate()


def _absence_post(start, end, message="Met vakantie; mail de praktijkinbox") -> dict:
    return {"start": start.isoformat(), "end": end.isoformat(), "message": message}


def test_adding_an_absence_stores_it_and_shows_it_on_the_profile(client, gp):
    client.force_login(gp)
    start, end = _today() + datetime.timedelta(days=7), _today() + datetime.timedelta(days=14)
    response = client.post(reverse("accounts:absence-create"), _absence_post(start, end))
    assert response.status_code == 302
    absence = Absence.objects.get(user=gp)
    assert (absence.start, absence.end) == (start, end)
    assert absence.message == "Met vakantie; mail de praktijkinbox"
    page = client.get(reverse("accounts:profile")).content.decode()
    assert "Met vakantie; mail de praktijkinbox" in page


def test_absence_ending_before_it_starts_is_rejected_on_the_end_field(client, gp):
    client.force_login(gp)
    start = _today() + datetime.timedelta(days=7)
    response = client.post(
        reverse("accounts:absence-create"), _absence_post(start, start - datetime.timedelta(1))
    )
    assert response.status_code == 422
    assert response.context["absence_form"].has_error("end")
    assert not Absence.objects.exists()


def test_absence_without_dates_is_rejected(client, gp):
    client.force_login(gp)
    response = client.post(reverse("accounts:absence-create"), {"message": "weg"})
    assert response.status_code == 422
    form = response.context["absence_form"]
    assert form.has_error("start", code="required")
    assert form.has_error("end", code="required")
    assert not Absence.objects.exists()


def test_htmx_absence_add_returns_only_the_absences_fragment(client, gp):
    client.force_login(gp)
    start = _today() + datetime.timedelta(days=1)
    response = client.post(
        reverse("accounts:absence-create"),
        _absence_post(start, start, message="Nascholing"),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "<html" not in content
    assert 'id="absences"' in content
    assert "Nascholing" in content
    assert Absence.objects.filter(user=gp, message="Nascholing").exists()


def test_htmx_invalid_absence_returns_the_fragment_with_the_error(client, gp):
    client.force_login(gp)
    start = _today() + datetime.timedelta(days=3)
    response = client.post(
        reverse("accounts:absence-create"),
        _absence_post(start, start - datetime.timedelta(days=1)),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert "<html" not in response.content.decode()
    content = response.content.decode()
    assert 'id="absences"' in content
    # The fragment marks the end-date field as invalid (the partial's context is not captured).
    assert re.search(r'<input[^>]*name="end"[^>]*aria-invalid="true"', content)
    assert not re.search(r'<input[^>]*name="start"[^>]*aria-invalid="true"', content)
    assert not Absence.objects.exists()


def test_removing_your_own_absence_deletes_it(client, gp):
    absence = AbsenceFactory(user=gp)
    client.force_login(gp)
    response = client.post(reverse("accounts:absence-delete", args=[absence.pk]))
    assert response.status_code == 302
    assert not Absence.objects.filter(pk=absence.pk).exists()


def test_htmx_remove_returns_the_fragment_without_the_absence(client, gp):
    keep = AbsenceFactory(user=gp, message="Blijft staan")
    gone = AbsenceFactory(user=gp, message="Gaat weg")
    client.force_login(gp)
    response = client.post(
        reverse("accounts:absence-delete", args=[gone.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "<html" not in content
    assert "Blijft staan" in content
    assert "Gaat weg" not in content
    assert list(Absence.objects.filter(user=gp)) == [keep]


def test_removing_someone_elses_absence_is_404_and_keeps_it(client, gp, outsider):
    absence = AbsenceFactory(user=outsider)
    client.force_login(gp)
    response = client.post(reverse("accounts:absence-delete", args=[absence.pk]))
    assert response.status_code == 404
    assert Absence.objects.filter(pk=absence.pk, user=outsider).exists()


def test_absence_remove_is_post_only(client, gp):
    absence = AbsenceFactory(user=gp)
    client.force_login(gp)
    assert client.get(reverse("accounts:absence-delete", args=[absence.pk])).status_code == 405
    assert Absence.objects.filter(pk=absence.pk).exists()


def test_profile_lists_only_current_and_future_absences(client, gp):
    today = _today()
    AbsenceFactory(
        user=gp,
        start=today - datetime.timedelta(days=20),
        end=today - datetime.timedelta(days=1),
        message="Voorbije vakantie",
    )
    current = AbsenceFactory(
        user=gp, start=today - datetime.timedelta(days=2), end=today, message="Ziek thuis"
    )
    future = AbsenceFactory(
        user=gp,
        start=today + datetime.timedelta(days=30),
        end=today + datetime.timedelta(days=40),
        message="Wintersport",
    )
    client.force_login(gp)
    response = client.get(reverse("accounts:profile"))
    assert list(response.context["absences"]) == [current, future]
    content = response.content.decode()
    assert "Ziek thuis" in content
    assert "Wintersport" in content
    assert "Voorbije vakantie" not in content


# --- Language -----------------------------------------------------------------------------


def test_language_switch_sets_cookie_and_user_language_and_pages_render_in_english(client, gp):
    client.force_login(gp)
    response = client.post(
        reverse("accounts:language"), {"language": "en", "next": reverse("accounts:profile")}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:profile")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    gp.refresh_from_db()
    assert gp.language == "en"
    page = client.get(reverse("accounts:profile"))
    assert '<html lang="en">' in page.content.decode()
    assert page["Content-Language"] == "en"


def test_default_language_is_dutch(client, gp):
    client.force_login(gp)
    assert '<html lang="nl">' in client.get(reverse("home")).content.decode()


def test_language_switch_works_before_login_through_the_cookie(client):
    response = client.post(reverse("accounts:language"), {"language": "en", "next": "/"})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert '<html lang="en">' in client.get(reverse("account_login")).content.decode()


@pytest.mark.parametrize(
    "unsafe_next", ["https://evil.example/", "//evil.example/steal", "https:evil.example"]
)
def test_language_switch_never_redirects_to_another_site(client, gp, unsafe_next):
    client.force_login(gp)
    response = client.post(reverse("accounts:language"), {"language": "en", "next": unsafe_next})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_unknown_language_changes_nothing(client, gp):
    client.force_login(gp)
    response = client.post(reverse("accounts:language"), {"language": "fy", "next": "/"})
    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    gp.refresh_from_db()
    assert gp.language == "nl"


def test_no_page_changes_the_own_email_address_without_confirmation(client, gp):
    """allauth's e-mail page would make an unconfirmed address primary: it is not offered."""
    client.force_login(gp)

    page = client.get("/accounts/email/")
    added = client.post("/accounts/email/", {"action_add": "", "email": "aanvaller@example.org"})

    assert (page.status_code, added.status_code) == (404, 404)
    assert User.objects.get(pk=gp.pk).email == gp.email

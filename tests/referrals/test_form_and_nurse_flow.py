"""The referral form on one page and the nurse's flow after *In behandeling nemen* (issue 15,
item 6): no errors before the first submit, a preview that follows the organisation and team,
the patient linked for whoever may see them, the feedback form open when it is the next step,
and *Collega's toevoegen* on the referral page right after accepting."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from accounts.models import Membership
from network.models import CareNetworkMember
from referrals.services import referral_transition
from tests.conversations.conftest import actor_for
from tests.factories import EpisodeFactory, TeamFactory
from tests.referrals.conftest import refer
from tests.referrals.test_views import text

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
# What a bound form with errors shows (crispy's Bootstrap 5 markup) and Django's Dutch message.
ERROR_MARKS = ("is-invalid", "invalid-feedback", "Dit veld is verplicht", "alert-danger")


def assert_no_errors(response):
    page = response.content.decode()
    for mark in ERROR_MARKS:
        assert mark not in page, mark


# --- the form: one page, no errors before the first submit --------------------------------


def test_the_form_shows_no_errors_on_the_first_get(login, gp, patient, nursing):
    url = reverse("referrals:create", args=[patient.pk])
    client = login(gp)

    empty = client.get(url)
    chosen = client.get(url, {"to_organisation": nursing.pk})

    assert empty.status_code == chosen.status_code == 200
    assert_no_errors(empty)
    assert_no_errors(chosen)
    # One page: the question and the send button are there before anything is chosen.
    assert "Vraag of reden" in text(empty) and "Verwijzing versturen" in text(empty)


def test_a_preview_refresh_validates_nothing(login, gp, patient, nursing):
    url = reverse("referrals:create", args=[patient.pk])
    client = login(gp)

    fragment = client.get(url, {"to_organisation": nursing.pk}, **HTMX)
    # Without JavaScript: the whole form posted as a preview, the question still empty.
    posted = client.post(url, {"to_organisation": nursing.pk, "preview": "1", "question": ""})
    kept = client.post(
        url, {"to_organisation": nursing.pk, "preview": "1", "question": "Wondzorg graag."}
    )

    assert fragment.status_code == posted.status_code == 200
    assert_no_errors(fragment)
    assert_no_errors(posted)
    assert "Wondzorg graag." in kept.content.decode()  # the text stays, nothing was sent
    assert not patient.referrals.exists()


def test_the_first_real_submit_does_show_what_is_missing(login, gp, patient, nursing):
    response = login(gp).post(
        reverse("referrals:create", args=[patient.pk]), {"to_organisation": nursing.pk}
    )

    assert response.status_code == 422
    assert "Dit veld is verplicht" in text(response)


# --- the preview follows the organisation and the team ------------------------------------


def test_the_selects_renew_the_preview_on_change(login, gp, patient, nursing):
    url = reverse("referrals:create", args=[patient.pk])
    page = login(gp).get(url, {"to_organisation": nursing.pk})
    html = page.content.decode()

    for name, target in (("to_organisation", "#receiver"), ("to_team", "#preview")):
        select = re.search(rf'<select name="{name}"[^>]*>', html).group(0)
        assert 'hx-trigger="change"' in select and f'hx-target="{target}"' in select
        assert "csrfmiddlewaretoken" not in select and "question" not in select
    assert page["Vary"] and "HX-Request" in page["Vary"]


def test_the_preview_fragment_changes_with_the_organisation(
    login, gp, patient, nursing, physio_practice
):
    EpisodeFactory(patient=patient, icpc_code="S97", title="Ulcus cruris")
    url = reverse("referrals:create", args=[patient.pk])
    client = login(gp)

    to_nursing = client.get(url, {"to_organisation": nursing.pk}, **HTMX)
    to_physio = client.get(url, {"to_organisation": physio_practice.pk}, **HTMX)

    nursing_text, physio_text = text(to_nursing), text(to_physio)
    assert "<form" not in to_nursing.content.decode()  # the fragment, not the page
    assert "Dit ziet de ontvanger: Thuiszorg Friesland" in nursing_text
    assert "Wijkverpleging / VVT ziet: identiteit en adres (NAW), episodes (ICPC)" in nursing_text
    assert "Dit ziet de ontvanger: Fysio Centrum" in physio_text
    assert "Fysiotherapie ziet:" in physio_text
    assert "Wijkverpleging" not in physio_text
    # The team choice belongs to the organisation: Thuiszorg has Team Noord, the physio none.
    assert 'name="to_team"' in to_nursing.content.decode()
    assert 'name="to_team"' not in to_physio.content.decode()


def test_the_preview_fragment_names_the_chosen_team_and_only_its_own(
    login, gp, patient, nursing, team_noord, physio_practice
):
    elsewhere = TeamFactory(organisation=physio_practice, name="Team Elders")
    url = reverse("referrals:create", args=[patient.pk])
    client = login(gp)

    whole = text(client.get(url, {"to_organisation": nursing.pk}, **HTMX))
    team = text(client.get(url, {"to_organisation": nursing.pk, "to_team": team_noord.pk}, **HTMX))
    foreign = text(
        client.get(url, {"to_organisation": nursing.pk, "to_team": elsewhere.pk}, **HTMX)
    )

    assert "Alleen de leden van Team Noord ontvangen de verwijzing." in team
    assert "Dit ziet de ontvanger: Thuiszorg Friesland · Team Noord" in team
    assert "Alleen de leden van" not in whole
    assert "Team Elders" not in foreign and "Alleen de leden van" not in foreign


# --- the referral page ----------------------------------------------------------------------


def patient_link(patient) -> str:
    return f'href="{reverse("network:patient-detail", args=[patient.pk])}"'


def test_the_referral_links_to_the_patient_for_whoever_may_see_them(
    login, gp, nurse, patient, nursing
):
    referral = refer(gp, patient, nursing)
    url = reverse("referrals:detail", args=[referral.pk])

    assertContains(login(gp).get(url), patient_link(patient))
    assertContains(login(nurse).get(url), patient_link(patient))  # open referral: a grant


def test_the_referral_does_not_link_to_a_patient_the_viewer_may_not_see(
    login, gp, nurse, patient, nursing
):
    referral = refer(gp, patient, nursing)
    referral_transition(
        actor=actor_for(nurse), referral=referral, action="decline", reason="Geen plek."
    )

    # Declined: the nurse keeps the referral's history, no longer the patient.
    page = login(nurse).get(reverse("referrals:detail", args=[referral.pk]))

    assert page.status_code == 200
    assertNotContains(page, patient_link(patient))
    assertNotContains(page, "Geertje")


def feedback_details(response) -> str:
    match = re.search(r'<details[^>]*id="feedback-form"[^>]*>', response.content.decode())
    return match.group(0) if match else ""


def test_the_feedback_form_is_open_when_feedback_is_the_next_step(
    login, gp, nurse, patient, nursing
):
    referral = refer(gp, patient, nursing)
    url = reverse("referrals:detail", args=[referral.pk])
    nurse_client = login(nurse)
    assert feedback_details(nurse_client.get(url)) == ""  # not yet accepted: no form

    nurse_client.post(reverse("referrals:transition", args=[referral.pk, "accept"]))
    details = feedback_details(nurse_client.get(url))
    assert re.search(r"\bopen\b", details), details
    assert feedback_details(login(gp).get(url)) == ""  # the practice gives no feedback

    nurse_client.post(
        reverse("referrals:feedback", args=[referral.pk]), {"kind": "start", "findings": "Schoon."}
    )
    later = feedback_details(nurse_client.get(url))
    assert later and not re.search(r"\bopen\b", later)  # more feedback can wait, folded


def test_after_accept_the_page_offers_adding_colleagues(
    login, gp, nurse, team_nurse, physio, patient, nursing
):
    referral = refer(gp, patient, nursing)
    nurse_client = login(nurse)

    accepted = nurse_client.post(
        reverse("referrals:transition", args=[referral.pk, "accept"]), follow=True
    )

    assert accepted.redirect_chain[-1][0].startswith(
        reverse("referrals:detail", args=[referral.pk])
    )
    page = text(accepted)
    assert "Collega's toevoegen" in page and "Hiltje de Vries" in page
    assert "Foppe Hiemstra" not in page  # not a colleague

    colleague = Membership.objects.get(user=team_nurse, organisation=nursing)
    added = nurse_client.post(
        reverse("referrals:colleague-add", args=[referral.pk]),
        {"membership": colleague.pk},
        follow=True,
    )

    member = CareNetworkMember.objects.current().get(patient=patient, user=team_nurse)
    assert member.reason == "referral" and member.added_by == nurse
    assert "Hiltje de Vries (Thuiszorg Friesland) hoort nu bij het zorgnetwerk." in text(added)
    colleagues = re.search(r'id="colleagues".*?</section>', added.content.decode(), re.S)
    assert "Hiltje de Vries" not in colleagues.group(0)  # in the network now: not offered again


def test_only_colleagues_and_only_by_the_receivers_in_treatment(
    login, gp, nurse, team_nurse, physio, patient, nursing
):
    referral = refer(gp, patient, nursing)
    url = reverse("referrals:colleague-add", args=[referral.pk])
    colleague = Membership.objects.get(user=team_nurse, organisation=nursing)
    outsider = Membership.objects.get(user=physio)
    nurse_client = login(nurse)

    before = nurse_client.post(url, {"membership": colleague.pk}, follow=True)
    assert "Collega's toevoegen kan zolang de verwijzing in behandeling is." in text(before)

    nurse_client.post(reverse("referrals:transition", args=[referral.pk, "accept"]))
    other = nurse_client.post(url, {"membership": outsider.pk}, follow=True)
    assert "Kies een collega van je organisatie." in text(other)
    assert login(gp).post(url, {"membership": colleague.pk}).status_code == 403

    assert not CareNetworkMember.objects.filter(user__in=[team_nurse, physio]).exists()

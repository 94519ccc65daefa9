"""Finding colleagues across the region by first name, surname or organisation."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import AbsenceFactory, MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def _search(client, q, **extra):
    return client.get(reverse("accounts:colleague-search"), {"q": q}, **extra)


def _found(response) -> list[str]:
    page = response.context["page"]
    return [] if page is None else [person.full_name for person in page]


@pytest.fixture
def region(practice, other_practice, nursing):
    """A few people in three organisations."""
    people = {
        "sjoukje": UserFactory(first_name="Sjoukje", last_name="Hoekstra"),
        "jelle": UserFactory(first_name="Jelle", last_name="de Vries"),
        "anke": UserFactory(first_name="Anke", last_name="Postma"),
        "tjitske": UserFactory(first_name="Tjitske", last_name="Dijkstra"),
    }
    MembershipFactory(user=people["sjoukje"], organisation=practice)
    MembershipFactory(user=people["jelle"], organisation=practice)
    MembershipFactory(user=people["jelle"], organisation=other_practice)
    MembershipFactory(user=people["anke"], organisation=other_practice)
    MembershipFactory(user=people["tjitske"], organisation=nursing)
    return people


def test_search_finds_by_first_name_case_insensitive(client, gp, region):
    client.force_login(gp)
    assert _found(_search(client, "sjouk")) == ["Sjoukje Hoekstra"]


def test_search_finds_by_surname(client, gp, region):
    client.force_login(gp)
    assert _found(_search(client, "DIJKSTRA")) == ["Tjitske Dijkstra"]


def test_search_finds_everyone_of_an_organisation_by_its_name(client, gp, outsider, region):
    client.force_login(gp)
    assert sorted(_found(_search(client, "HET anker"))) == [
        "Anke Postma",
        "Jelle de Vries",
        "Otto Buitenhuis",
    ]
    assert _found(_search(client, "thuiszorg")) == ["Tjitske Dijkstra"]


def test_every_word_must_match(client, gp, region):
    client.force_login(gp)
    # "Postma" alone finds the gp (Gerrit Postma) and Anke Postma; adding her practice narrows it.
    assert sorted(_found(_search(client, "postma"))) == ["Anke Postma", "Gerrit Postma"]
    assert _found(_search(client, "postma anker")) == ["Anke Postma"]
    assert _found(_search(client, "jelle linde")) == ["Jelle de Vries"]
    assert _found(_search(client, "jelle thuiszorg")) == []


def test_a_person_in_two_organisations_is_listed_once_with_both(client, gp, region):
    client.force_login(gp)
    response = _search(client, "huisartsenpraktijk jelle")
    assert _found(response) == ["Jelle de Vries"]
    content = response.content.decode()
    assert content.count("Jelle de Vries") == 1
    assert "Huisartsenpraktijk De Linde" in content
    assert "Huisartsenpraktijk Het Anker" in content
    assert response.context["page"].paginator.count == 1


def test_inactive_users_are_not_found(client, gp, region):
    region["sjoukje"].is_active = False
    region["sjoukje"].save()
    client.force_login(gp)
    assert _found(_search(client, "sjoukje")) == []


def test_people_whose_membership_ended_are_not_found(client, gp, region):
    region["tjitske"].memberships.update(is_active=False)
    client.force_login(gp)
    assert _found(_search(client, "tjitske")) == []


def test_ended_membership_does_not_match_by_organisation_name(client, gp, region, other_practice):
    region["jelle"].memberships.filter(organisation=other_practice).update(is_active=False)
    client.force_login(gp)
    assert "Jelle de Vries" not in _found(_search(client, "anker"))
    response = _search(client, "jelle")
    assert _found(response) == ["Jelle de Vries"]
    assert "Huisartsenpraktijk Het Anker" not in response.content.decode().split('id="results"')[1]


def test_people_of_a_deactivated_organisation_are_not_found_through_it(client, gp, nursing, region):
    nursing.is_active = False
    nursing.save()
    client.force_login(gp)
    assert _found(_search(client, "tjitske")) == []


def test_empty_query_lists_nobody(client, gp, region):
    client.force_login(gp)
    response = client.get(reverse("accounts:colleague-search"))
    assert response.status_code == 200
    assert response.context["page"] is None
    assert "Sjoukje" not in response.content.decode()


def test_results_come_in_pages_of_25(client, gp, practice):
    for n in range(30):
        MembershipFactory(user=UserFactory(first_name="Bauke", last_name=f"Zijl{n:02d}"))
    client.force_login(gp)
    first = _search(client, "bauke")
    assert len(_found(first)) == 25
    assert first.context["page"].paginator.count == 30
    second = client.get(reverse("accounts:colleague-search"), {"q": "bauke", "page": 2})
    assert len(_found(second)) == 5
    assert not set(_found(first)) & set(_found(second))
    # Past the last page shows the last page rather than an error.
    last = client.get(reverse("accounts:colleague-search"), {"q": "bauke", "page": 99})
    assert _found(last) == _found(second)


def test_htmx_search_returns_only_the_results_and_varies_on_hx_request(client, gp, region):
    client.force_login(gp)
    response = _search(client, "sjoukje", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    content = response.content.decode()
    assert "<html" not in content
    assert content.lstrip().startswith('<div id="results"')
    assert "Sjoukje Hoekstra" in content
    assert "HX-Request" in response["Vary"]
    full = _search(client, "sjoukje")
    assert "<html" in full.content.decode()
    assert "HX-Request" in full["Vary"]


def test_search_needs_login(client):
    response = client.get(reverse("accounts:colleague-search"), {"q": "a"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# Query budget of one results page, independent of the number of matches (8 measured):
#  1 session, 1 user, 1 active memberships (middleware), 1 MFA authenticators (second-factor
#  check), 1 paginator count, 1 page of users, 1 prefetch of their memberships with
#  organisations, 1 prefetch of today's absences; 2 slack for a session activity write. A query
#  per person on the page (the N+1 this guards against) would add 10 already at 10 matches.
SEARCH_QUERY_BUDGET = 10


@pytest.mark.parametrize("matches", [10, 100])
def test_search_page_costs_the_same_queries_for_10_and_100_matches(
    client, gp, matches, django_assert_max_num_queries
):
    organisation = OrganisationFactory(name="Gezondheidscentrum Kwartier")
    for n in range(matches):
        user = UserFactory(first_name="Klaas", last_name=f"Visser{n:03d}", functions=["carer"])
        MembershipFactory(user=user, organisation=organisation)
        MembershipFactory(user=user)
        AbsenceFactory(user=user, message=f"Afwezig {n}")
    client.force_login(gp)
    client.get(reverse("home"))  # settle the session's first-request writes
    with django_assert_max_num_queries(SEARCH_QUERY_BUDGET):
        response = _search(client, "klaas kwartier")
    assert response.context["page"].paginator.count == matches
    assert len(_found(response)) == min(matches, 25)
    assert response.content.decode().count("presence-marker") == min(matches, 25)

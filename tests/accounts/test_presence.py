"""Next to every name: absent (until when, with the message) or not a working day."""

from __future__ import annotations

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.template import Context, Template
from django.urls import reverse
from django.utils import dateformat, translation

from accounts.models import User
from accounts.presence import ABSENT, AVAILABLE, DAY_OFF, presence_of, with_presence
from tests.factories import AbsenceFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

# A Wednesday (ISO weekday 3), mid-morning in the Netherlands.
WEDNESDAY = datetime.date(2026, 3, 4)
WEDNESDAY_MORNING = datetime.datetime(2026, 3, 4, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))


@pytest.fixture
def on_wednesday():
    with time_machine.travel(WEDNESDAY_MORNING, tick=False):
        yield WEDNESDAY


def _marker(user) -> str:
    return Template("{% load presence %}{% presence_marker user %}").render(Context({"user": user}))


def _list_item_with(content: str, name: str) -> str:
    """The ``<li>`` that holds ``name`` (the marker sits in the same item as the name)."""
    match = re.search(
        rf"<li[^>]*>(?:(?!</li>).)*{re.escape(name)}(?:(?!</li>).)*</li>", content, re.S
    )
    assert match, f"{name} not listed"
    return match.group(0)


def test_absent_today_gives_absent_until_the_end_with_the_message(on_wednesday):
    user = UserFactory()
    AbsenceFactory(
        user=user,
        start=on_wednesday - datetime.timedelta(days=2),
        end=on_wednesday + datetime.timedelta(days=5),
        message="Bel Sjoukje voor spoed",
    )
    presence = presence_of(user)
    assert presence.status == ABSENT
    assert presence.until == on_wednesday + datetime.timedelta(days=5)
    assert presence.message == "Bel Sjoukje voor spoed"
    assert not presence.is_available


def test_overlapping_absences_show_the_latest_end_date(on_wednesday):
    user = UserFactory()
    AbsenceFactory(user=user, start=on_wednesday, end=on_wednesday, message="Cursus")
    AbsenceFactory(
        user=user,
        start=on_wednesday - datetime.timedelta(days=1),
        end=on_wednesday + datetime.timedelta(days=9),
        message="Vakantie",
    )
    presence = presence_of(user)
    assert (presence.until, presence.message) == (
        on_wednesday + datetime.timedelta(days=9),
        "Vakantie",
    )


def test_absence_that_ended_yesterday_or_starts_tomorrow_does_not_count(on_wednesday):
    user = UserFactory(working_days=[1, 2, 3, 4, 5])
    AbsenceFactory(
        user=user,
        start=on_wednesday - datetime.timedelta(days=5),
        end=on_wednesday - datetime.timedelta(days=1),
    )
    AbsenceFactory(
        user=user,
        start=on_wednesday + datetime.timedelta(days=1),
        end=on_wednesday + datetime.timedelta(days=3),
    )
    assert presence_of(user).status == AVAILABLE


def test_not_a_working_day_gives_day_off(on_wednesday):
    user = UserFactory(working_days=[1, 2, 4])
    assert presence_of(user).status == DAY_OFF
    user.working_days = [3]
    assert presence_of(user).status == AVAILABLE


def test_absence_wins_over_a_day_off(on_wednesday):
    user = UserFactory(working_days=[1])
    AbsenceFactory(user=user, start=on_wednesday, end=on_wednesday)
    assert presence_of(user).status == ABSENT


def test_marker_shows_until_date_and_message_for_an_absent_user(on_wednesday):
    user = UserFactory()
    until = on_wednesday + datetime.timedelta(days=6)
    AbsenceFactory(user=user, start=on_wednesday, end=until, message="Mail de praktijkinbox")
    with translation.override("nl"):
        html = _marker(user)
        day = dateformat.format(until, "j F")
    assert "presence-marker" in html
    assert day in html
    assert 'title="Mail de praktijkinbox"' in html


def test_marker_escapes_the_absence_message(on_wednesday):
    user = UserFactory()
    AbsenceFactory(user=user, message='"><script>alert(1)</script>')
    html = _marker(user)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_marker_shows_not_working_on_a_day_off_and_nothing_when_available(on_wednesday):
    off = UserFactory(working_days=[1, 2])
    available = UserFactory(working_days=[3])
    off_html = _marker(off)
    assert "presence-marker" in off_html
    assert "title=" not in off_html  # no absence message: a day off is not an absence
    assert _marker(available).strip() == ""
    absent = UserFactory(working_days=[1, 2])
    AbsenceFactory(user=absent, start=on_wednesday, end=on_wednesday)
    assert off_html != _marker(absent)  # a day off reads differently from an absence


def test_prefetched_presence_needs_no_query_per_user(on_wednesday, django_assert_num_queries):
    for n in range(5):
        AbsenceFactory(user=UserFactory(), message=f"Afwezig {n}")
    users = list(with_presence(User.objects.all()))
    with django_assert_num_queries(0):
        statuses = [presence_of(user).status for user in users]
    assert statuses == [ABSENT] * 5


def _colleagues(practice):
    absent = UserFactory(first_name="Afke", last_name="Afwezig", working_days=[1, 2, 3, 4, 5])
    AbsenceFactory(
        user=absent,
        start=WEDNESDAY,
        end=WEDNESDAY + datetime.timedelta(days=2),
        message="Vervanging via Jelle",
    )
    free = UserFactory(first_name="Vrije", last_name="Woensdag", working_days=[1, 2])
    present = UserFactory(first_name="Aanwezige", last_name="Werker", working_days=[3])
    for user in (absent, free, present):
        MembershipFactory(user=user, organisation=practice)
    return absent, free, present


def _assert_markers(content: str):
    absent_item = _list_item_with(content, "Afke Afwezig")
    assert "presence-marker" in absent_item
    assert "Vervanging via Jelle" in absent_item
    with translation.override("nl"):
        assert dateformat.format(WEDNESDAY + datetime.timedelta(days=2), "j F") in absent_item
    free_item = _list_item_with(content, "Vrije Woensdag")
    assert "presence-marker" in free_item
    assert "Vervanging via Jelle" not in free_item
    assert "presence-marker" not in _list_item_with(content, "Aanwezige Werker")


def test_colleague_search_shows_the_markers_next_to_names(client, gp, practice, on_wednesday):
    _colleagues(practice)
    client.force_login(gp)
    response = client.get(reverse("accounts:colleague-search"), {"q": "De Linde"})
    assert response.status_code == 200
    _assert_markers(response.content.decode())


def test_start_page_lists_the_absent_colleague_with_message_and_end(
    client, gp, practice, on_wednesday
):
    _colleagues(practice)
    client.force_login(gp)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    absent_item = _list_item_with(response.content.decode(), "Afke Afwezig")
    assert "Vervanging via Jelle" in absent_item
    with translation.override("nl"):
        assert "tot en met 6 maart" in absent_item  # the month written out, in Dutch
    content = response.content.decode()
    assert "Vrije Woensdag" not in content  # a day off is not an absence
    assert "Aanwezige Werker" not in content

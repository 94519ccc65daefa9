"""The inbox and the open conversation side by side (issue 15): on a wide screen the conversation
page carries the list of its inbox on the left, with the conversations/consultations switch;
on a phone the CSS hides that list and a link leads back. These tests read the HTML the server
sends; tests/browser/test_conversation_layout.py looks at the screen.
"""

from __future__ import annotations

import html as html_module
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from conversations.models import Conversation
from conversations.selectors import CONVERSATIONS_PER_PAGE
from network.models import AccessLogEntry
from tests.conversations.conftest import send, start

pytestmark = pytest.mark.django_db


def detail_url(conversation) -> str:
    return reverse("conversations:detail", args=[conversation.pk])


def side_list(response) -> str:
    """The inbox list beside the conversation, as HTML."""
    html = response.content.decode()
    return html.split('id="inbox-side-title"', 1)[1].split('id="conversation"', 1)[0]


def listed_subjects(html: str) -> list[str]:
    block = html.split('id="rows"', 1)[1].split("</ul>", 1)[0]
    return [html_module.unescape(s) for s in re.findall(r"<strong>([^<]*)</strong>", block)]


def current_subjects(html: str) -> list[str]:
    """Subjects of the rows whose link is marked aria-current."""
    return [
        html_module.unescape(subject)
        for subject in re.findall(
            r'aria-current="page">\s*<span class="conversation-row-main">\s*<strong>([^<]*)',
            html,
        )
    ]


def switch(html: str) -> str:
    return html.split('id="inbox-switch"', 1)[1].split("</nav>", 1)[0]


def test_the_conversation_page_lists_its_inbox_beside_it_with_the_open_one_current(
    login, gp, nurse
):
    start(gp, nurse, subject="Zwachtels")
    open_one = start(gp, nurse, subject="Wond linkervoet")
    start(gp, nurse, subject="Vraag over insuline", kind="consultation")

    response = login(nurse).get(detail_url(open_one))

    side = side_list(response)
    assert listed_subjects(side) == ["Wond linkervoet", "Zwachtels"]
    assert current_subjects(side) == ["Wond linkervoet"]
    # The switch: conversations is the inbox shown, consultations one link away.
    assert re.search(r'href="/gesprekken/" aria-current="true">Gesprekken', switch(side))
    assert 'href="/consultaties/">Consultaties' in switch(side)
    # On a phone the list is hidden (d-none d-lg-block) and a link leads back to the inbox.
    assert 'class="col-lg-5 col-xl-4 d-none d-lg-block"' in response.content.decode()
    assert re.search(
        r'<a class="conversation-back" href="/gesprekken/">.*Terug naar gesprekken</a>',
        response.content.decode(),
        flags=re.S,
    )


def test_a_consultation_lists_the_consultations_beside_it(login, gp, nurse):
    start(gp, nurse, subject="Zwachtels")
    consultation = start(gp, nurse, subject="Vraag over insuline", kind="consultation")

    response = login(nurse).get(detail_url(consultation))

    side = side_list(response)
    assert listed_subjects(side) == ["Vraag over insuline"]
    assert re.search(r'href="/consultaties/" aria-current="true">Consultaties', switch(side))
    assert re.search(
        r'<a class="conversation-back" href="/consultaties/">.*Terug naar consultaties</a>',
        response.content.decode(),
        flags=re.S,
    )


def test_the_side_list_shows_only_what_the_inbox_shows(login, gp, nurse, physio, outsider):
    mine = start(gp, nurse, subject="Van ons samen")
    start(gp, physio, subject="Tussen huisarts en fysio")
    start(outsider, gp, subject="Van een andere praktijk")
    client = login(nurse)

    side = listed_subjects(side_list(client.get(detail_url(mine))))
    inbox = listed_subjects(client.get(reverse("conversations:inbox")).content.decode())

    assert side == inbox == ["Van ons samen"]


def test_the_open_conversation_shows_no_unread_count_in_the_list_and_the_switch(login, gp, nurse):
    start(gp, nurse, subject="Nog niet gelezen")
    open_one = start(gp, nurse, subject="Nu open")
    send(gp, open_one, "Nieuw bericht")

    side = side_list(login(nurse).get(detail_url(open_one)))

    rows = re.findall(r"<li class=\"([^\"]*)\">\s*<a[^>]*>\s*<span[^>]*>\s*<strong>([^<]*)", side)
    assert rows == [
        ("list-group-item inbox-row-current", "Nu open"),
        ("list-group-item list-group-item-primary", "Nog niet gelezen"),
    ]
    # One unread conversation left: the other one (the open one was read by opening it).
    assert re.search(r"Gesprekken <span class=\"badge[^>]*\">1<", switch(side))


def test_the_side_list_shows_the_page_that_holds_the_open_conversation(login, gp, nurse):
    oldest = start(gp, nurse, subject="Het oudste")
    for n in range(CONVERSATIONS_PER_PAGE):
        start(gp, nurse, subject=f"Gesprek {n:02d}")
    client = login(nurse)

    side = side_list(client.get(detail_url(oldest)))

    assert listed_subjects(side) == ["Het oudste"]
    assert current_subjects(side) == ["Het oudste"]
    assert "Pagina 2 van 2" in side
    # The list's pages stay beside the same conversation.
    assert f'href="/gesprekken/{oldest.pk}/?page=1">Vorige' in side
    first = side_list(client.get(detail_url(oldest) + "?page=1"))
    assert listed_subjects(first)[0] == f"Gesprek {CONVERSATIONS_PER_PAGE - 1:02d}"
    assert current_subjects(first) == []


def test_a_closed_conversation_lists_the_archive_beside_it(login, gp, nurse):
    start(gp, nurse, subject="Nog open")
    closed = start(gp, nurse, subject="Afgerond")
    Conversation.objects.filter(pk=closed.pk).update(closed_at=timezone.now())

    response = login(nurse).get(detail_url(closed))

    side = side_list(response)
    assert listed_subjects(side) == ["Afgerond"]
    assert "Archief" in side
    assert "tab=archive" in re.search(r'id="rows" hx-get="([^"]*)"', side)[1]


def test_the_side_list_refreshes_itself_through_the_inbox_with_the_open_one_marked(
    login, gp, nurse
):
    open_one = start(gp, nurse, subject="Nu open")
    client = login(nurse)
    side = side_list(client.get(detail_url(open_one)))
    refresh = html_module.unescape(re.search(r'id="rows" hx-get="([^"]*)"', side)[1])
    assert refresh == f"/gesprekken/?page=1&open={open_one.pk}"
    start(gp, nurse, subject="Net binnen")

    response = client.get(refresh, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert "<html" not in html
    assert "HX-Request" in response["Vary"]
    assert listed_subjects(html) == ["Net binnen", "Nu open"]
    assert current_subjects(html) == ["Nu open"]
    # The same request for the next refresh; the switch's counts come along out of band.
    assert f'hx-get="/gesprekken/?page=1&amp;open={open_one.pk}"' in html
    assert re.search(r'<nav id="inbox-switch"[^>]*hx-swap-oob="true"', html)
    assert re.search(r"Gesprekken <span class=\"badge[^>]*\">1<", switch(html))


def test_the_inbox_page_shows_the_switch_and_invites_to_choose_a_conversation(login, gp, nurse):
    start(gp, nurse, subject="Wondzorg")
    start(gp, nurse, subject="Vraag", kind="consultation")
    client = login(nurse)

    inbox = client.get(reverse("conversations:inbox")).content.decode()
    consultations = client.get(reverse("conversations:consultations")).content.decode()

    assert "Kies een gesprek" in inbox
    assert re.search(r'href="/gesprekken/" aria-current="page">Gesprekken', switch(inbox))
    assert re.search(r"Consultaties <span class=\"badge[^>]*\">1<", switch(inbox))
    assert current_subjects(inbox) == []
    assert "Kies een consultatie" in consultations
    assert re.search(
        r'href="/consultaties/" aria-current="page">Consultaties', switch(consultations)
    )


def test_the_patients_the_side_list_names_are_logged_with_the_conversation(
    login, gp, nurse, shared_patient
):
    about = start(gp, nurse, subject="Over de patiënt", patient=shared_patient)
    start(gp, nurse, subject="Ook over de patiënt", patient=shared_patient)
    client = login(nurse)
    before = AccessLogEntry.objects.count()

    client.get(detail_url(about))

    entries = list(AccessLogEntry.objects.order_by("id")[before:])
    assert [(e.object_ref, e.patient_id) for e in entries] == [
        (f"conversation:{about.pk}", shared_patient.pk),
        ("conversation_list:page=1", shared_patient.pk),
        ("conversation_list:page=1", shared_patient.pk),
    ]
    assert len({e.at for e in entries}) == 1  # one write

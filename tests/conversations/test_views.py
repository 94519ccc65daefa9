"""The conversation pages as the people who live in this inbox see them.

Starting (about a patient, without, to a shared inbox, to a group), the inbox with its unread
counts, tabs, search, filters and pages, the consultations page, one conversation (escaping,
links, limits, absence warnings, read marks) and who gets a 404.
"""

from __future__ import annotations

import datetime
import html as html_module
import re
import uuid

import pytest
from django.db import connection
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import timezone, translation
from pytest_django.asserts import assertContains, assertInHTML, assertNotContains

from conversations.models import Conversation, Message, Participant, ReadState
from network.models import AccessLogEntry, CareNetworkMember, CareNetworkReason
from tests.conversations.conftest import membership_of, send, start
from tests.factories import AbsenceFactory, CareNetworkMemberFactory

pytestmark = pytest.mark.django_db

ON_POSTGRESQL = connection.vendor == "postgresql"


def text(response) -> str:
    """The page as a reader sees it: tags gone, whitespace collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return html_module.unescape(" ".join(re.sub(r"<[^>]+>", " ", html).split()))


def rows(response) -> list[str]:
    """The inbox rows, as text, in order."""
    html = response.content.decode()
    block = html.split('id="rows"', 1)[1]
    items = re.findall(r'<li class="list-group-item[^"]*">(.*?)</li>', block, flags=re.S)
    return [html_module.unescape(" ".join(re.sub(r"<[^>]+>", " ", item).split())) for item in items]


def thread(response) -> str:
    """The messages of a conversation page as text (not the inbox list beside them)."""
    html = response.content.decode()
    block = html.split('id="messages-list"', 1)[1].split("</section>", 1)[0]
    return html_module.unescape(" ".join(re.sub(r"<[^>]+>", " ", block).split()))


def subjects(response) -> list[str]:
    html = response.content.decode().split('id="rows"', 1)[1]
    found = re.findall(r"<strong>([^<]*)</strong>", html.split("</ul>", 1)[0])
    return [html_module.unescape(subject) for subject in found]


def detail_url(conversation) -> str:
    return reverse("conversations:detail", args=[conversation.pk])


def create_form(*, people=(), inboxes=(), key=None, **fields) -> dict:
    return {
        "kind": "conversation",
        "subject": "Wond linkervoet",
        "body": "Wil je morgen naar de wond kijken?",
        "client_key": str(key or uuid.uuid4()),
        "people": [m.pk for m in people],
        "inboxes": [i.pk for i in inboxes],
        **fields,
    }


def message_form(body="Ik ga morgen langs.", key=None) -> dict:
    return {"body": body, "client_key": str(key or uuid.uuid4())}


# --- starting a conversation -----------------------------------------------------------------


def test_gp_starts_a_conversation_from_the_patient_page_and_everyone_joins_the_network(
    login, gp, nurse, physio, shared_patient
):
    client = login(gp)
    patient_page = client.get(reverse("network:patient-detail", args=[shared_patient.pk]))
    url = reverse("conversations:create") + f"?patient={shared_patient.pk}"
    assertContains(patient_page, f'href="{url}"')

    form = client.get(url)
    assert "Over Dijkstra, S." in text(form)
    assert "Alleen voor niet-spoedeisende zaken. Bel bij spoed." in text(form)
    response = client.post(url, create_form(people=[membership_of(nurse), membership_of(physio)]))

    conversation = Conversation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(conversation)
    assert conversation.patient == shared_patient
    physio_member = CareNetworkMember.objects.current().get(patient=shared_patient, user=physio)
    assert physio_member.reason == CareNetworkReason.CONVERSATION
    page = client.get(detail_url(conversation))
    assert "Wil je morgen naar de wond kijken?" in text(page)
    assert "Over Dijkstra, S." in text(page)


def test_posting_the_start_form_twice_stores_one_conversation_and_one_message(
    login, gp, nurse, shared_patient
):
    client = login(gp)
    url = reverse("conversations:create") + f"?patient={shared_patient.pk}"
    form = create_form(people=[membership_of(nurse)])

    first = client.post(url, form)
    second = client.post(url, form)

    assert first["Location"] == second["Location"]
    assert Conversation.objects.count() == 1
    assert Message.objects.count() == 1


def test_a_conversation_without_patient_reaches_the_recipient(login, gp, physio):
    response = login(gp).post(
        reverse("conversations:create"),
        create_form(people=[membership_of(physio)], subject="Scholingsavond"),
    )

    conversation = Conversation.objects.get()
    assert response["Location"] == detail_url(conversation)
    assert conversation.patient is None
    inbox = login(physio).get(reverse("conversations:inbox"))
    assert subjects(inbox) == ["Scholingsavond"]


def test_a_conversation_to_a_shared_inbox_reaches_every_member(
    login, gp, nurse, colleague, physio, nursing_inbox
):
    login(gp).post(
        reverse("conversations:create"),
        create_form(inboxes=[nursing_inbox], subject="Wie heeft maandag plek?"),
    )

    for member in (nurse, colleague):
        assert subjects(login(member).get(reverse("conversations:inbox"))) == [
            "Wie heeft maandag plek?"
        ]
    assert subjects(login(physio).get(reverse("conversations:inbox"))) == []


def test_a_group_conversation_shows_every_participant(login, gp, nurse, physio):
    login(gp).post(
        reverse("conversations:create"),
        create_form(people=[membership_of(nurse), membership_of(physio)], subject="Overleg"),
    )

    conversation = Conversation.objects.get()
    page = text(login(physio).get(detail_url(conversation)))
    for name in ("Gerrit Postma", "Nynke Wiersma", "Foppe Hiemstra"):
        assert name in page


def test_starting_without_a_recipient_says_so_and_stores_nothing(login, gp):
    response = login(gp).post(reverse("conversations:create"), create_form())

    assert response.status_code == 422
    assert "Kies minstens één ontvanger." in text(response)
    assert not Conversation.objects.exists()


def test_the_recipient_search_finds_people_and_shared_inboxes(login, gp, nurse, nursing_inbox):
    response = login(gp).get(reverse("conversations:recipient-search"), {"q": "wijk"})

    page = text(response)
    assert "Nynke Wiersma · Thuiszorg Friesland" not in page  # "wijk" is in her e-mail only
    assert "Wijkverpleging Noord · Thuiszorg Friesland" in page
    response = login(gp).get(reverse("conversations:recipient-search"), {"q": "Wiersma"})
    assert "Nynke Wiersma · Thuiszorg Friesland" in text(response)


def test_writing_about_a_not_visible_patient_reaches_the_recipient_or_is_refused(
    login, gp, physio, patient
):
    url = reverse("conversations:create") + f"?patient={patient.pk}"
    # The GP unticks "make the patient visible to the care network".
    response = login(gp).post(url, create_form(people=[membership_of(physio)]))

    if response.status_code == 422:  # refused with a reason: fine, as long as nothing is stored
        assert not Conversation.objects.exists()
        return
    conversation = Conversation.objects.get()
    assert login(physio).get(detail_url(conversation)).status_code == 200


# --- the inbox --------------------------------------------------------------------------------


def test_the_inbox_shows_unread_counts_and_opening_marks_read(login, gp, nurse):
    conversation = start(gp, nurse, subject="Wondzorg")
    send(gp, conversation, "Tweede bericht")
    send(gp, conversation, "Derde bericht")
    start(gp, nurse, subject="Al gelezen")
    nurse_client = login(nurse)
    read = Conversation.objects.get(subject="Al gelezen")
    nurse_client.get(detail_url(read))

    listed = rows(nurse_client.get(reverse("conversations:inbox")))
    [unread] = [row for row in listed if row.startswith("Wondzorg")]
    [seen] = [row for row in listed if row.startswith("Al gelezen")]
    assert unread.startswith("Wondzorg 3 ongelezen")
    assert "ongelezen" not in seen
    badge = nurse_client.get(reverse("conversations:unread-badge"))
    assertInHTML(
        '<span class="badge rounded-pill text-bg-danger">1'
        '<span class="visually-hidden"> ongelezen</span></span>',
        badge.content.decode(),
    )

    nurse_client.get(detail_url(conversation))

    assert all(
        "ongelezen" not in row for row in rows(nurse_client.get(reverse("conversations:inbox")))
    )
    badge = nurse_client.get(reverse("conversations:unread-badge"))
    assert "badge" not in badge.content.decode()
    state = ReadState.objects.get(conversation=conversation, user=nurse)
    assert state.last_read_message_id == conversation.messages.last().pk


def test_the_inbox_shows_the_last_messages_first_line_its_writer_and_time(login, gp, nurse):
    long_line = "Wond gespoeld " + "en verbonden " * 10
    talk = start(gp, nurse, subject="Wondzorg")
    send(nurse, talk, f"\n  <b>{long_line}</b>\nTweede regel")
    asked = start(gp, nurse, subject="Vraag", body="Kun je bellen?")
    Conversation.objects.filter(pk=asked.pk).update(
        last_message_at=timezone.now() - datetime.timedelta(days=1)
    )

    response = login(nurse).get(reverse("conversations:inbox"))

    [talk_row] = [row for row in rows(response) if row.startswith("Wondzorg")]
    [asked_row] = [row for row in rows(response) if row.startswith("Vraag")]
    preview = f"<b>{long_line}</b>"[:79] + "…"
    assert f"Jij: {preview}" in talk_row  # escaped, first line only, shortened
    assert "Tweede regel" not in talk_row
    assert "<b>" not in response.text.split('id="rows"', 1)[1]
    assert talk_row.endswith(timezone.localtime(talk.messages.last().created_at).strftime("%H:%M"))
    assert asked_row.endswith("Gerrit: Kun je bellen? Gisteren")


def test_the_badge_counts_consultations_apart(login, gp, nurse):
    start(gp, nurse, kind="consultation", subject="Vraag 1")
    start(gp, nurse, kind="consultation", subject="Vraag 2")
    start(gp, nurse, subject="Gesprek")

    html = login(nurse).get(reverse("conversations:unread-badge")).content.decode()

    consultations = html.split('id="unread-consultations"', 1)[1]
    conversations = html.split('id="unread-consultations"', 1)[0]
    assert re.search(r"text-bg-danger\">2<", consultations)
    assert re.search(r"text-bg-danger\">1<", conversations)


def test_the_badge_does_not_count_a_conversation_one_may_not_open(
    login, gp, nurse, patient, shared_patient
):
    """The nurse takes part in a conversation about a not-visible patient: it is no unread
    conversation of hers, and not in her inbox."""
    CareNetworkMemberFactory(patient=patient, user=nurse)
    start(gp, nurse, patient=patient, subject="Verborgen")
    start(gp, nurse, patient=shared_patient, subject="Zichtbaar")

    client = login(nurse)

    assert subjects(client.get(reverse("conversations:inbox"))) == ["Zichtbaar"]
    assert re.search(
        r"text-bg-danger\">1<", client.get(reverse("conversations:unread-badge")).content.decode()
    )


def test_flagged_conversations_have_their_own_tab(login, gp, nurse):
    flagged = start(gp, nurse, subject="Belangrijk")
    start(gp, nurse, subject="Gewoon")
    client = login(nurse)

    response = client.post(reverse("conversations:flag", args=[flagged.pk]), {"flagged": "1"})

    assert response["Location"] == detail_url(flagged)
    assert subjects(client.get(reverse("conversations:inbox"), {"tab": "flagged"})) == [
        "Belangrijk"
    ]
    inbox = client.get(reverse("conversations:inbox"))
    assert sorted(subjects(inbox)) == ["Belangrijk", "Gewoon"]
    [row] = [row for row in rows(inbox) if row.startswith("Belangrijk")]
    assert "gemarkeerd" in row
    gp_client = login(gp)
    assert subjects(gp_client.get(reverse("conversations:inbox"), {"tab": "flagged"})) == []


def test_a_flag_can_be_taken_off_from_the_conversation_page(login, gp, nurse):
    conversation = start(gp, nurse)
    client = login(nurse)
    client.post(reverse("conversations:flag", args=[conversation.pk]), {"flagged": "1"})

    page = client.get(detail_url(conversation)).content.decode()

    assert 'name="flagged" value="0"' in page


def test_closing_moves_a_conversation_to_the_archive_and_reopening_brings_it_back(login, gp, nurse):
    conversation = start(gp, nurse, subject="Afgerond")
    client = login(nurse)

    closed = client.post(reverse("conversations:close", args=[conversation.pk]), {"closed": "1"})

    page = text(client.get(closed["Location"]))
    assert "Het gesprek is gesloten en naar het archief verplaatst." in page
    assert "Dit gesprek is gesloten." in page
    assert subjects(client.get(reverse("conversations:inbox"))) == []
    assert subjects(client.get(reverse("conversations:inbox"), {"tab": "archive"})) == ["Afgerond"]
    # Closed for everyone, not just the one who closed it.
    assert subjects(login(gp).get(reverse("conversations:inbox"))) == []

    reopened = client.post(reverse("conversations:close", args=[conversation.pk]), {"closed": "0"})

    assert "Het gesprek is weer open." in text(client.get(reopened["Location"]))
    assert subjects(client.get(reverse("conversations:inbox"))) == ["Afgerond"]


def test_a_closed_conversation_refuses_a_new_message(login, gp, nurse):
    conversation = start(gp, nurse)
    login(gp).post(reverse("conversations:close", args=[conversation.pk]), {"closed": "1"})

    response = login(nurse).post(
        reverse("conversations:message-create", args=[conversation.pk]),
        message_form("Nog een vraag"),
    )

    assert response.status_code == 422
    assert "Dit gesprek is gesloten." in text(response)
    assert conversation.messages.count() == 1


def test_a_closed_conversation_says_why_with_htmx_and_keeps_the_text(login, gp, nurse):
    conversation = start(gp, nurse)
    login(gp).post(reverse("conversations:close", args=[conversation.pk]), {"closed": "1"})

    response = login(nurse).post(
        reverse("conversations:message-create", args=[conversation.pk]),
        message_form("Nog een vraag"),
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 422
    assert "Dit gesprek is gesloten. Open het opnieuw om te antwoorden." in text(response)
    assert "Nog een vraag" in text(response)


def test_a_closed_conversation_says_why_and_keeps_the_text_without_javascript(login, gp, nurse):
    conversation = start(gp, nurse)
    login(gp).post(reverse("conversations:close", args=[conversation.pk]), {"closed": "1"})

    response = login(nurse).post(
        reverse("conversations:message-create", args=[conversation.pk]),
        message_form("Nog een vraag"),
    )

    assert "Dit gesprek is gesloten. Open het opnieuw om te antwoorden." in text(response)
    assert "Nog een vraag" in text(response)


def test_search_finds_words_in_subjects_and_in_messages(login, gp, nurse):
    start(gp, nurse, subject="Insuline aanpassen", body="Glucose is hoog.")
    wound = start(gp, nurse, subject="Huisbezoek", body="Kijk je naar de wond?")
    send(nurse, wound, "De wonden zijn schoon.")
    start(gp, nurse, subject="Scholingsavond", body="Donderdag om acht uur.")
    client = login(nurse)

    def found(query):
        return sorted(subjects(client.get(reverse("conversations:inbox"), {"q": query})))

    assert found("insuline") == ["Insuline aanpassen"]  # subject, any case
    assert found("glucose") == ["Insuline aanpassen"]  # message text
    assert found("wond") == ["Huisbezoek"]
    assert found("donderdag acht") == ["Scholingsavond"]  # all words
    assert found("donderdag glucose") == []
    empty = client.get(reverse("conversations:inbox"), {"q": "zwangerschap"})
    assert "Niets gevonden voor ‘zwangerschap’." in text(empty)


@pytest.mark.parametrize(
    "query", ["!!!", "de", "'", '"wond', "-", "a:*", "wond & | !", "<script>alert(1)</script>"]
)
def test_odd_searches_answer_calmly_and_echo_nothing_unescaped(login, gp, nurse, query):
    start(gp, nurse, subject="Huisbezoek", body="Kijk je naar de wond?")

    response = login(nurse).get(reverse("conversations:inbox"), {"q": query})

    assert response.status_code == 200
    assert "<script>alert(1)" not in response.content.decode()


@pytest.mark.skipif(not ON_POSTGRESQL, reason="Dutch stemming is PostgreSQL full-text search")
def test_search_on_postgresql_finds_other_forms_of_a_dutch_word(login, gp, nurse):
    start(gp, nurse, subject="Huisbezoek", body="De wonden zijn schoon.")
    start(gp, nurse, subject="Verbanden bestellen", body="Graag nieuwe.")
    client = login(nurse)

    def found(query):
        return sorted(subjects(client.get(reverse("conversations:inbox"), {"q": query})))

    assert found("wond") == ["Huisbezoek"]  # 'wonden' and 'wond' share the stem
    assert found("verband") == ["Verbanden bestellen"]
    assert found("Wonden -schoon") == []  # '-' leaves a word out
    assert found("-schoon") == ["Verbanden bestellen"]


@pytest.mark.skipif(not ON_POSTGRESQL, reason="prefix search is PostgreSQL full-text search")
def test_search_on_postgresql_finds_a_word_by_its_beginning(login, gp, nurse):
    start(gp, nurse, subject="Wondzorg", body="Verband wisselen.")
    start(gp, nurse, subject="Medicatie", body="Metformine 500 mg.")
    client = login(nurse)

    def found(query):
        return sorted(subjects(client.get(reverse("conversations:inbox"), {"q": query})))

    assert found("wond") == ["Wondzorg"]
    assert found("metfor") == ["Medicatie"]
    assert found("wond verb") == ["Wondzorg"]  # every word must match
    assert found("wond metfor") == []
    # Query syntax typed by a user is just text: no error page, no match on everything.
    assert found("wond:* | !") == ["Wondzorg"]
    assert found("') & (") == ["Medicatie", "Wondzorg"]
    # Words full-text search ignores do not spoil a search.
    assert found("de wond") == ["Wondzorg"]


@pytest.mark.skipif(ON_POSTGRESQL, reason="the SQLite fallback searches substrings")
def test_search_on_sqlite_finds_parts_of_words(login, gp, nurse):
    start(gp, nurse, subject="Wondzorg", body="Verband wisselen.")
    client = login(nurse)

    assert subjects(client.get(reverse("conversations:inbox"), {"q": "wond"})) == ["Wondzorg"]


def test_filters_with_and_without_patient(login, gp, nurse, shared_patient):
    start(gp, nurse, subject="Over een patiënt", patient=shared_patient)
    start(gp, nurse, subject="Algemeen")
    client = login(nurse)

    def shown(patient):
        return subjects(client.get(reverse("conversations:inbox"), {"patient": patient}))

    assert shown("yes") == ["Over een patiënt"]
    assert shown("no") == ["Algemeen"]
    assert sorted(shown("")) == ["Algemeen", "Over een patiënt"]
    row = rows(client.get(reverse("conversations:inbox"), {"patient": "yes"}))[0]
    assert "Over Dijkstra, S." in row


def test_the_inbox_logs_each_patient_it_names(login, gp, nurse, shared_patient):
    """The inbox names the patient a conversation is about: a look at patient data, logged for
    that patient (NEN 7513) — the patient's "who looked" list shows it."""
    from network.models import AccessLogEntry

    start(gp, nurse, subject="Over een patiënt", patient=shared_patient)
    start(gp, nurse, subject="Algemeen")

    login(nurse).get(reverse("conversations:inbox"))

    [entry] = AccessLogEntry.objects.filter(user=nurse, object_ref="conversation_list:page=1")
    assert (entry.patient_id, entry.relationship) == (shared_patient.pk, "care_network")


def test_filter_on_one_patient_from_the_patient_page(login, gp, nurse, shared_patient, practice):
    from tests.factories import PatientFactory

    other = PatientFactory(practice=practice, is_visible=True, surname="Hoekstra")
    start(gp, nurse, subject="Over Sjoerd", patient=shared_patient)
    start(gp, nurse, subject="Over iemand anders", patient=other)
    start(gp, nurse, subject="Algemeen")
    client = login(gp)

    patient_page = client.get(reverse("network:patient-detail", args=[shared_patient.pk]))
    link = f"{reverse('conversations:inbox')}?patient_id={shared_patient.pk}"
    assertContains(patient_page, link.replace("&", "&amp;"))
    response = client.get(link)

    assert subjects(response) == ["Over Sjoerd"]
    assertContains(response, "Dijkstra, S.")


def test_filter_on_a_patient_one_may_not_see_shows_nothing(
    login, gp, nurse, outsider, shared_patient
):
    start(gp, nurse, subject="Over Sjoerd", patient=shared_patient)

    response = login(outsider).get(
        reverse("conversations:inbox"), {"patient_id": shared_patient.pk}
    )

    assert subjects(response) == []
    assertNotContains(response, "Dijkstra")


def test_filter_on_a_person(login, gp, nurse, physio):
    start(gp, nurse, subject="Met de wijkverpleging")
    start(gp, physio, subject="Met de fysiotherapeut")
    start(gp, nurse, physio, subject="Met allebei")
    client = login(gp)

    page = client.get(reverse("conversations:inbox"))
    options = re.findall(r'<option value="(\d+)"[^>]*>([^<]+)</option>', page.content.decode())
    assert {int(pk) for pk, _name in options} == {nurse.pk, physio.pk}

    chosen = client.get(reverse("conversations:inbox"), {"person": physio.pk})
    assert sorted(subjects(chosen)) == ["Met allebei", "Met de fysiotherapeut"]


def test_the_inbox_is_paginated_newest_first(login, gp, nurse):
    for n in range(30):
        start(gp, nurse, subject=f"Gesprek {n:02d}")
    client = login(nurse)

    first = client.get(reverse("conversations:inbox"))
    second = client.get(reverse("conversations:inbox"), {"page": 2})

    assert subjects(first) == [f"Gesprek {n:02d}" for n in range(29, 4, -1)]
    assert subjects(second) == [f"Gesprek {n:02d}" for n in range(4, -1, -1)]
    assert "Pagina 1 van 2" in text(first)
    assert "Pagina 2 van 2" in text(second)


def test_the_next_page_keeps_the_filter(login, gp, nurse, shared_patient):
    start(gp, nurse, subject="Over een patiënt", patient=shared_patient)  # the oldest
    for n in range(30):
        start(gp, nurse, subject=f"Algemeen {n:02d}")
    client = login(nurse)

    first = client.get(reverse("conversations:inbox"), {"patient": "no"}).content.decode()
    [next_link] = re.findall(r'href="(\?[^"]*page=2[^"]*)"', first)
    second = client.get(reverse("conversations:inbox") + next_link.replace("&amp;", "&"))

    assert subjects(second) == [f"Algemeen {n:02d}" for n in range(4, -1, -1)]


# --- consultations ---------------------------------------------------------------------------


def test_consultations_page_counts_per_state(login, gp, nurse, colleague, nursing_inbox):
    start(gp, inboxes=[nursing_inbox], kind="consultation", subject="Open vraag")
    start(gp, nurse, kind="consultation", subject="Opgepakte vraag")
    answered = start(gp, nurse, kind="consultation", subject="Beantwoorde vraag")
    send(nurse, answered, "Antwoord")
    start(gp, nurse, subject="Gewoon gesprek")

    page = login(gp).get(reverse("conversations:consultations"))

    assert "open: 1 opgepakt: 1 beantwoord: 1 gesloten: 0" in text(page)
    assert sorted(subjects(page)) == ["Beantwoorde vraag", "Open vraag", "Opgepakte vraag"]


def test_a_shared_inbox_member_picks_up_and_the_sender_sees_who_and_when(
    login, gp, nurse, colleague, nursing_inbox
):
    consultation = start(gp, inboxes=[nursing_inbox], kind="consultation", subject="Vraag")
    gp_page = text(login(gp).get(detail_url(consultation)))
    assert "open" in gp_page and "Opgepakt door" not in gp_page
    assert "Oppakken" not in gp_page  # the asker does not pick up their own question

    client = login(colleague)
    assert "Oppakken" in text(client.get(detail_url(consultation)))
    response = client.post(reverse("conversations:pick-up", args=[consultation.pk]))
    assert response["Location"] == detail_url(consultation)
    assert "Je hebt deze consultatie opgepakt." in text(client.get(detail_url(consultation)))

    consultation.refresh_from_db()
    when = timezone.localtime(consultation.picked_up_at).strftime("%d-%m-%Y %H:%M")
    gp_page = text(login(gp).get(detail_url(consultation)))
    assert f"Opgepakt door Hiltje de Vries op {when}" in gp_page
    listed = rows(login(gp).get(reverse("conversations:consultations")))
    assert "Vraag opgepakt · Hiltje de Vries" in listed[0]
    # The other member sees it is taken and gets no button.
    assert "Oppakken" not in text(login(nurse).get(detail_url(consultation)))


def test_answering_a_consultation_through_the_page_marks_it_answered(
    login, gp, nurse, colleague, nursing_inbox
):
    consultation = start(gp, inboxes=[nursing_inbox], kind="consultation")
    client = login(nurse)

    client.post(
        reverse("conversations:message-create", args=[consultation.pk]),
        message_form("Ik pak hem op en ga vandaag."),
    )

    consultation.refresh_from_db()
    assert consultation.state == Conversation.ConsultationState.ANSWERED
    assert consultation.picked_up_by == nurse
    assert "beantwoord" in text(login(gp).get(detail_url(consultation)))


def test_a_new_inbox_member_sees_the_history_and_a_removed_one_gets_a_404(
    login, gp, nurse, colleague, nursing_inbox, nursing
):
    conversation = start(gp, inboxes=[nursing_inbox], body="Eerste vraag")
    send(colleague, conversation, "Eerste antwoord")
    from tests.factories import MembershipFactory, UserFactory

    newcomer = UserFactory(email="nieuw@thuiszorg.nl", first_name="Nieuwe", last_name="Collega")
    MembershipFactory(user=newcomer, organisation=nursing)
    # The lead provider manages the inbox.
    lead = login(nurse)
    lead.post(
        reverse("conversations:inbox-member-change", args=[nursing_inbox.pk]),
        {"user": newcomer.pk, "action": "add"},
    )
    page = text(login(newcomer).get(detail_url(conversation)))
    assert "Eerste vraag" in page and "Eerste antwoord" in page

    colleague_client = login(colleague)
    assert colleague_client.get(detail_url(conversation)).status_code == 200
    lead = login(nurse)
    response = lead.post(
        reverse("conversations:inbox-member-change", args=[nursing_inbox.pk]),
        {"user": colleague.pk, "action": "remove"},
    )
    assert "Hiltje de Vries leest deze inbox niet meer." in text(lead.get(response["Location"]))

    # Her open session, without logging in again: gone at once.
    assert colleague_client.get(detail_url(conversation)).status_code == 404
    assert subjects(colleague_client.get(reverse("conversations:inbox"))) == []


# --- one conversation ----------------------------------------------------------------------


def test_html_in_a_message_is_shown_as_text_and_web_addresses_become_safe_links(login, gp, nurse):
    conversation = start(
        gp,
        nurse,
        subject="<img src=x onerror=alert(1)>",
        body="<script>alert('xss')</script>\nZie https://www.thuisarts.nl/wond?a=1&b=2 graag.",
    )

    html = login(nurse).get(detail_url(conversation)).content.decode()

    assert "<script>alert" not in html
    assert "&lt;script&gt;alert('xss')&lt;/script&gt;" in html
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    [link] = re.findall(r'<a href="https://www\.thuisarts\.nl[^>]*>[^<]*</a>', html)
    assert 'rel="noopener noreferrer nofollow"' in link
    assert ">https://www.thuisarts.nl/wond?a=1&amp;b=2</a>" in link
    assert "&lt;/script&gt;<br>Zie" in html  # the line break is kept


def test_a_javascript_address_does_not_become_a_link(login, gp, nurse):
    conversation = start(gp, nurse, body="Klik javascript:alert(1) of data:text/html,<b>x</b>")

    html = login(nurse).get(detail_url(conversation)).content.decode()

    assert 'href="javascript' not in html
    assert 'href="data' not in html


def test_an_empty_message_gets_a_dutch_error_and_nothing_is_stored(login, gp, nurse):
    conversation = start(gp, nurse)
    client = login(nurse)

    response = client.post(
        reverse("conversations:message-create", args=[conversation.pk]), message_form("  \n ")
    )

    assert response.status_code == 422
    assert "Schrijf een bericht." in text(response)
    assert conversation.messages.count() == 1


def test_a_100_kb_message_gets_a_dutch_error_and_nothing_is_stored(login, gp, nurse):
    conversation = start(gp, nurse)
    client = login(nurse)

    response = client.post(
        reverse("conversations:message-create", args=[conversation.pk]),
        message_form("a" * 100_000),
    )

    assert response.status_code == 422
    assert "Een bericht mag maximaal 10000 tekens hebben (dit bericht heeft er 100000)." in text(
        response
    )
    assert conversation.messages.count() == 1
    # The text is given back, so nothing typed is lost.
    assert "a" * 100_000 in response.content.decode()


def test_a_message_sent_with_htmx_comes_back_as_a_fragment_with_a_fresh_key(login, gp, nurse):
    conversation = start(gp, nurse)
    client = login(nurse)
    key = uuid.uuid4()

    response = client.post(
        reverse("conversations:message-create", args=[conversation.pk]),
        message_form("Live verstuurd", key=key),
        HTTP_HX_REQUEST="true",
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    message = conversation.messages.get(body="Live verstuurd")
    assert f'id="message-{message.pk}"' in html
    assert 'hx-swap-oob="beforeend:#messages-list"' in html
    assert str(key) not in html  # the composer has a new key for the next message


def test_resending_the_message_form_stores_one_message(login, gp, nurse):
    conversation = start(gp, nurse)
    client = login(nurse)
    form = message_form("Dubbel geklikt")
    url = reverse("conversations:message-create", args=[conversation.pk])

    first, second = client.post(url, form), client.post(url, form)

    message = conversation.messages.get(body="Dubbel geklikt")
    assert (
        first["Location"]
        == second["Location"]
        == f"{detail_url(conversation)}#message-{message.pk}"
    )


def test_writing_to_an_absent_colleague_shows_the_absence_warning(login, gp, nurse):
    until = timezone.localdate() + datetime.timedelta(days=3)
    AbsenceFactory(user=nurse, end=until, message="Bel de collega's van Team Noord")
    client = login(gp)
    warning = f"Nynke Wiersma is afwezig tot {until:%d-%m-%Y} — overweeg de gezamenlijke inbox."

    form = client.get(reverse("conversations:create"), {"people": membership_of(nurse).pk})

    assert warning in text(form)
    conversation = start(gp, nurse)
    page = text(client.get(detail_url(conversation)))
    assert warning in page
    assert "“Bel de collega's van Team Noord”" in page


def test_writing_to_a_colleague_on_her_day_off_shows_a_warning(login, gp, nurse):
    today = timezone.localdate().isoweekday()
    nurse.working_days = [day for day in range(1, 8) if day != today]
    nurse.save(update_fields=["working_days"])

    form = login(gp).get(reverse("conversations:create"), {"people": membership_of(nurse).pk})

    assert (
        "Volgens het rooster werkt Nynke Wiersma vandaag niet — overweeg de gezamenlijke inbox."
    ) in text(form)


def test_no_absence_warning_for_someone_who_is_at_work(login, gp, nurse):
    AbsenceFactory(
        user=nurse,
        start=timezone.localdate() + datetime.timedelta(days=7),
        end=timezone.localdate() + datetime.timedelta(days=9),
    )

    form = login(gp).get(reverse("conversations:create"), {"people": membership_of(nurse).pk})

    assert "overweeg de gezamenlijke inbox" not in text(form)


def plain(html: str) -> str:
    return html_module.unescape(" ".join(re.sub(r"<[^>]+>", " ", html).split()))


def bubbles(response) -> list[dict]:
    """The thread as a reader sees it: day separators and messages, in order, as text."""
    html = response.content.decode().split('id="messages-list"', 1)[1].split("</section>", 1)[0]
    found = []
    for day, classes, author, inner in re.findall(
        r'<h2 class="message-day">(.*?)</h2>'
        r'|<article class="([^"]*)" id="message-\d+" data-message-id="\d+" data-author="(\d+)"'
        r"[^>]*>(.*?)</article>",
        html,
        flags=re.S,
    ):
        if day:
            found.append({"day": html_module.unescape(day)})
            continue
        read = re.findall(r'<p class="message-read small">(.*?)</p>', inner, flags=re.S)
        body = re.search(r'<div class="message-body">(.*?)</div>', inner, flags=re.S)
        found.append(
            {
                "mine": "message-mine" in classes.split(),
                "author": int(author),
                "sender": plain(
                    # the initials avatar is decoration (aria-hidden): read the name
                    re.sub(
                        r'<span class="avatar[^"]*" aria-hidden="true">.*?</span>',
                        "",
                        re.search(r'"message-sender small">(.*?)</header>', inner)[1],
                    )
                ),
                "body": html_module.unescape(body.group(1)) if body else "",
                "read": plain(read[0]) if read else "",
            }
        )
    return found


def test_own_messages_are_marked_as_own_and_others_show_sender_and_organisation(login, gp, nurse):
    conversation = start(gp, nurse, body="Wil je kijken?")
    send(nurse, conversation, "Ik ga morgen.")
    practice = membership_of(gp).organisation.name
    nursing = membership_of(nurse).organisation.name

    thread = [b for b in bubbles(login(nurse).get(detail_url(conversation))) if "day" not in b]

    assert [(b["mine"], b["author"]) for b in thread] == [(False, gp.pk), (True, nurse.pk)]
    assert thread[0]["sender"] == f"Gerrit Postma · {practice}"
    assert thread[1]["sender"] == f"Nynke Wiersma · {nursing}"  # kept for screen readers
    html = login(nurse).get(detail_url(conversation)).content.decode()
    assert f'data-me="{nurse.pk}"' in html


def test_the_htmx_answer_marks_the_message_as_own_and_the_pushed_copy_does_not_decide(
    login, gp, nurse
):
    from conversations.realtime import render_message

    conversation = start(gp, nurse)
    response = login(nurse).post(
        reverse("conversations:message-create", args=[conversation.pk]),
        message_form("Via htmx"),
        HTTP_HX_REQUEST="true",
    )

    message = conversation.messages.get(body="Via htmx")
    assert re.search(rf'class="message message-mine" id="message-{message.pk}"', response.text)
    pushed = render_message(message)
    assert pushed.startswith('<article class="message" ')
    assert f'data-author="{nurse.pk}"' in pushed
    assert f'data-day="{timezone.localdate():%Y-%m-%d}" data-day-label="Vandaag"' in pushed


def test_a_thread_over_several_days_has_a_separator_per_day(login, gp, nurse):
    conversation = start(gp, nurse, body="Eerste")
    second = send(nurse, conversation, "Tweede")
    third = send(gp, conversation, "Derde")
    send(nurse, conversation, "Vierde")
    now = timezone.localtime()
    long_ago = now - datetime.timedelta(days=9)
    Message.objects.filter(conversation=conversation, pk__lte=second.pk).update(created_at=long_ago)
    Message.objects.filter(pk=third.pk).update(created_at=now - datetime.timedelta(days=1))
    with translation.override("nl"):
        old_day = date_filter(long_ago, "D j N" if long_ago.year == now.year else "D j N Y")

    thread = bubbles(login(nurse).get(detail_url(conversation)))

    shown = [b.get("day") or b["body"] for b in thread]
    assert shown == [old_day, "Eerste", "Tweede", "Gisteren", "Derde", "Vandaag", "Vierde"]
    assert re.fullmatch(r"[a-z]{2} \d{1,2} [a-z]{3}( \d{4})?", old_day)


def test_read_by_names_who_read_under_the_last_message_they_read(login, gp, nurse, physio):
    conversation = start(gp, nurse, physio, subject="Overleg", body="Eerste")
    login(physio).get(detail_url(conversation))  # Foppe reads the first message
    send(gp, conversation, "Tweede")
    login(nurse).get(detail_url(conversation))  # Nynke reads both

    thread = [b for b in bubbles(login(gp).get(detail_url(conversation))) if "day" not in b]

    assert [b["read"] for b in thread] == [
        "gelezen door Foppe Hiemstra",
        "gelezen door Nynke Wiersma",
    ]


def test_read_by_leaves_out_the_reader_and_who_has_not_read(login, gp, nurse, physio):
    conversation = start(gp, nurse, physio, subject="Overleg", body="Eerste")
    send(nurse, conversation, "Antwoord van Nynke")

    thread = [b for b in bubbles(login(nurse).get(detail_url(conversation))) if "day" not in b]

    # The GP read his own first message (he wrote it); Foppe read nothing; Nynke is the reader.
    assert [b["read"] for b in thread] == ["", ""]
    assert "gelezen door" not in text(login(nurse).get(detail_url(conversation)))


def test_a_long_conversation_shows_the_latest_messages_and_links_to_older_ones(login, gp, nurse):
    conversation = start(gp, nurse, body="Bericht 00")
    for n in range(1, 60):
        send(gp, conversation, f"Bericht {n:02d}")
    client = login(nurse)

    page = client.get(detail_url(conversation))

    shown = re.findall(r"Bericht \d\d", thread(page))
    assert shown == [f"Bericht {n:02d}" for n in range(10, 60)]
    [older] = re.findall(r'href="(\?voor=\d+)"', page.content.decode())
    earlier = client.get(detail_url(conversation) + older)
    assert re.findall(r"Bericht \d\d", thread(earlier)) == [f"Bericht {n:02d}" for n in range(10)]


def test_the_oldest_messages_have_no_link_to_even_older_ones(login, gp, nurse):
    Message.objects.create(  # another conversation's message, so ids do not start at 1
        conversation=start(gp, nurse, subject="Ander gesprek"),
        author=gp,
        author_organisation=membership_of(gp).organisation,
        body="ander",
    )
    conversation = start(gp, nurse, body="Bericht 00")
    for n in range(1, 60):
        send(gp, conversation, f"Bericht {n:02d}")
    client = login(nurse)
    [older] = re.findall(
        r'href="(\?voor=\d+)"', client.get(detail_url(conversation)).content.decode()
    )

    earlier = client.get(detail_url(conversation) + older)

    assert re.findall(r"Bericht \d\d", thread(earlier))[0] == "Bericht 00"
    assert re.findall(r'href="(\?voor=\d+)"', earlier.content.decode()) == []


def test_opening_a_conversation_about_a_patient_is_logged(login, gp, nurse, shared_patient):
    conversation = start(gp, nurse, patient=shared_patient)

    login(nurse).get(detail_url(conversation))

    opened, listed = AccessLogEntry.objects.order_by("-id")[:2][::-1]
    assert opened.user == nurse
    assert opened.patient == shared_patient
    assert opened.object_ref == f"conversation:{conversation.pk}"
    assert opened.relationship == "care_network"
    # The inbox list beside it names the patient too: in the same write, as the inbox logs it.
    assert (listed.user, listed.patient) == (nurse, shared_patient)
    assert listed.object_ref == "conversation_list:page=1"
    assert listed.at == opened.at


def test_access_request_granted_by_the_practice_makes_the_patient_visible(
    login, gp, physio, patient
):
    """'Toegang aanvragen': the physio asks De Linde, the GP finds the patient and grants."""
    client = login(physio)
    client.post(
        reverse("conversations:create"),
        create_form(
            people=[membership_of(gp)],
            subject="Toegang aanvragen",
            body="Mevrouw Van der Meer, 14-03-1941, komt bij mij voor haar knie.",
            access_request="on",
        ),
    )
    conversation = Conversation.objects.get()
    assert conversation.access_request_practice_id == patient.practice_id
    gp_client = login(gp)
    found = gp_client.get(detail_url(conversation), {"patient_q": "Meer"})
    assert "Meer, G. van der" in text(found)

    gp_client.post(
        reverse("conversations:access-grant", args=[conversation.pk]), {"patient": patient.pk}
    )

    patient.refresh_from_db()
    assert patient.is_visible
    assert CareNetworkMember.objects.current().filter(patient=patient, user=physio).exists()
    client = login(physio)
    assert client.get(reverse("network:patient-detail", args=[patient.pk])).status_code == 200
    assert "Toegang verleend" in text(client.get(detail_url(conversation)))


# --- who gets a 404 ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["outsider", "physio"])
def test_someone_not_in_the_conversation_gets_404_everywhere(
    request, login, gp, nurse, shared_patient, who
):
    conversation = start(gp, nurse, patient=shared_patient)
    client = login(request.getfixturevalue(who))

    assert client.get(detail_url(conversation)).status_code == 404
    response = client.post(
        reverse("conversations:message-create", args=[conversation.pk]), message_form()
    )
    assert response.status_code == 404
    assert conversation.messages.count() == 1
    for name in ("flag", "close", "pick-up"):
        assert (
            client.post(reverse(f"conversations:{name}", args=[conversation.pk])).status_code == 404
        )
    assert not ReadState.objects.filter(user__email=request.getfixturevalue(who).email).exists()
    assert subjects(client.get(reverse("conversations:inbox"))) == []


def test_a_participant_gets_404_when_the_patient_is_not_visible(login, gp, nurse, patient):
    """In the care network, in the conversation: still not while the practice hides the patient."""
    CareNetworkMemberFactory(patient=patient, user=nurse)
    conversation = start(gp, nurse, patient=patient)
    assert Participant.objects.filter(conversation=conversation, user=nurse).exists()

    client = login(nurse)

    assert client.get(detail_url(conversation)).status_code == 404
    assert (
        client.post(
            reverse("conversations:message-create", args=[conversation.pk]), message_form()
        ).status_code
        == 404
    )


def test_a_patient_conversation_needs_a_second_factor(client, gp, nurse, shared_patient):
    from tests.factories import PASSWORD

    conversation = start(gp, nurse, patient=shared_patient, body="Geheime inhoud")
    client.post(reverse("account_login"), {"login": nurse.email, "password": PASSWORD})

    response = client.get(detail_url(conversation))

    assert response.status_code == 302
    assert "Geheime inhoud" not in response.content.decode()


def test_another_practices_patient_cannot_be_chosen_for_a_conversation(
    login, outsider, nurse, shared_patient
):
    response = login(outsider).get(reverse("conversations:create"), {"patient": shared_patient.pk})

    assert response.status_code == 404
    assertNotContains(response, "Dijkstra", status_code=404)


def test_a_made_up_conversation_is_a_404(login, gp):
    assert login(gp).get(reverse("conversations:detail", args=[987654])).status_code == 404

"""A questionnaire sent to a patient: the nurse sends it, the patient opens the link without an
account, confirms their date of birth, saves halfway and comes back, submits once, and the care
network reads the score. Expired, withdrawn, blocked and unknown links say so in Dutch and show
nothing; a wrong date of birth is counted and locks the link; a link never opens another
patient's questionnaire; everything the patient does is in the access log as the patient."""

from __future__ import annotations

import datetime
import hashlib
import re
import uuid

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core import sms
from network.models import AccessLogEntry, CareNetworkMember
from questionnaires.link_services import patient_link_sweep
from questionnaires.models import PatientLink, PatientLinkToken, Response
from tests.questionnaires.test_library_views import PHQ_NINE

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://[^\s\"<]+/vragenlijst/([A-Za-z0-9_-]+)/")


def send_url(patient):
    return reverse("questionnaires:link-send", args=[patient.pk])


def send_form(questionnaire, **extra):
    due = timezone.localdate() + datetime.timedelta(days=7)
    return {
        "questionnaire": questionnaire.pk,
        "channel": "email",
        "email": "s.dijkstra@example.nl",
        "phone": "",
        "due_date": due.isoformat(),
        "client_key": str(uuid.uuid4()),
    } | extra


def sent_token(message_text: str) -> str:
    return LINK.search(message_text).group(1)


@pytest.fixture
def sent(login, nurse, shared_patient, library, committing):
    """The district nurse sent the PHQ-9 to Sjoerd Dijkstra by e-mail; (link, token)."""
    client = login(nurse)
    with committing():
        response = client.post(send_url(shared_patient), send_form(library["phq-9"]))
    assert response.status_code == 302
    link = PatientLink.objects.get()
    return link, sent_token(mail.outbox[-1].body)


def link_url(token):
    return reverse("questionnaires:patient-link", args=[token])


def confirmed(token, birth_date=datetime.date(1956, 8, 2), client=None):
    """A browser of the patient that has entered the date of birth."""
    client = client or Client()
    response = client.post(
        link_url(token),
        {
            "step": "birth-date",
            "day": birth_date.day,
            "month": birth_date.month,
            "year": birth_date.year,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return client


# --- sending -----------------------------------------------------------------------------------


def test_nurse_sends_a_questionnaire_the_message_names_no_questionnaire_and_the_token_is_hashed(
    sent, nurse, shared_patient
):
    link, token = sent
    message = mail.outbox[-1]
    assert message.to == ["s.dijkstra@example.nl"]
    assert "Thuiszorg" in message.subject or "vragenlijst" in message.subject.lower()
    body = message.body + message.alternatives[0][0]
    assert "PHQ" not in body and "depress" not in body.lower()
    assert "Sjoerd" not in body and "Dijkstra" not in body
    stored = PatientLinkToken.objects.get(link=link)
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(list(PatientLink.objects.values()))
    assert (link.patient, link.sent_by, link.channel) == (shared_patient, nurse, "email")
    entry = AccessLogEntry.objects.filter(user=nurse, action="create").latest("id")
    assert entry.object_ref == f"questionnaire-link:{link.pk}"


def test_the_send_form_sent_twice_sends_once(login, nurse, shared_patient, library, committing):
    client = login(nurse)
    form = send_form(library["phq-9"])
    with committing():
        client.post(send_url(shared_patient), form)
        client.post(send_url(shared_patient), form)
    assert PatientLink.objects.count() == 1
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("change", "field_error"),
    [
        ({"email": ""}, "Vul het e-mailadres in"),
        ({"email": "geen-adres"}, "e-mailadres"),
        ({"channel": "sms", "phone": ""}, "Vul het mobiele nummer in"),
        ({"channel": "sms", "phone": "058-1234567"}, "mobiel nummer"),
        ({"due_date": "2020-01-01"}, "vandaag of een latere datum"),
    ],
)
def test_a_bad_send_form_says_why_in_dutch_and_sends_nothing(
    login, nurse, shared_patient, library, committing, change, field_error
):
    client = login(nurse)
    with committing():
        response = client.post(send_url(shared_patient), send_form(library["phq-9"], **change))
    assert response.status_code == 422
    assert field_error in response.content.decode()
    assert not PatientLink.objects.exists() and not mail.outbox


def test_sent_by_text_message_through_the_sms_backend(
    login, nurse, shared_patient, library, committing, settings
):
    settings.SMS_BACKEND = "core.sms.LocmemSmsBackend"
    sms.outbox.clear()
    client = login(nurse)
    with committing():
        client.post(
            send_url(shared_patient),
            send_form(library["gad-7"], channel="sms", phone="06 12345678", email=""),
        )
    assert [m.to for m in sms.outbox] == ["+31612345678"]
    token = sent_token(sms.outbox[0].body)
    assert "GAD" not in sms.outbox[0].body
    assert confirmed(token).get(link_url(token)).status_code == 200
    assert not mail.outbox


def test_who_may_not_see_the_patient_cannot_send_or_withdraw(
    login, outsider, shared_patient, library, sent
):
    link, _token = sent
    client = login(outsider)
    assert client.get(send_url(shared_patient)).status_code == 404
    assert client.post(send_url(shared_patient), send_form(library["phq-9"])).status_code == 404
    revoke = reverse("questionnaires:link-revoke", args=[shared_patient.pk, link.pk])
    assert client.post(revoke).status_code == 404
    link.refresh_from_db()
    assert link.ended_at is None and PatientLink.objects.count() == 1


# --- the patient ---------------------------------------------------------------------------------


def test_the_patient_confirms_the_date_of_birth_before_anything_is_shown(sent):
    link, token = sent
    page = Client().get(link_url(token))
    text = page.content.decode()
    assert page.status_code == 200 and "geboortedatum" in text
    assert "PHQ" not in text and "Dijkstra" not in text and "Sjoerd" not in text
    client = confirmed(token)
    questions = client.get(link_url(token)).content.decode()
    assert "PHQ-9" in questions and "Weinig interesse of plezier" in questions
    entry = AccessLogEntry.objects.filter(patient=link.patient, action="read").latest("id")
    assert (entry.user_id, entry.relationship, entry.outcome) == (None, "patient_self", "allowed")
    assert entry.user_label == link.patient.name
    assert entry.responsible_user_id == link.sent_by_id
    assert entry.organisation_id == link.organisation_id


def test_a_wrong_date_of_birth_is_refused_counted_logged_and_locks_then_blocks(sent, settings):
    link, token = sent
    client = Client()
    wrong = {"step": "birth-date", "day": "2", "month": "8", "year": "1957"}
    first = client.post(link_url(token), wrong)
    assert first.status_code == 422
    assert "Deze geboortedatum klopt niet" in first.content.decode()
    assert AccessLogEntry.objects.filter(
        patient=link.patient, outcome="denied", relationship="patient_self"
    ).exists()
    for _n in range(settings.PATIENT_LINK_TRIES_BEFORE_LOCK - 1):
        last = client.post(link_url(token), wrong)
    assert last.status_code == 429 and "te vaak" in last.content.decode()
    # Locked: even the right date waits.
    right = {"step": "birth-date", "day": "2", "month": "8", "year": "1956"}
    assert client.post(link_url(token), right).status_code == 429
    link.refresh_from_db()
    assert link.birth_date_failures == settings.PATIENT_LINK_TRIES_BEFORE_LOCK
    # After the lock, more wrong tries end the link for good.
    PatientLink.objects.filter(pk=link.pk).update(locked_until=None)
    for _n in range(settings.PATIENT_LINK_TRIES_MAX - settings.PATIENT_LINK_TRIES_BEFORE_LOCK):
        PatientLink.objects.filter(pk=link.pk).update(locked_until=None)
        last = client.post(link_url(token), wrong)
    assert last.status_code == 410 and "geblokkeerd" in last.content.decode()
    link.refresh_from_db()
    assert (link.end_reason, link.email) == ("blocked", "")
    assert client.post(link_url(token), right).status_code == 410


def test_an_impossible_date_gets_a_dutch_message_and_is_not_counted(sent):
    link, token = sent
    response = Client().post(
        link_url(token), {"step": "birth-date", "day": "31", "month": "2", "year": "1956"}
    )
    assert response.status_code == 422 and "bestaat niet" in response.content.decode()
    link.refresh_from_db()
    assert link.birth_date_failures == 0


def test_save_and_come_back_later_keeps_the_answers(sent):
    link, token = sent
    client = confirmed(token)
    saved = client.post(
        link_url(token),
        {"q-1": "LA6570-1", "q-2": "LA6569-3", "action": "save", "client_key": str(uuid.uuid4())},
    )
    assert saved.status_code == 200 and "bewaard" in saved.content.decode()
    assert not Response.objects.exists()
    # Later, on another phone: the date of birth again, then the answers are still there.
    later = confirmed(token).get(link_url(token)).content.decode()
    assert re.search(r'value="LA6570-1"\s+checked', later)
    assert AccessLogEntry.objects.filter(patient=link.patient, action="update").exists()


def test_submitting_stores_one_response_ends_the_link_and_the_gp_sees_the_score(
    sent, login, gp, shared_patient, committing
):
    link, token = sent
    client = confirmed(token)
    answers = PHQ_NINE | {"q-10": "LA6573-5", "action": "submit", "client_key": str(uuid.uuid4())}
    with committing():
        first = client.post(link_url(token), answers)
    assert first.status_code == 302
    thanks = client.get(link_url(token))
    assert thanks.status_code == 200 and "Dank u wel" in thanks.content.decode()
    # The same form sent again (a flaky connection): still one response.
    again = client.post(link_url(token), answers)
    assert again.status_code == 302 and Response.objects.count() == 1
    stored = Response.objects.get()
    assert (stored.source, stored.author, stored.score) == ("patient_link", None, 9)
    link.refresh_from_db()
    assert (link.end_reason, link.email, link.draft, link.response) == (
        "submitted",
        "",
        {},
        stored,
    )
    entry = AccessLogEntry.objects.filter(patient=link.patient, action="create").latest("id")
    assert (entry.relationship, entry.object_ref) == (
        "patient_self",
        f"questionnaire-response:{stored.pk}",
    )
    # The nurse who sent it hears that it came back (no patient named in the e-mail).
    notice = mail.outbox[-1]
    assert notice.to == [link.sent_by.email] and "Dijkstra" not in notice.body
    page = login(gp).get(reverse("questionnaires:results", args=[shared_patient.pk]))
    text = page.content.decode()
    assert "Lichte depressieve klachten" in text and "ingevuld door de patiënt" in text


def test_a_submit_with_a_missing_answer_says_which_and_keeps_the_rest(sent):
    link, token = sent
    client = confirmed(token)
    response = client.post(
        link_url(token),
        {"q-1": "LA6570-1", "action": "submit", "client_key": str(uuid.uuid4())},
    )
    assert response.status_code == 422
    text = response.content.decode()
    assert "vragen een antwoord nodig" in text and "Beantwoord deze vraag" in text
    assert not Response.objects.exists()
    link.refresh_from_db()
    assert link.draft == {"q-1": "LA6570-1"} or link.draft.get("1") == "LA6570-1"


@pytest.mark.parametrize(
    ("ending", "status", "words"),
    [
        ("expired", 410, "verlopen"),
        ("revoked", 410, "werkt niet meer"),
    ],
)
def test_an_ended_link_says_so_in_dutch_and_shows_nothing(
    sent, login, nurse, shared_patient, ending, status, words
):
    link, token = sent
    client = confirmed(token)
    if ending == "expired":
        PatientLink.objects.filter(pk=link.pk).update(
            expires_at=timezone.now() - datetime.timedelta(minutes=1)
        )
    else:
        login(nurse).post(reverse("questionnaires:link-revoke", args=[shared_patient.pk, link.pk]))
    response = client.get(link_url(token))
    text = response.content.decode()
    assert response.status_code == status and words in text
    assert "PHQ" not in text and "Dijkstra" not in text
    posted = client.post(link_url(token), PHQ_NINE | {"client_key": str(uuid.uuid4())})
    assert posted.status_code == status and not Response.objects.exists()


def test_an_unknown_token_gets_the_same_plain_404():
    response = Client().get(link_url("x" * 32))
    assert response.status_code == 404 and "Deze link werkt niet" in response.content.decode()


def test_one_link_never_opens_another_patients_questionnaire(
    sent, login, nurse, patient, practice, library, committing
):
    """Geertje's link with Sjoerd's confirmed cookie, or Sjoerd's date of birth on Geertje's
    link: the date of birth is asked again, and refused."""
    _sjoerd_link, sjoerd_token = sent

    CareNetworkMember.objects.create(
        patient=patient, user=nurse, organisation=nurse.memberships.get().organisation
    )
    patient.is_visible = True
    patient.save()
    with committing():
        login(nurse).post(send_url(patient), send_form(library["phq-9"]))
    geertje_token = sent_token(mail.outbox[-1].body)
    client = confirmed(sjoerd_token)
    # Sjoerd's browser opens Geertje's link: the date of birth first.
    page = client.get(link_url(geertje_token)).content.decode()
    assert "geboortedatum" in page and "PHQ-9" not in page
    # Sjoerd's cookie value copied onto Geertje's address opens nothing either.
    cookie = client.cookies["rz_vragenlijst"].value
    other = Client()
    other.cookies["rz_vragenlijst"] = cookie
    other.cookies["rz_vragenlijst"]["path"] = link_url(geertje_token)
    assert "PHQ-9" not in other.get(link_url(geertje_token)).content.decode()
    # Sjoerd's date of birth on Geertje's link is wrong.
    response = Client().post(
        link_url(geertje_token), {"step": "birth-date", "day": "2", "month": "8", "year": "1956"}
    )
    assert response.status_code == 422
    assert PatientLink.objects.get(patient=patient).birth_date_failures == 1


def test_the_patient_page_loads_nothing_from_elsewhere_and_has_a_strict_csp(sent):
    _link, token = sent
    client = Client()
    for response in (
        client.get(link_url(token)),
        confirmed(token, client=client).get(link_url(token)),
    ):
        csp = response["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src 'none'" in csp
        assert "connect-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert response["Referrer-Policy"] == "same-origin"
        assert "no-store" in response["Cache-Control"]
        html = response.content.decode()
        assert "<script" not in html
        assert not re.search(r'(src|href)="(https?:)?//', html)
        cookie = response.cookies.get("rz_vragenlijst")
        if cookie is not None and cookie.value:
            assert cookie["httponly"] and cookie["samesite"] == "Strict"
            assert cookie["path"] == link_url(token)


# --- reminders and expiry ------------------------------------------------------------------------


def test_one_reminder_before_the_due_date_with_a_link_of_its_own(sent, committing):
    link, first_token = sent
    now = timezone.now()
    PatientLink.objects.filter(pk=link.pk).update(
        created_at=now - datetime.timedelta(days=6),
        due_date=timezone.localdate() + datetime.timedelta(days=1),
    )
    mail.outbox.clear()
    with committing():
        assert patient_link_sweep()["reminded"] == 1
        assert patient_link_sweep()["reminded"] == 0
    assert len(mail.outbox) == 1 and "Herinnering" in mail.outbox[0].subject
    second_token = sent_token(mail.outbox[0].body)
    assert second_token != first_token
    for token in (first_token, second_token):
        assert "PHQ-9" in confirmed(token).get(link_url(token)).content.decode()


def test_no_reminder_for_a_link_sent_less_than_a_day_ago(sent, committing):
    link, _token = sent
    PatientLink.objects.filter(pk=link.pk).update(due_date=timezone.localdate())
    mail.outbox.clear()
    with committing():
        assert patient_link_sweep()["reminded"] == 0  # sent less than a day ago
    assert not mail.outbox


def test_the_sweep_ends_expired_links_and_forgets_the_address(sent):
    link, _token = sent
    PatientLink.objects.filter(pk=link.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1), draft={"1": "x"}
    )
    assert patient_link_sweep()["expired"] == 1
    assert patient_link_sweep()["expired"] == 0
    link.refresh_from_db()
    assert (link.end_reason, link.email, link.draft) == ("expired", "", {})


def test_a_care_providers_signed_in_browser_is_told_to_log_out_and_changes_nothing(sent, login, gp):
    """What a professional did on the patient's page would be logged as the patient: their own
    browser gets "log out first", for every step, and nothing is counted or stored."""
    link, token = sent
    client = login(gp)
    page = client.get(link_url(token))
    text = page.content.decode()
    assert page.status_code == 200 and "Log eerst uit" in text
    assert "geboortedatum" not in text.lower() and "Dijkstra" not in text
    wrong = {"step": "birth-date", "day": "1", "month": "1", "year": "1950"}
    client.post(link_url(token), wrong)
    client.post(link_url(token), PHQ_NINE | {"client_key": str(uuid.uuid4())})
    link.refresh_from_db()
    assert (link.birth_date_failures, link.opened_at, link.draft) == (0, None, {})
    assert not Response.objects.exists()
    assert not AccessLogEntry.objects.filter(relationship="patient_self").exists()

"""Review findings on the patient's questionnaire link: the birth-date form sent again by a
browser that is already confirmed, the send form's error page in the access log, and two sends
of the same form at once."""

from __future__ import annotations

import re
import uuid
from unittest import mock

import pytest
from django.core import mail

from network.models import AccessLogEntry
from questionnaires.models import PatientLink
from tests.questionnaires.test_patient_link import (  # noqa: F401
    confirmed,
    link_url,
    send_form,
    send_url,
    sent,
)

pytestmark = pytest.mark.django_db


def test_the_birth_date_form_sent_again_keeps_the_saved_answers(sent):  # noqa: F811
    """A second tab, or Back and *Continue* again: the browser is confirmed already. The saved
    answers stay, and no "questions still need an answer" error is shown."""
    link, token = sent
    client = confirmed(token)
    client.post(
        link_url(token),
        {"q-1": "LA6570-1", "q-2": "LA6569-3", "action": "save", "client_key": str(uuid.uuid4())},
    )
    link.refresh_from_db()
    saved = dict(link.draft)
    assert saved
    again = client.post(
        link_url(token), {"step": "birth-date", "day": "2", "month": "8", "year": "1956"}
    )
    assert again.status_code in (200, 302)
    assert "nodig" not in again.content.decode()
    link.refresh_from_db()
    assert link.draft == saved


def test_the_send_forms_error_page_is_in_the_access_log(
    login, nurse, shared_patient, library, committing
):
    """The 422 page shows the patient (the patient's header) like the form itself: logged."""
    client = login(nurse)
    before = AccessLogEntry.objects.filter(user=nurse, patient=shared_patient).count()
    response = client.post(send_url(shared_patient), send_form(library["phq-9"], email=""))
    assert response.status_code == 422
    assert shared_patient.formal_name in response.content.decode()
    assert AccessLogEntry.objects.filter(user=nurse, patient=shared_patient).count() > before


def test_two_sends_of_the_same_form_at_once_send_one_without_an_error(
    login, nurse, shared_patient, library, committing
):
    """The second of a double click gets past the "sent already?" look before the first has
    committed; the unique ``client_key`` refuses its row. It answers as the form sent twice."""
    client = login(nurse)
    form = send_form(library["phq-9"])
    with committing():
        assert client.post(send_url(shared_patient), form).status_code == 302
    real_filter = PatientLink.objects.filter
    looks = []

    def racing_filter(*args, **kwargs):  # the first look sees nothing, as in the race
        if "client_key" in kwargs and not looks:
            looks.append(kwargs)
            return PatientLink.objects.none()
        return real_filter(*args, **kwargs)

    client.raise_request_exception = False
    with committing(), mock.patch.object(PatientLink.objects, "filter", racing_filter):
        second = client.post(send_url(shared_patient), form)
    assert second.status_code == 302
    assert PatientLink.objects.count() == 1 and len(mail.outbox) == 1


def test_answers_sent_after_the_confirmation_ran_out_are_kept_after_the_date_of_birth(sent):  # noqa: F811
    """The patient took longer than ``PATIENT_LINK_SESSION_MINUTES`` (the phone rang) and then
    pressed *Send*: the date of birth is asked again, with a Dutch word why, and the answers
    they gave are not lost: after the date of birth they are there, not yet sent."""
    link, token = sent
    client = confirmed(token)
    client.cookies.clear()  # the browser dropped the confirmation: it ran out
    answers = {"q-1": "LA6570-1", "q-2": "LA6569-3", "action": "submit"}
    again = client.post(link_url(token), answers | {"client_key": str(uuid.uuid4())})
    text = again.content.decode()
    assert "geboortedatum" in text and "nog niet verstuurd" in text
    assert 'value="LA6570-1"' in text  # carried in the form, to this browser only
    link.refresh_from_db()
    assert link.draft == {}  # nothing stored before the date of birth
    back = client.post(
        link_url(token),
        {"step": "birth-date", "day": "2", "month": "8", "year": "1956", **answers},
    )
    assert back.status_code == 302
    link.refresh_from_db()
    assert link.draft.get("1") == "LA6570-1" and link.response is None
    page = client.get(link_url(token)).content.decode()
    assert re.search(r'value="LA6570-1"\s+checked', page)

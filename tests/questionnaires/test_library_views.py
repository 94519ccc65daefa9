"""A professional fills in a questionnaire about a patient and the care network reads the
score, its interpretation, the flag over the cut-off and the trend; bad answers store nothing;
a double submit stores one response; who may not see the patient gets 404; all is logged."""

from __future__ import annotations

import json
import uuid

import pytest
from django.urls import reverse

from network.models import AccessLogEntry
from questionnaires.models import Response
from tests.questionnaires.conftest import links_sent, responses_for

pytestmark = pytest.mark.django_db

# "Meer dan de helft van de dagen" once, "Meerdere dagen" seven times, never thoughts of death:
# 2 + 7 = 9, light, and not flagged (a 1 on question 9 would be, on its own).
PHQ_NINE = {"q-1": "LA6570-1"} | {f"q-{n}": "LA6569-3" for n in range(2, 9)} | {"q-9": "LA6568-5"}


def fill_url(patient, questionnaire):
    return reverse("questionnaires:fill", args=[patient.pk, questionnaire.pk])


def results_url(patient):
    return reverse("questionnaires:results", args=[patient.pk])


def test_nurse_fills_in_a_phq9_and_sees_score_and_interpretation(
    login, nurse, shared_patient, library
):
    client = login(nurse)
    phq = library["phq-9"]
    form = client.get(fill_url(shared_patient, phq)).content.decode()
    assert "Weinig interesse of plezier in het doen van dingen" in form
    key = str(uuid.uuid4())
    response = client.post(
        fill_url(shared_patient, phq), PHQ_NINE | {"q-10": "LA6573-5", "client_key": key}
    )
    assert response.status_code == 302
    stored = Response.objects.get()
    assert (stored.score, stored.interpretation, stored.flagged) == (
        9,
        "Lichte depressieve klachten",
        False,
    )
    assert (stored.author, stored.source) == (nurse, "professional")
    page = client.get(results_url(shared_patient)).content.decode()
    assert "PHQ-9 (depressieve klachten)" in page and "Lichte depressieve klachten" in page
    assert "Boven de grens" not in page
    entry = AccessLogEntry.objects.filter(user=nurse, action="create").latest("id")
    assert (entry.relationship, entry.object_ref) == (
        "care_network",
        f"questionnaire-response:{stored.pk}",
    )


def test_double_submit_stores_one_response(login, nurse, shared_patient, library):
    client = login(nurse)
    data = PHQ_NINE | {"q-10": "LA6573-5", "client_key": str(uuid.uuid4())}
    client.post(fill_url(shared_patient, library["phq-9"]), data)
    second = client.post(fill_url(shared_patient, library["phq-9"]), data)
    assert second.status_code == 302
    assert Response.objects.count() == 1


def test_missing_answer_shows_dutch_error_and_stores_nothing(login, nurse, shared_patient, library):
    data = PHQ_NINE | {"client_key": str(uuid.uuid4())}
    del data["q-5"]
    response = login(nurse).post(fill_url(shared_patient, library["phq-9"]), data)
    assert response.status_code == 422
    page = response.content.decode()
    assert "Beantwoord deze vraag." in page
    assert "er is niets opgeslagen" in page
    assert 'value="LA6570-1" checked' in page  # what was given is kept
    assert not Response.objects.exists()
    # The form shown again shows the patient: that look is in the access log.
    entry = AccessLogEntry.objects.filter(user=nurse, patient=shared_patient).latest("id")
    assert (entry.action, entry.object_ref) == ("read", "questionnaires")


def test_hidden_question_is_not_required_and_not_scored(login, gp, patient, library):
    data = {f"q-{n}": "LA6568-5" for n in range(1, 10)} | {
        "q-10": "LA6574-3",  # sent along, but not asked without complaints
        "client_key": str(uuid.uuid4()),
    }
    assert login(gp).post(fill_url(patient, library["phq-9"]), data).status_code == 302
    stored = Response.objects.get()
    assert "10" not in stored.answers and stored.score == 0


def test_gp_sees_the_flag_over_the_cutoff_and_the_trend(login, gp, nurse, patient, library):
    mrc = library["mrc-dyspnoe"]
    responses_for(patient, mrc, [2], author=nurse)
    response = login(gp).post(
        fill_url(patient, mrc), {"q-1": "4", "client_key": str(uuid.uuid4())}, follow=True
    )
    page = response.content.decode()
    assert "MRC-graad 4: moet stoppen na ongeveer 100 meter" in page
    assert "Boven de grens" in page
    assert "Verloop van de scores" in page and "Score 2" in page


def test_pharmacist_medication_review_is_shown_answer_by_answer(
    login, nurse, shared_patient, library
):
    client = login(nurse)
    client.post(
        fill_url(shared_patient, library["mrc-dyspnoe"]),
        {"q-1": "2", "client_key": str(uuid.uuid4())},
    )
    stored = Response.objects.get()
    page = client.get(
        reverse("questionnaires:response", args=[shared_patient.pk, stored.pk])
    ).content.decode()
    assert "Welke uitspraak past het best bij uw kortademigheid?" in page
    assert "Ik word kortademig als ik me moet haasten" in page


@pytest.mark.parametrize("who", ["physio", "outsider"])
def test_someone_outside_the_care_network_gets_404_and_nothing_is_stored(
    request, login, who, shared_patient, library, nurse
):
    client = login(request.getfixturevalue(who))
    [existing] = responses_for(shared_patient, library["gfi"], [5], author=nurse)
    assert client.get(results_url(shared_patient)).status_code == 404
    assert client.get(fill_url(shared_patient, library["mrc-dyspnoe"])).status_code == 404
    url = reverse("questionnaires:response", args=[shared_patient.pk, existing.pk])
    assert client.get(url).status_code == 404
    data = {"q-1": "2", "client_key": str(uuid.uuid4())}
    assert client.post(fill_url(shared_patient, library["mrc-dyspnoe"]), data).status_code == 404
    assert Response.objects.count() == 1


def test_a_response_of_another_patient_is_not_found_through_this_patient(
    login, gp, patient, shared_patient, library
):
    [other] = responses_for(shared_patient, library["gfi"], [5])
    url = reverse("questionnaires:response", args=[patient.pk, other.pk])
    assert login(gp).get(url).status_code == 404


def test_reading_results_is_logged_with_the_relationship(login, nurse, shared_patient, library):
    login(nurse).get(results_url(shared_patient))
    entry = AccessLogEntry.objects.filter(user=nurse, patient=shared_patient).latest("id")
    assert (entry.action, entry.relationship, entry.object_ref) == (
        "read",
        "care_network",
        "questionnaires",
    )


def test_the_patient_page_has_a_questionnaires_tab(login, nurse, shared_patient):
    page = login(nurse).get(reverse("network:patient-detail", args=[shared_patient.pk]))
    assert f'href="{results_url(shared_patient)}"' in page.content.decode()
    assert "Vragenlijsten" in page.content.decode()


# Session, user, memberships, second-factor check (4); the patient and the access-log write of
# the read (1 + 5); the header's PZP question (1); the nurse's care-network row and matrix row
# (2); the responses (one query, the latest twelve per questionnaire by a window) and the active
# questionnaires (1 + 1). A query per response would add 10 or 100.
# The questionnaires sent to the patient: one more (the newest ten, with their senders).
RESULTS_BUDGET = 4 + 6 + 1 + 2 + 2 + 1


@pytest.mark.parametrize("n", [10, 100])
def test_results_page_costs_the_same_queries_for_10_and_100_responses(
    n, login, nurse, shared_patient, library, django_assert_max_num_queries
):
    per = n // 2
    responses_for(shared_patient, library["gfi"], list(range(per)), author=nurse)
    responses_for(shared_patient, library["mrc-dyspnoe"], [1 + i % 5 for i in range(n - per)])
    links_sent(shared_patient, library["phq-9"], nurse, n)
    client = login(nurse)
    client.get(results_url(shared_patient))
    with django_assert_max_num_queries(RESULTS_BUDGET):
        page = client.get(results_url(shared_patient)).content.decode()
    # Two trend tables, each a header and the latest responses, at most twelve; the sent
    # questionnaires: a header and the newest ten.
    assert page.count('class="sent-link"') == 10
    assert page.count("<tr") == 2 * (1 + min(per, 12)) + 1 + 10


def test_a_form_key_used_for_another_patient_stores_nothing_for_this_one(
    login, gp, patient, shared_patient, library
):
    client = login(gp)
    key = str(uuid.uuid4())
    mrc = library["mrc-dyspnoe"]
    client.post(fill_url(shared_patient, mrc), {"q-1": "2", "client_key": key})
    response = client.post(fill_url(patient, mrc), {"q-1": "5", "client_key": key})
    assert response.status_code == 422
    assert "Het formulier was onvolledig" in response.content.decode()
    assert Response.objects.get().patient == shared_patient
    assert not Response.objects.filter(patient=patient).exists()


def test_thoughts_of_death_are_flagged_on_the_results_page_even_with_a_low_total(
    login, gp, patient, library
):
    answers = {f"q-{n}": "LA6568-5" for n in range(1, 9)} | {"q-9": "LA6569-3", "q-10": "LA6573-5"}
    client = login(gp)
    client.post(fill_url(patient, library["phq-9"]), answers | {"client_key": str(uuid.uuid4())})
    page = client.get(results_url(patient)).content.decode()
    assert "Geen of minimale depressieve klachten" in page  # total 1
    assert "Let op: gedachten aan de dood of zelfbeschadiging (vraag 9)" in page
    assert "Boven de grens" in page


def _chart_data(page: str, questionnaire) -> dict:
    start = page.index(f'<script id="score-chart-{questionnaire.pk}" type="application/json">')
    body = page[page.index(">", start) + 1 : page.index("</script>", start)]
    return json.loads(body)


def test_two_scores_or_more_get_a_chart_with_the_cut_off_line_and_keep_the_table(
    login, nurse, shared_patient, library
):
    """The chart's data (oldest first, flagged points marked, the line where flagging starts)
    is a json_script the vendored Chart.js draws from a static file (strict CSP: no inline
    script); the trend table stays for screen readers and print. One score: no chart."""
    mrc, gfi = library["mrc-dyspnoe"], library["gfi"]
    responses_for(shared_patient, mrc, [1, 2, 4], author=nurse)
    responses_for(shared_patient, gfi, [3], author=nurse)
    page = login(nurse).get(results_url(shared_patient)).content.decode()
    data = _chart_data(page, mrc)
    assert data["scores"] == [1.0, 2.0, 4.0]
    assert data["flagged"] == [False, False, True]
    assert len(data["dates"]) == 3 and data["dates"] == sorted(data["dates"])
    assert data["cutoff"] == 3.0  # MRC grade 3 and up is flagged
    assert f'data-score-chart="score-chart-{mrc.pk}"' in page
    assert "score-chart-" + str(gfi.pk) not in page  # one score: nothing to draw
    assert "js/score-chart" in page and "chartjs-4.6.2/chart.umd.min" in page
    assert "Verloop van de scores" in page  # the table, as before
    assert "<script>" not in page  # nothing inline

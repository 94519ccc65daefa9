"""Demo questionnaires: the shipped instruments in the library, and Geertje van der Meer
(terp-0001, COPD) with two MRC dyspnoea scores by the district nurse — grade 2 six weeks ago,
grade 3 (over the cut-off) two days ago — so the results page shows a trend and a flag — and a
PHQ-9 the nurse sent her by e-mail, not filled in yet (the e-mail with its link goes to the
console in the embedded set-up). Idempotent: fixed client keys, so seeding again stores and
sends nothing new."""

from __future__ import annotations

import datetime
import uuid

from django.utils import timezone

from accounts.models import Membership
from network.access import Actor, patient_access_for, patients_visible_to
from questionnaires.library_selectors import definition_of, questionnaire_with_definition
from questionnaires.library_services import instruments_load, response_submit
from questionnaires.link_services import patient_link_send
from questionnaires.models import Questionnaire, Response

_DEMO = uuid.UUID("5b0e8c1e-6f0a-4c8e-9a39-2f1d3c0d7a11")


def demo_questionnaires(*, organisations, email) -> None:
    instruments_load()
    membership = Membership.objects.select_related("organisation", "user").get(
        user__email=email("wijkverpleegkundige"), organisation=organisations["wijk"]
    )
    nurse = Actor(user=membership.user, membership=membership, request_id="demo-seed")
    geertje = patients_visible_to(nurse).get(his_id="terp-0001")
    access = patient_access_for(actor=nurse, pk=geertje.pk)
    mrc = questionnaire_with_definition(Questionnaire.objects.all()).get(
        slug="mrc-dyspnoe", version="1"
    )
    definition = definition_of(mrc)
    now = timezone.now()
    for days_ago, grade in ((42, "2"), (2, "3")):
        key = uuid.uuid5(_DEMO, f"mrc-{days_ago}")
        response = response_submit(
            actor=nurse,
            access=access,
            questionnaire=mrc,
            definition=definition,
            answers={"1": grade},
            client_key=key,
        )
        when = now - datetime.timedelta(days=days_ago)
        if abs((response.submitted_at - when).days) > 1:
            Response.objects.filter(pk=response.pk).update(submitted_at=when)
    patient_link_send(
        actor=nurse,
        access=access,
        questionnaire=Questionnaire.objects.get(slug="phq-9", version="1"),
        channel="email",
        email="g.vandermeer@example.nl",
        phone="",
        due_date=timezone.localdate() + datetime.timedelta(days=5),
        client_key=uuid.uuid5(_DEMO, "phq-9-sent"),
    )

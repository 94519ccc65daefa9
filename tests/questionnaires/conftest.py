"""Fixtures for the questionnaire library: the shipped instruments loaded, and responses."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.utils import timezone

from questionnaires.library_services import instruments_load
from questionnaires.models import PatientLink, Questionnaire, Response
from tests.conversations.conftest import actor_for, login  # noqa: F401  (login: a fixture)


@pytest.fixture
def library(db):
    instruments_load()
    return {q.slug: q for q in Questionnaire.objects.all()}


def responses_for(patient, questionnaire, scores, *, author=None, start=None):
    """Stored responses with these scores, one a day, oldest first (no answers: for lists)."""
    start = start or timezone.now() - datetime.timedelta(days=len(scores))
    return Response.objects.bulk_create(
        Response(
            questionnaire=questionnaire,
            patient=patient,
            author=author,
            client_key=uuid.uuid4(),
            score=score,
            interpretation=f"Score {score}",
            flagged=score >= 3,
            submitted_at=start + datetime.timedelta(days=n),
        )
        for n, score in enumerate(scores)
    )


def links_sent(patient, questionnaire, sender, n):
    """``n`` questionnaires sent to ``patient`` by e-mail, one a day (no tokens: for lists)."""
    now = timezone.now()
    return PatientLink.objects.bulk_create(
        PatientLink(
            questionnaire=questionnaire,
            patient=patient,
            sent_by=sender,
            organisation=sender.memberships.get().organisation,
            client_key=uuid.uuid4(),
            channel="email",
            email="patient@example.nl",
            created_at=now - datetime.timedelta(days=n - i),
            due_date=timezone.localdate() + datetime.timedelta(days=7),
            expires_at=now + datetime.timedelta(days=10),
        )
        for i in range(n)
    )

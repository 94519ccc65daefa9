"""The referral inbox and the referral page run a fixed number of queries, 10 or 100 items."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from referrals.models import Feedback
from referrals.services import feedback_add, referral_transition
from tests.conversations.conftest import PDF_BYTES, actor_for
from tests.factories import PatientFactory
from tests.referrals.conftest import refer

pytestmark = pytest.mark.django_db

# Session, user, memberships, second-factor checks and the active organisation.
PAGE = 8
# Count, one page with patient, organisations and acceptor, tab counts, and the access-log
# write for the names shown (lock, chain head, one insert).
LIST_BUDGET = PAGE + 3 + 3
# The referral, the patient's access (visible, then with the referral as relationship), the
# access-log write (3), the shared data (4 categories), events, feedback, attachments, the
# latest delivery to the receiver's system, and the transitions the viewer may make (team
# membership).
DETAIL_BUDGET = PAGE + 1 + 3 + 3 + 4 + 2 + 2 + 2


@pytest.mark.parametrize("n", [10, 100])
def test_the_nurses_referral_inbox(
    n, login, gp, nurse, practice, nursing, django_assert_max_num_queries
):
    for i in range(n):
        refer(gp, PatientFactory(practice=practice, his_id=f"budget-{i}"), nursing)
    client = login(nurse)
    url = reverse("referrals:list")

    with django_assert_max_num_queries(LIST_BUDGET):
        response = client.get(url)
    assert response.status_code == 200


@pytest.mark.parametrize("viewer", ["nurse", "gp"])
@pytest.mark.parametrize("n", [10, 100])
def test_a_referral_page_with_its_feedback(
    n, viewer, login, gp, nurse, patient, nursing, django_assert_max_num_queries, private_files
):
    referral = refer(gp, patient, nursing)
    referral_transition(actor=actor_for(nurse), referral=referral, action="accept")
    for i in range(n):
        feedback_add(
            actor=actor_for(nurse),
            referral=referral,
            kind=Feedback.Kind.INTERIM,
            findings=f"{i}",
            files=[SimpleUploadedFile(f"verslag-{i}.pdf", PDF_BYTES)],
        )
    client = login({"nurse": nurse, "gp": gp}[viewer])
    url = reverse("referrals:detail", args=[referral.pk])
    # The practice also sees each feedback's HIS export and whether its HIS is connected.
    budget = DETAIL_BUDGET + (2 if viewer == "gp" else 0)

    with django_assert_max_num_queries(budget):
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count("tussentijds") >= n
    assert response.content.decode().count(".pdf</a>") == n  # each feedback's report


# The referral, the sender check, the patient's access and its log write, the pathways and the
# teams for the choices, and whether a team exists.
EDIT_BUDGET = PAGE + 1 + 1 + 3 + 3 + 3


@pytest.mark.parametrize("n", [10, 100])
def test_the_draft_page_with_many_pathways_and_teams(
    n, login, gp, patient, nursing, django_assert_max_num_queries
):
    from referrals.models import CarePathway
    from tests.factories import TeamFactory

    for i in range(n):
        CarePathway.objects.create(name=f"Zorgpad {i}")
        TeamFactory(organisation=nursing, name=f"Team {i}")
    referral = refer(gp, patient, nursing, send=False)
    client = login(gp)
    url = reverse("referrals:edit", args=[referral.pk])

    with django_assert_max_num_queries(EDIT_BUDGET):
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count("Zorgpad ") >= n


# The patient and the access-log write (5 on PostgreSQL), the chosen organisation and its
# matrix row, the organisations, pathways and teams to choose from, and the preview's medical
# data — 21 queries on PostgreSQL with 10 and with 100 pathways and teams.
CREATE_BUDGET = PAGE + 13


@pytest.mark.parametrize("n", [10, 100])
def test_the_referral_form_with_its_preview_and_many_pathways_and_teams(
    n, login, gp, patient, nursing, django_assert_max_num_queries
):
    from referrals.models import CarePathway
    from tests.factories import TeamFactory

    for i in range(n):
        CarePathway.objects.create(name=f"Zorgpad {i}")
        TeamFactory(organisation=nursing, name=f"Team {i}")
    client = login(gp)
    url = reverse("referrals:create", args=[patient.pk])

    with django_assert_max_num_queries(CREATE_BUDGET):
        response = client.get(url, {"to_organisation": nursing.pk})
    assert response.status_code == 200
    assert response.content.decode().count("Team ") >= n

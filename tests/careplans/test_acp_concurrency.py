"""Two GPs press *Opslaan* at the same moment, both on version 1: the plan's row lock lets one
through; the other gets the clear conflict and stores nothing (must-show 3, for real
transactions)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from careplans.access import acp_get_for
from careplans.acp_services import AcpConflict, acp_record
from careplans.models import AcpVersion
from tests.careplans.acp_helpers import actor_of, record

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_saves_at_once_on_the_same_version_store_one(gp, practice, shared_patient):
    from accounts.levels import Level
    from tests.factories import MembershipFactory, UserFactory

    colleague = UserFactory(email="gp2@delinde.nl", first_name="Sietske", last_name="Bos")
    MembershipFactory(
        user=colleague, organisation=practice, level=Level.A, has_patient_data_access=True
    )
    first = record(gp, shared_patient, consent_network=None)
    data = {f.name: getattr(first, f.name) for f in AcpVersion._meta.concrete_fields}
    barrier = threading.Barrier(2)
    outcomes = {}

    def save(user, icu):
        try:
            actor = actor_of(user)
            acp = acp_get_for(actor=actor, pk=shared_patient.pk, edit=True, log=False)
            barrier.wait(timeout=10)
            version = acp_record(
                actor=actor, acp=acp, based_on=1, data={**data, "icu": icu}, shared_with=[]
            )
            outcomes[user.pk] = version.number
        except AcpConflict as exc:
            outcomes[user.pk] = str(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=save, args=(gp, "do")),
        threading.Thread(target=save, args=(colleague, "dont")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    results = sorted(outcomes.values(), key=str)
    assert results[0] == 2, outcomes
    assert "while you were editing" in results[1] or "terwijl" in results[1], outcomes
    assert AcpVersion.objects.filter(plan__patient=shared_patient).count() == 2

"""Demo data (must-show 9): Geertje van der Meer's PZP, two versions, shared with the district
nurse only — the physiotherapist in her care network does not see it."""

from __future__ import annotations

import pytest
from django.http import Http404

from accounts.demo import demo_email
from accounts.models import User
from careplans.access import acp_get_for
from careplans.models import AcpVersion
from regiozorg.demo import demo_seed
from tests.careplans.acp_helpers import actor_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _files_here(private_files):
    return private_files


def test_geertje_has_a_plan_in_two_versions_that_only_the_nurse_reads():
    demo_seed()
    demo_seed()  # idempotent
    versions = AcpVersion.objects.filter(plan__patient__his_id="terp-0001").order_by("number")
    assert [v.number for v in versions] == [1, 2]
    assert versions[1].hospital == "dont" and versions[0].hospital == "other"
    nurse = User.objects.get(email=demo_email("wijkverpleegkundige"))
    assert {s.user for s in versions[1].shares.all()} == {nurse}
    geertje = versions[0].plan.patient
    acp = acp_get_for(actor=actor_of(nurse), pk=geertje.pk)
    assert acp.version.number == 2 and "Niet reanimeren" in acp.version.headline
    physio = User.objects.get(email=demo_email("fysiotherapeut"))
    # In her care network (she sees Geertje), but not chosen: no plan for her.
    member = geertje.network.get(user=physio, ended_at=None)
    with pytest.raises(Http404):
        acp_get_for(actor=actor_of(physio, member.organisation), pk=geertje.pk)

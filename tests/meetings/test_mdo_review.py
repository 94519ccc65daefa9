"""Review findings on the MDO: a write that was let in just before the chair closed the
meeting must not land after the close (the report that went out stays what it was)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from meetings import services
from meetings.access import meeting_get_for
from meetings.models import Agreement, Minutes, PreparationNote
from tests.meetings.conftest import actor_for, item_access

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("who", "write"),
    [
        ("nurse", lambda actor, item: services.note_save(actor=actor, access=item, text="laat")),
        ("gp", lambda actor, item: services.minutes_save(actor=actor, access=item, text="laat")),
        ("gp", lambda actor, item: services.agreement_add(actor=actor, access=item, text="laat")),
    ],
)
def test_a_write_checked_before_the_close_is_refused_after_it(mdo, gp, nurse, who, write):
    """The note's request read the meeting (open) a moment before the chair's close committed:
    the service looks again, under the meeting's lock, and refuses in Dutch."""
    meeting, shared_item, _hidden = mdo
    user = {"gp": gp, "nurse": nurse}[who]
    item = item_access(user, meeting, shared_item)  # read while the meeting is open
    chair = actor_for(gp)
    services.meeting_close(actor=chair, access=meeting_get_for(actor=chair, pk=meeting.pk))
    with pytest.raises(ValidationError) as refused:
        write(actor_for(user), item)
    assert "gesloten" in " ".join(refused.value.messages)
    assert not PreparationNote.objects.exists()
    assert not Minutes.objects.exists() and not Agreement.objects.exists()

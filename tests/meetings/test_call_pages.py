"""The call's pages: starting a call from an MDO and from a patient page, the NEN 7513 log of
every look, guest links (sent by e-mail or SMS without medical content, refused with a Dutch
error, made once per form), the guest's page (strict, never cached, not for someone logged in),
files shared in the call (checked, and only for a guest who is in the call now), the TURN
credentials, and a constant number of queries however long the call's history."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import io
import time
import uuid

import pytest
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from meetings import call_services
from meetings.access import meeting_get_for
from meetings.call_access import GUEST_COOKIE, call_get_for
from meetings.call_selectors import ice_servers_for
from meetings.models import Call, CallAttendance, CallGuest, CallMessage
from network.access import patient_access_for
from network.models import AccessLogEntry
from tests.meetings.conftest import actor_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def mdo_call(gp, mdo):
    actor = actor_for(gp)
    return call_services.call_open_for_meeting(
        actor=actor, access=meeting_get_for(actor=actor, pk=mdo[0].pk)
    )


def invite(user, call, **fields):
    actor = actor_for(user)
    data = {"kind": "guest", "name": "Dr. De Boer", "channel": "link", "valid_hours": 24}
    data.update(fields)
    return call_services.guest_invite(
        actor=actor, access=call_get_for(actor=actor, uuid=call.uuid, log=False), **data
    )


def attend(call, *, peer: str, user=None, guest=None, name="Gerrit Postma", **fields):
    """A browser in the call (as the signalling socket records it), admitted now."""
    fields.setdefault("admitted_at", timezone.now())
    return CallAttendance.objects.create(
        call=call, peer=peer, channel_name="test", user=user, guest=guest, name=name, **fields
    )


def jpeg() -> io.BytesIO:
    data = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(data, "JPEG")
    data.seek(0)
    data.name = "wond.jpg"
    return data


def test_the_chair_starts_one_call_from_the_mdo_and_its_page_logs_the_patients_shown(
    mdo, login, gp, nurse, shared_patient, patient
):
    meeting = mdo[0]
    start = reverse("meetings:call-meeting-start", args=[meeting.pk])
    first = login(gp).post(start)
    second = login(nurse).post(start)  # a participant pressing it too joins the same call
    call = Call.objects.get()
    assert first["Location"] == second["Location"] == reverse("meetings:call", args=[call.uuid])
    page = login(nurse).get(first["Location"])
    assert page.status_code == 200
    assert page["Permissions-Policy"].startswith("camera=(self)")
    html = page.content.decode()
    assert shared_patient.formal_name in html and patient.formal_name not in html
    entries = AccessLogEntry.objects.filter(user=nurse, object_ref=f"call:{call.pk}")
    assert [e.patient_id for e in entries] == [shared_patient.pk]
    # The MDO page says a call is on.
    detail = login(gp).get(reverse("meetings:detail", args=[meeting.pk])).content.decode()
    assert reverse("meetings:call", args=[call.uuid]) in detail


def test_a_patient_call_is_for_who_may_see_the_patient_and_logged(
    login, gp, nurse, outsider, shared_patient
):
    start = reverse("meetings:call-patient-start", args=[shared_patient.pk])
    response = login(nurse).post(start)
    call = Call.objects.get()
    assert call.kind == "patient" and call.patient == shared_patient
    assert login(nurse).get(response["Location"]).status_code == 200
    assert AccessLogEntry.objects.filter(
        user=nurse, patient_id=shared_patient.pk, object_ref=f"call:{call.pk}"
    ).exists()
    # Someone without a relationship with the patient: 404, and the refusal logged.
    assert login(outsider).post(start).status_code == 404
    assert login(outsider).get(response["Location"]).status_code == 404
    assert AccessLogEntry.objects.filter(user=outsider, outcome="denied").exists()


def test_a_stranger_gets_404_for_every_call_url(mdo_call, login, physio):
    client = login(physio)
    room = mdo_call.uuid
    assert client.get(reverse("meetings:call", args=[room])).status_code == 404
    for name in ("call-end", "call-guest-invite", "call-file-upload"):
        assert client.post(reverse(f"meetings:{name}", args=[room])).status_code == 404
    assert Call.objects.get().ended_at is None and not CallGuest.objects.exists()


def test_guest_links_by_email_carry_no_medical_content_and_are_made_once(
    login, nurse, shared_patient, django_capture_on_commit_callbacks
):
    client = login(nurse)
    client.post(reverse("meetings:call-patient-start", args=[shared_patient.pk]))
    call = Call.objects.get()
    url = reverse("meetings:call-guest-invite", args=[call.uuid])
    key = str(uuid.uuid4())
    form = {
        "name": "Geertje (patiënt)",
        "kind": "patient",
        "channel": "email",
        "email": "geertje@example.nl",
        "valid_hours": "24",
        "client_key": key,
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, form).status_code == 302
        assert client.post(url, form).status_code == 302  # sent twice: made and mailed once
    assert CallGuest.objects.count() == 1 and len(mail.outbox) == 1
    message = mail.outbox[0]
    text = message.subject + message.body
    assert shared_patient.formal_name not in text and "insuline" not in text.lower()
    assert "/gesprek/" in message.body
    guest = CallGuest.objects.get()
    assert guest.sent_to == "g…@example.nl" and len(guest.token_hash) == 64
    assert guest.token_hash not in message.body  # only the hash is kept, never sent


def test_a_bad_invitation_gets_a_dutch_error_and_makes_nothing(login, nurse, shared_patient):
    client = login(nurse)
    client.post(reverse("meetings:call-patient-start", args=[shared_patient.pk]))
    call = Call.objects.get()
    response = client.post(
        reverse("meetings:call-guest-invite", args=[call.uuid]),
        {
            "name": "Zoon",
            "kind": "patient",
            "channel": "sms",
            "phone": "058 1234567",  # a landline: no text message
            "valid_hours": "24",
            "client_key": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 422
    assert "Vul een mobiel nummer in" in response.content.decode()
    assert not CallGuest.objects.exists()


def test_the_guest_page_is_strict_and_not_for_someone_logged_in(mdo_call, gp, login):
    _guest, token = invite(gp, mdo_call)
    url = reverse("meetings:guest", args=[token])
    response = Client().get(url)
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    assert "http" not in csp  # no other origin anywhere
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex"
    assert "Uw naam" in response.content.decode()
    # An empty name: a Dutch error, no cookie.
    empty = Client().post(url, {"name": " "})
    assert empty.status_code == 422 and GUEST_COOKIE not in empty.cookies
    # Logged in to Regiozorg: told to log out first (a guest is not who they are).
    assert login(gp).get(url).status_code == 409


def test_ending_the_call_ends_its_guest_links(mdo_call, gp, login):
    _guest, token = invite(gp, mdo_call)
    login(gp).post(reverse("meetings:call-end", args=[mdo_call.uuid]))
    assert Call.objects.get().ended_at is not None
    assert Client().get(reverse("meetings:guest", args=[token])).status_code == 410


def test_files_shared_in_the_call_are_checked_and_a_guest_sees_them_only_while_in_it(
    mdo_call, gp, login
):
    guest_link, token = invite(gp, mdo_call)
    gp_client = login(gp)
    upload = reverse("meetings:call-file-upload", args=[mdo_call.uuid])
    # Not in the call (no open attendance): nothing to share into.
    assert gp_client.post(upload, {"file": jpeg(), "client_key": uuid.uuid4()}).status_code == 409
    attend(mdo_call, peer="a" * 24, user=gp)
    fake = io.BytesIO(b"<html><script>alert(1)</script></html>")
    fake.name = "foto.jpg"
    refused = gp_client.post(upload, {"file": fake, "client_key": uuid.uuid4()})
    assert refused.status_code == 422 and refused.json()["error"]
    assert not CallMessage.objects.exists()
    shared = gp_client.post(upload, {"file": jpeg(), "client_key": uuid.uuid4()})
    assert shared.status_code == 200
    stored = CallMessage.objects.get()
    assert stored.content_type == "image/jpeg" and stored.original_name == "wond.jpg"
    own = gp_client.get(reverse("meetings:call-file", args=[mdo_call.uuid, stored.pk]))
    assert own.status_code == 200 and "no-store" in own["Cache-Control"]

    guest = Client()
    guest.post(reverse("meetings:guest", args=[token]), {"name": "Roos de Boer"})
    file_url = reverse("meetings:guest-file", args=[token, stored.pk])
    assert guest.get(file_url).status_code == 404  # waiting, not admitted
    attendance = attend(
        mdo_call, peer="b" * 24, guest=guest_link, name="Roos de Boer", admitted_by=gp
    )
    assert guest.get(file_url).status_code == 200
    assert Client().get(file_url).status_code == 404  # the link alone, without the cookie
    attendance.left_at = timezone.now()
    attendance.save()
    assert guest.get(file_url).status_code == 404  # after the call: no longer theirs


@override_settings(
    CALL_STUN_URLS=["stun:turn.regiozorg.test:3478"],
    CALL_TURN_URLS=["turn:turn.regiozorg.test:3478?transport=udp"],
    CALL_TURN_SECRET="s3cret-shared-with-coturn",
    CALL_TURN_TTL=600,
)
def test_turn_credentials_are_short_lived_per_browser_and_coturn_can_check_them():
    stun, turn = ice_servers_for("ab" * 12)
    assert stun == {"urls": ["stun:turn.regiozorg.test:3478"]}
    expiry, peer = turn["username"].split(":")
    assert peer == "ab" * 12
    assert time.time() + 590 < int(expiry) <= time.time() + 600
    digest = hmac.new(b"s3cret-shared-with-coturn", turn["username"].encode(), hashlib.sha1)
    assert turn["credential"] == base64.b64encode(digest.digest()).decode()
    assert ice_servers_for("cd" * 12)[1]["username"] != turn["username"]


def test_without_turn_settings_only_host_candidates_are_used():
    assert ice_servers_for("ab" * 12) == []


def test_the_call_page_runs_a_constant_number_of_queries(
    mdo_call, gp, login, django_assert_max_num_queries
):
    client = login(gp)
    url = reverse("meetings:call", args=[mdo_call.uuid])

    def grow(n):
        for i in range(n):
            attend(mdo_call, peer=uuid.uuid4().hex[:24], user=gp, left_at=timezone.now())
            CallMessage.objects.create(
                call=mdo_call, author_name="Gerrit", body=f"bericht {i}", client_key=uuid.uuid4()
            )
            invite(gp, mdo_call, name=f"Gast {i}")

    grow(3)
    client.get(url)
    with django_assert_max_num_queries(40) as small:
        assert client.get(url).status_code == 200
    grow(30)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200


def test_a_patient_calls_provider_must_still_see_the_patient(login, nurse, shared_patient):
    """Losing the care relationship closes the door: the call page is 404 from then on."""
    client = login(nurse)
    client.post(reverse("meetings:call-patient-start", args=[shared_patient.pk]))
    call = Call.objects.get()
    actor = actor_for(nurse)
    patient_access_for(actor=actor, pk=shared_patient.pk)  # may see now
    from network.models import CareNetworkMember

    CareNetworkMember.objects.filter(patient=shared_patient, user=nurse).delete()
    assert client.get(reverse("meetings:call", args=[call.uuid])).status_code == 404


def test_a_call_from_a_conversation_is_for_who_may_see_the_conversation(
    login, gp, nurse, physio, shared_patient
):
    from tests.conversations.conftest import start

    conversation = start(gp, nurse, subject="Insuline thuis", patient=shared_patient)
    page = login(nurse).get(reverse("conversations:detail", args=[conversation.pk]))
    start_url = reverse("meetings:call-conversation-start", args=[conversation.pk])
    assert start_url in page.content.decode()
    first = login(nurse).post(start_url)
    second = login(gp).post(start_url)  # the other one presses it too: the same call
    call = Call.objects.get()
    assert call.kind == "conversation" and call.conversation_id == conversation.pk
    assert first["Location"] == second["Location"]
    room = login(gp).get(first["Location"])
    assert room.status_code == 200 and "Videogesprek: Insuline thuis" in room.content.decode()
    # A look at a conversation about a patient is logged (by the conversation's access rule).
    assert AccessLogEntry.objects.filter(user=gp, patient_id=shared_patient.pk).exists()
    # Not in the conversation: 404 for the button's address and for the call.
    assert login(physio).post(start_url).status_code == 404
    assert login(physio).get(first["Location"]).status_code == 404
    # Ending it sends everyone back to the conversation.
    ended = login(gp).post(reverse("meetings:call-end", args=[call.uuid]))
    assert ended["Location"] == reverse("conversations:detail", args=[conversation.pk])


def test_a_patient_call_invites_the_patient_by_text_and_the_mdo_shows_who_is_in_its_call(
    login, gp, nurse, shared_patient, mdo_call, mdo
):
    shared_patient.phone = "06-12345678"
    shared_patient.save()
    client = login(nurse)
    client.post(reverse("meetings:call-patient-start", args=[shared_patient.pk]))
    call = Call.objects.get(kind="patient")
    page = client.get(reverse("meetings:call", args=[call.uuid])).content.decode()
    assert 'value="0612345678"' in page
    assert f'value="{shared_patient.formal_name}"' in page
    # Presence: the MDO page names who is in its call now.
    attend(mdo_call, peer="c" * 24, user=nurse, name="Nynke Wiersma (Thuiszorg Friesland)")
    detail = login(gp).get(reverse("meetings:detail", args=[mdo[0].pk])).content.decode()
    assert "Nu in het gesprek: Nynke Wiersma (Thuiszorg Friesland)" in detail


def test_a_browser_not_heard_of_for_a_while_no_longer_counts_as_in_the_call(
    gp, nurse, login, mdo_call, mdo
):
    """A server process that died cannot mark its sockets as left: without a heartbeat for
    CALL_STALE_SECONDS a row is no longer "in the call" (presence, the call's roster, full)."""
    from meetings.call_selectors import present_in

    fresh = attend(mdo_call, peer="d" * 24, user=gp)
    ghost = attend(
        mdo_call,
        peer="e" * 24,
        user=nurse,
        name="Nynke Wiersma (Thuiszorg Friesland)",
        seen_at=timezone.now() - datetime.timedelta(minutes=5),
    )
    assert [a.pk for a in present_in(mdo_call.pk)] == [fresh.pk]
    detail = login(gp).get(reverse("meetings:detail", args=[mdo[0].pk])).content.decode()
    assert (
        "Nu in het gesprek: Gerrit Postma" in detail
        and "Nynke" not in detail.split("Nu in het gesprek:")[1].split("</p>")[0]
    )
    assert ghost.is_stale and not fresh.is_stale

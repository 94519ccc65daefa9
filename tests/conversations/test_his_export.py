"""Terugkoppelen naar het HIS: a conversation about a patient, exported by the patient's practice.

A real HTTP receiver on 127.0.0.1 plays the practice's HIS: it records every request, answers
as scripted, and — as a real HIS would — stores a note once per ``Idempotency-Key``.

Celery runs eagerly here. With this project's ``task_eager_propagates`` a retry is raised to
the caller (a worker would run it later); Celery re-runs a retry at once, as a worker would
later, only when eager exceptions are not propagated — the ``worker_like_retries`` fixture.
"""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from celery.exceptions import Retry
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from fhir.resources.R4B.communication import Communication

from conversations.his_views import his_export_context
from conversations.models import Conversation, Message, Participant
from conversations.services.his import his_export_create
from his.models import HisEndpoint, HisExport, validate_his_url, validate_icpc_code
from his.tasks import HIS_MAX_RETRIES, his_export_deliver_task
from network.access import Actor
from network.fhir import BSN_SYSTEM, HIS_PATIENT_SYSTEM, ICPC1NL_SYSTEM
from network.models import AccessAction, AccessLogEntry, AccessOutcome, AccessRelationship
from regiozorg.celery import app
from tests.factories import EpisodeFactory, UserFactory, totp_enable

pytestmark = pytest.mark.django_db

TOKEN = "his-token-de-linde-0123456789"
GP_TEXT = "Mevrouw heeft sinds gisteren een rode, warme wond aan de linkervoet."
NURSE_TEXT = "Wond gespoeld en verbonden. Glucose 14,2. Morgen kijk ik opnieuw."


@pytest.fixture(autouse=True)
def _his_urls(settings):
    """The real URLs once conversations.urls has them; until then a stand-in urlconf."""
    try:
        reverse("conversations:his-export", args=[1])
        reverse("conversations:detail", args=[1])
    except NoReverseMatch:
        settings.ROOT_URLCONF = "tests.conversations.his_test_urls"


@pytest.fixture
def worker_like_retries():
    previous = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = previous


# --- The HIS ----------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int = 201
    body: str = ""
    stores: bool = True  # the HIS stored the note before answering (it may still answer 5xx)
    location: str = ""


@dataclass
class Receiver:
    url: str = ""
    requests: list[dict] = field(default_factory=list)
    notes: dict[str, bytes] = field(default_factory=dict)  # Idempotency-Key -> body
    script: list[Answer] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture
def his():
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            key = self.headers.get("Idempotency-Key", "")
            with receiver.lock:
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                answer = receiver.script.pop(0) if receiver.script else Answer()
                duplicate = key in receiver.notes
                if answer.stores and not duplicate:
                    receiver.notes[key] = body
            status = 200 if duplicate and answer.status < 300 else answer.status
            payload = answer.body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            if answer.location:
                self.send_header("Location", answer.location)
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/fhir/Communication"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def endpoint(practice, his):
    return HisEndpoint.objects.create(practice=practice, url=his.url, token=TOKEN)


# --- The conversation ------------------------------------------------------------------------


@pytest.fixture
def conversation(gp, nurse, practice, nursing, shared_patient):
    """GP and district nurse about the visible patient the nurse cares for."""
    conversation = Conversation.objects.create(
        kind=Conversation.Kind.CONVERSATION,
        subject="Wond linkervoet",
        patient=shared_patient,
        created_by=gp,
        created_for=practice,
    )
    Participant.objects.create(conversation=conversation, user=gp, organisation=practice)
    Participant.objects.create(conversation=conversation, user=nurse, organisation=nursing)
    Message.objects.create(
        conversation=conversation, author=gp, author_organisation=practice, body=GP_TEXT
    )
    Message.objects.create(
        conversation=conversation, author=nurse, author_organisation=nursing, body=NURSE_TEXT
    )
    return conversation


def actor_for(user) -> Actor:
    return Actor(user=user, membership=user.memberships.select_related("organisation").get())


def export_url(conversation) -> str:
    return reverse("conversations:his-export", args=[conversation.pk])


def download_url(export) -> str:
    return reverse("conversations:his-export-download", args=[export.source_id, export.pk])


def export_logs(export) -> list[AccessLogEntry]:
    return list(AccessLogEntry.objects.filter(object_ref=f"his_export:{export.pk}").order_by("pk"))


# --- (1) Delivered ----------------------------------------------------------------------------


def test_gp_sends_the_conversation_and_the_his_stores_one_fhir_communication(
    conversation,
    endpoint,
    his,
    gp,
    shared_patient,
    secure_client,
    django_capture_on_commit_callbacks,
):
    EpisodeFactory(patient=shared_patient, icpc_code="T90", title="Diabetes mellitus type 2")
    client = secure_client(gp)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(export_url(conversation), {"icpc_code": " t90 "})

    assert response.status_code == 302
    assert response["Location"] == reverse("conversations:detail", args=[conversation.pk])
    export = HisExport.objects.get()
    assert (export.status, export.attempts, export.icpc_code) == ("sent", 1, "T90")
    assert export.sent_at is not None
    assert export.requested_by == gp
    assert export.source == conversation

    [request] = his.requests
    assert len(his.notes) == 1
    headers = request["headers"]
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["Idempotency-Key"] == str(export.idempotency_key)
    assert headers["Content-Type"] == "application/fhir+json"

    body = json.loads(request["body"])
    resource = Communication.model_validate(body)
    assert resource.status == "completed"
    assert body["identifier"] == [
        {"system": settings.FHIR_IDENTIFIER_SYSTEM, "value": str(export.idempotency_key)},
        {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{export.idempotency_key}"},
    ]
    payload = [p["contentString"] for p in body["payload"]]
    assert GP_TEXT in payload[0] and "Gerrit Postma" in payload[0]
    assert NURSE_TEXT in payload[1] and "Thuiszorg Friesland" in payload[1]
    assert body["subject"]["identifier"] == {"system": BSN_SYSTEM, "value": shared_patient.bsn}
    patient, practice = body["contained"]  # the patient and the practice that sends
    assert practice["name"] == "Huisartsenpraktijk De Linde"
    assert body["sender"] == {"reference": "#practice", "display": practice["name"]}
    assert {"system": HIS_PATIENT_SYSTEM, "value": "linde-0002"} in patient["identifier"]
    assert body["reasonCode"][0]["coding"] == [
        {"system": ICPC1NL_SYSTEM, "code": "T90", "display": "Diabetes mellitus type 2"}
    ]
    assert body["note"][0]["text"] == export.note_text
    assert "E: T90 Diabetes mellitus type 2" in export.note_text


def test_delivering_a_sent_export_again_posts_nothing(
    conversation, endpoint, his, gp, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        export = his_export_create(actor=actor_for(gp), conversation=conversation, icpc_code="")

    his_export_deliver_task.delay(export.pk)

    export.refresh_from_db()
    assert (export.status, export.attempts, len(his.requests)) == ("sent", 1, 1)
    assert "reasonCode" not in export.fhir_json


# --- (2) Retried ------------------------------------------------------------------------------


def test_a_500_is_retried_with_the_same_key_and_the_his_keeps_one_note(
    conversation, endpoint, his, gp, worker_like_retries, django_capture_on_commit_callbacks
):
    # The HIS wrote the note, then failed to answer: only the key keeps it from a second copy.
    his.script = [Answer(500, "Internal Server Error", stores=True)]
    with django_capture_on_commit_callbacks(execute=True):
        export = his_export_create(actor=actor_for(gp), conversation=conversation, icpc_code="K86")

    export.refresh_from_db()
    assert (export.status, export.attempts, export.last_error) == ("sent", 2, "")
    assert len(his.requests) == 2
    keys = {r["headers"]["Idempotency-Key"] for r in his.requests}
    assert keys == {str(export.idempotency_key)}
    assert len(his.notes) == 1


def test_without_a_worker_the_first_500_leaves_the_export_pending_for_the_retry(
    conversation, endpoint, his, gp, django_capture_on_commit_callbacks
):
    """The project's eager settings propagate: the Retry a worker would schedule is raised."""
    his.script = [Answer(503, "Onderhoud", stores=False)]
    with pytest.raises(Retry), django_capture_on_commit_callbacks(execute=True):
        export = his_export_create(actor=actor_for(gp), conversation=conversation, icpc_code="")

    export.refresh_from_db()
    assert (export.status, export.attempts) == ("pending", 1)
    assert "HTTP 503: Onderhoud" in export.last_error


def test_when_the_his_stays_down_the_export_fails_after_the_retries_with_the_reason(
    conversation, endpoint, his, gp, worker_like_retries, django_capture_on_commit_callbacks
):
    his.script = [Answer(502, "Bad Gateway", stores=False) for _ in range(HIS_MAX_RETRIES + 1)]
    with django_capture_on_commit_callbacks(execute=True):
        export = his_export_create(actor=actor_for(gp), conversation=conversation, icpc_code="")

    export.refresh_from_db()
    assert export.status == "failed"
    assert export.attempts == HIS_MAX_RETRIES + 1 == len(his.requests)
    assert "HTTP 502: Bad Gateway" in export.last_error
    assert str(HIS_MAX_RETRIES + 1) in export.last_error
    assert his.notes == {}


def test_an_unreachable_his_is_retried_and_then_failed(
    conversation, practice, gp, worker_like_retries, django_capture_on_commit_callbacks
):
    # A port nobody listens on (taken and let go again): connection refused on every attempt.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    HisEndpoint.objects.create(practice=practice, url=f"http://127.0.0.1:{port}/fhir", token=TOKEN)
    with django_capture_on_commit_callbacks(execute=True):
        export = his_export_create(actor=actor_for(gp), conversation=conversation, icpc_code="")

    export.refresh_from_db()
    assert (export.status, export.attempts) == ("failed", HIS_MAX_RETRIES + 1)
    assert "refused" in export.last_error.lower()


# --- (3) Refused ------------------------------------------------------------------------------


def test_a_400_fails_at_once_and_the_conversation_shows_why(
    conversation, endpoint, his, gp, secure_client, django_capture_on_commit_callbacks
):
    his.script = [Answer(400, '{"issue": "Onbekende patiënt: BSN niet gevonden"}', stores=False)]
    with django_capture_on_commit_callbacks(execute=True):
        secure_client(gp).post(export_url(conversation), {"icpc_code": ""})

    export = HisExport.objects.get()
    assert (export.status, export.attempts, len(his.requests)) == ("failed", 1, 1)
    assert "HTTP 400" in export.last_error
    assert "Onbekende patiënt: BSN niet gevonden" in export.last_error

    html = render_to_string(
        "conversations/partials/his_export.html",
        his_export_context(actor=actor_for(gp), conversation=conversation),
    )
    assert export.get_status_display() in html
    assert "HTTP 400" in html
    assert "Onbekende patiënt: BSN niet gevonden" in html.replace("&quot;", '"')
    assert download_url(export) in html


def test_a_redirect_is_not_followed_and_fails_at_once(
    conversation, endpoint, his, gp, django_capture_on_commit_callbacks
):
    # Following it would resend the note as a GET without a body (or to another host).
    his.script = [Answer(302, "", stores=False, location=his.url + "/elders")]
    with django_capture_on_commit_callbacks(execute=True):
        export = his_export_create(actor=actor_for(gp), conversation=conversation, icpc_code="")

    export.refresh_from_db()
    assert (export.status, len(his.requests)) == ("failed", 1)
    assert "HTTP 302" in export.last_error


def test_the_partial_shows_a_sent_export_with_its_time(
    conversation, endpoint, his, gp, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        export = his_export_create(actor=actor_for(gp), conversation=conversation, icpc_code="")
    export.refresh_from_db()

    context = his_export_context(actor=actor_for(gp), conversation=conversation)
    html = render_to_string("conversations/partials/his_export.html", context)

    assert context["his_endpoint"] == endpoint
    sent = (
        f"{export.get_status_display()}</span> {timezone.localtime(export.sent_at):%d-%m-%Y %H:%M}"
    )
    assert sent in html
    assert f'action="{export_url(conversation)}"' in html


# --- (4) No HIS connection: download --------------------------------------------------------


def test_without_a_connection_the_soep_note_is_downloaded(
    conversation, gp, secure_client, shared_patient, django_capture_on_commit_callbacks
):
    client = secure_client(gp)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(export_url(conversation), {"icpc_code": "K86"})
    assert response.status_code == 302
    assert callbacks == []  # nothing queued
    export = HisExport.objects.get()
    assert (export.status, export.attempts) == ("pending", 0)

    response = client.get(download_url(export))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    day = timezone.localdate(export.created_at)
    assert response["Content-Disposition"] == f'attachment; filename="soep-{day:%Y-%m-%d}.txt"'
    text = response.content.decode()
    assert text.startswith("Patiënt: Dijkstra, S. · 02-08-1956 · HIS-nr. linde-0002")
    lines = text.splitlines()
    assert [line[:3] for line in lines if line[:3] in {"S: ", "O: ", "E: ", "P: "}] == [
        "S: ",
        "O: ",
        "E: ",
        "P: ",
    ]
    assert "S: Gesprek in Regiozorg: Wond linkervoet" in text
    assert "Deelnemers: Gerrit Postma (Huisartsenpraktijk De Linde); Nynke Wiersma" in text
    assert text.index(GP_TEXT) < text.index(NURSE_TEXT)
    assert "Gerrit Postma (Huisartsenpraktijk De Linde):" in text
    assert "E: K86\n" in text
    assert f"P: zie gesprek in Regiozorg (nr. {conversation.pk})" in text

    html = render_to_string(
        "conversations/partials/his_export.html",
        his_export_context(actor=actor_for(gp), conversation=conversation),
    )
    assert download_url(export) in html


def test_a_download_of_another_conversations_export_is_404(
    conversation, gp, nurse, practice, shared_patient, secure_client
):
    export = his_export_create(actor=actor_for(gp), conversation=conversation, icpc_code="")
    other = Conversation.objects.create(
        kind="conversation",
        subject="Ander",
        patient=shared_patient,
        created_by=gp,
        created_for=practice,
    )
    Participant.objects.create(conversation=other, user=gp, organisation=practice)
    client = secure_client(gp)

    url = reverse("conversations:his-export-download", args=[other.pk, export.pk])
    assert client.get(url).status_code == 404
    assert client.get(download_url(export)).status_code == 200


# --- (5) Who may ------------------------------------------------------------------------------


def test_the_nurse_may_read_the_conversation_but_gets_403_on_export_and_download(
    conversation, endpoint, his, gp, nurse, secure_client
):
    export = his_export_create(actor=actor_for(gp), conversation=conversation, icpc_code="")
    client = secure_client(nurse)

    assert client.post(export_url(conversation), {"icpc_code": ""}).status_code == 403
    assert client.get(download_url(export)).status_code == 403

    assert HisExport.objects.count() == 1
    assert his.requests == []
    with pytest.raises(PermissionDenied):
        his_export_create(actor=actor_for(nurse), conversation=conversation, icpc_code="")
    refused = AccessLogEntry.objects.filter(user_id=nurse.pk, action=AccessAction.EXPORT)
    assert set(refused.values_list("outcome", flat=True)) == {AccessOutcome.DENIED}
    assert refused.count() == 3


def test_the_outsider_gets_404_as_for_a_conversation_that_does_not_exist(
    conversation, gp, outsider, secure_client
):
    export = his_export_create(actor=actor_for(gp), conversation=conversation, icpc_code="")
    client = secure_client(outsider)

    assert client.post(export_url(conversation), {"icpc_code": ""}).status_code == 404
    assert client.get(download_url(export)).status_code == 404
    missing = reverse("conversations:his-export", args=[conversation.pk + 1000])
    assert client.post(missing, {"icpc_code": ""}).status_code == 404
    assert HisExport.objects.count() == 1


# --- (6) The access log -----------------------------------------------------------------------


def test_export_and_download_are_logged_as_exports_of_the_patient(
    conversation, gp, shared_patient, secure_client
):
    client = secure_client(gp)
    client.post(export_url(conversation), {"icpc_code": ""})
    export = HisExport.objects.get()
    client.get(download_url(export))

    entries = export_logs(export)
    assert len(entries) == 2
    for entry in entries:
        assert (entry.action, entry.relationship, entry.outcome) == (
            AccessAction.EXPORT,
            AccessRelationship.OWN_PRACTICE,
            AccessOutcome.ALLOWED,
        )
        assert (entry.patient_id, entry.user_id) == (shared_patient.pk, gp.pk)
    assert entries[1].data == "identity,conversation"


# --- (7) The ICPC code ------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["", "K86", "T90", "T90.02", "A01.1", "Z29"])
def test_icpc_codes_that_are_accepted(code):
    validate_icpc_code(code)


@pytest.mark.parametrize("code", ["K8", "K860", "E11", "T90.", "T90.123", "90T", "k86", "T 90"])
def test_icpc_codes_that_are_refused(code):
    with pytest.raises(ValidationError):
        validate_icpc_code(code)


def test_a_malformed_icpc_code_exports_nothing_and_says_so(conversation, gp, secure_client):
    client = secure_client(gp)

    response = client.post(export_url(conversation), {"icpc_code": "E11"})

    assert response.status_code == 302
    [message] = [m for m in get_messages(response.wsgi_request) if m.level_tag == "error"]
    assert "K86" in message.message  # the example in the error
    assert HisExport.objects.count() == 0
    assert not AccessLogEntry.objects.filter(action=AccessAction.EXPORT).exists()
    with pytest.raises(ValidationError):
        his_export_create(actor=actor_for(gp), conversation=conversation, icpc_code="12X")


# --- The helpdesk's admin ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://his.delinde.nl/fhir/Communication", True),
        ("http://127.0.0.1:8080/fhir", True),
        ("http://his.delinde.nl/fhir", False),
        ("http://localhost/fhir", False),
        ("ftp://his.delinde.nl/", False),
    ],
)
def test_the_his_address_must_be_https(url, ok):
    if ok:
        validate_his_url(url)
    else:
        with pytest.raises(ValidationError):
            validate_his_url(url)


@pytest.fixture
def admin_client_2fa(client):
    user = UserFactory(email="beheer@kzf.nl", is_staff=True, is_superuser=True)
    totp_enable(user)
    client.force_login(user)
    return client


def test_the_admin_never_shows_the_token_and_keeps_it_when_left_empty(
    admin_client_2fa, practice, endpoint
):
    url = reverse("admin:his_hisendpoint_change", args=[endpoint.pk])
    page = admin_client_2fa.get(url)
    assert page.status_code == 200
    assert TOKEN not in page.content.decode()
    assert f"•••• {TOKEN[-4:]}" in page.content.decode()

    response = admin_client_2fa.post(
        url,
        {
            "practice": practice.pk,
            "url": "https://his.delinde.nl/fhir",
            "token": "",
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.token) == ("https://his.delinde.nl/fhir", TOKEN)
    listing = admin_client_2fa.get(reverse("admin:his_hisendpoint_changelist"))
    assert TOKEN not in listing.content.decode()


def test_the_admin_refuses_a_plain_http_address_and_a_partner_organisation(
    admin_client_2fa, nursing
):
    response = admin_client_2fa.post(
        reverse("admin:his_hisendpoint_add"),
        {"practice": nursing.pk, "url": "http://his.example.nl/", "token": "x" * 20},
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert {"practice", "url"} <= set(errors)
    assert not HisEndpoint.objects.exists()


def test_the_admin_lists_shared_inboxes_with_their_members(admin_client_2fa, nursing, nurse):
    from conversations.models import SharedInbox, SharedInboxMember

    inbox = SharedInbox.objects.create(organisation=nursing, name="Wijkteam Noord")
    SharedInboxMember.objects.create(inbox=inbox, user=nurse)

    listing = admin_client_2fa.get(reverse("admin:conversations_sharedinbox_changelist"))
    page = admin_client_2fa.get(reverse("admin:conversations_sharedinbox_change", args=[inbox.pk]))

    assert listing.status_code == page.status_code == 200
    assert "Wijkteam Noord" in listing.content.decode()
    assert "Nynke" in page.content.decode()


def test_the_admin_adds_only_staff_of_the_inbox_organisation_and_records_who_added(
    admin_client_2fa, nursing, nurse, physio
):
    from conversations.models import SharedInbox

    inbox = SharedInbox.objects.create(organisation=nursing, name="Wijkteam Noord")
    url = reverse("admin:conversations_sharedinbox_change", args=[inbox.pk])

    def post(user):
        return admin_client_2fa.post(
            url,
            {
                "organisation": nursing.pk,
                "team": "",
                "name": "Wijkteam Noord",
                "is_active": "on",
                "members-TOTAL_FORMS": "1",
                "members-INITIAL_FORMS": "0",
                "members-MIN_NUM_FORMS": "0",
                "members-MAX_NUM_FORMS": "1000",
                "members-0-user": user.pk,
            },
        )

    assert post(physio).status_code == 200  # the physiotherapist works elsewhere
    assert not inbox.members.exists()
    assert post(nurse).status_code == 302
    member = inbox.members.get()
    assert member.user == nurse
    assert member.added_by.email == "beheer@kzf.nl"

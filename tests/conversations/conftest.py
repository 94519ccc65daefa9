"""Fixtures for conversations: memberships as recipients, shared inboxes, private files, photos.

Conversations are started through the services (``conversation_start``), as a page would, so
that care-network joins, read states and client keys are the real ones.
"""

from __future__ import annotations

import io
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.models import Membership
from conversations.models import SharedInbox, SharedInboxMember
from conversations.services.messages import conversation_start, message_send
from network.access import Actor, patient_access_for

GPS_TAG = 0x8825  # Exif "GPSInfo"
# Leeuwarden, Oldehove: 53°12'N 5°47'E.
GPS_INFO = {1: "N", 2: (53.0, 12.0, 0.0), 3: "E", 4: (5.0, 47.0, 0.0)}


def actor_for(user) -> Actor:
    """The user acting for their (only) organisation, as the middleware would set it."""
    return Actor(user=user, membership=membership_of(user))


def membership_of(user) -> Membership:
    return Membership.objects.select_related("organisation", "user").get(user=user)


def jpeg_with_gps(*, size=(64, 48), colour=(200, 40, 40)) -> bytes:
    """A real JPEG whose EXIF carries a GPS position, a camera make and a time."""
    exif = Image.Exif()
    exif[0x010F] = "Telefoonmerk"  # Make
    exif[0x0132] = "2024:05:01 10:00:00"  # DateTime
    exif[GPS_TAG] = GPS_INFO
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="JPEG", exif=exif)
    return out.getvalue()


def upload(name: str, data: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


# A minimal, valid one-page PDF.
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def start(
    author,
    *people,
    subject="Wond linkervoet",
    body="Wil je morgen naar de wond kijken?",
    patient=None,
    inboxes=(),
    kind="conversation",
    files=(),
    client_key=None,
):
    """``author`` starts a conversation with ``people`` (users) and ``inboxes``."""
    actor = actor_for(author)
    return conversation_start(
        actor=actor,
        kind=kind,
        subject=subject,
        body=body,
        client_key=client_key or uuid.uuid4(),
        people=[membership_of(user) for user in people],
        inboxes=list(inboxes),
        patient_access=patient_access_for(actor=actor, pk=patient.pk) if patient else None,
        files=files,
    )


def send(author, conversation, body="Graag gedaan.", *, client_key=None, files=()):
    message, _created = message_send(
        actor=actor_for(author),
        conversation=conversation,
        body=body,
        client_key=client_key or uuid.uuid4(),
        files=files,
    )
    return message


@pytest.fixture(autouse=True)
def _private_files_here(private_files):
    """Every conversation test keeps its attachments in its own directory."""
    return private_files


@pytest.fixture
def physio_membership(physio):
    return membership_of(physio)


@pytest.fixture
def nurse_membership(nurse):
    return membership_of(nurse)


@pytest.fixture
def colleague(nursing):
    """A second district nurse of Thuiszorg Friesland, in no care network."""
    from accounts.levels import Role
    from tests.factories import MembershipFactory, UserFactory

    user = UserFactory(email="collega@thuiszorg.nl", first_name="Hiltje", last_name="de Vries")
    MembershipFactory(user=user, organisation=nursing, role=Role.PROVIDER)
    return user


@pytest.fixture
def nursing_inbox(nursing, nurse, colleague):
    """Thuiszorg Friesland's shared inbox, read by the nurse and her colleague."""
    inbox = SharedInbox.objects.create(organisation=nursing, name="Wijkverpleging Noord")
    SharedInboxMember.objects.create(inbox=inbox, user=nurse, added_by=nurse)
    SharedInboxMember.objects.create(inbox=inbox, user=colleague, added_by=nurse)
    return inbox


@pytest.fixture
def login(secure_client):
    """``login(user)``: that user's own client with a secure session, so several people can
    have Regiozorg open at once. One login per user and test: allauth refuses a TOTP code that
    was used before, so a second login within the same 30 seconds would fail."""
    from django.test import Client

    clients = {}

    def _login(user):
        if user.pk not in clients:
            clients[user.pk] = secure_client(user, client=Client())
        return clients[user.pk]

    return _login


@pytest.fixture
def conversation(gp, nurse, shared_patient):
    """The GP and the district nurse about a shared patient; its first message is stored (the
    live tests' conversation; a test module may define its own)."""
    conversation = start(gp, nurse, patient=shared_patient, subject="Wond linkervoet")
    conversation.refresh_from_db()  # last_message_id was set on a locked copy
    return conversation

"""The ticket flow through a real SMTP server: the contact form's notice to the helpdesk and the
helpdesk's answer leave Regiozorg over SMTP (Django's SMTP backend, the Celery task), and a
sink on 127.0.0.1 (aiosmtpd) receives them as a mail server would."""

from __future__ import annotations

import email
import socket
from email import policy

import pytest
from aiosmtpd.controller import Controller
from django.urls import reverse

from support.models import Ticket

pytestmark = pytest.mark.django_db


class Sink:
    """Keeps every message the SMTP server is given."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_sink(settings):
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS, settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = False, "", ""
    yield sink
    controller.stop()


def _text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_the_question_and_the_answer_go_out_over_smtp_and_the_asker_sees_the_answer(
    client, assistant, helpdesk, committing, smtp_sink, settings
):
    client.force_login(assistant)
    with committing():
        response = client.post(
            reverse("support:ticket-create"),
            {"subject": "Verwijzing komt niet aan", "question": "Staat nog op verzonden."},
        )
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    [(_sender, recipients)] = smtp_sink.envelopes
    assert recipients == [settings.SUPPORT_EMAIL]
    assert "Verwijzing komt niet aan" in smtp_sink.messages[0]["Subject"]

    client.force_login(helpdesk)
    with committing():
        answered = client.post(
            reverse("admin:support_ticket_change", args=[ticket.pk]),
            {"status": "closed", "answer": "De fysio heeft hem inmiddels ontvangen.", "_save": "1"},
        )
    assert answered.status_code == 302
    assert len(smtp_sink.messages) == 2  # the answer, once
    answer = smtp_sink.messages[1]
    assert smtp_sink.envelopes[1][1] == [assistant.email]
    assert "De fysio heeft hem inmiddels ontvangen." in _text(answer)
    assert reverse("support:ticket-detail", kwargs={"pk": ticket.pk}) in _text(answer)

    client.force_login(assistant)
    page = client.get(reverse("support:ticket-detail", kwargs={"pk": ticket.pk}))
    assert "De fysio heeft hem inmiddels ontvangen." in page.content.decode()

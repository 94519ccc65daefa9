"""Release notes (issue 19, part C): the newest once as a notice, following by e-mail (one per
follower, also when the task runs twice), and a signed unsubscribe link."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.urls import reverse

from support.models import ReleaseNote, ReleaseNoteMailing, ReleaseNoteReader
from support.services import release_note_mail_followers, unsubscribe_token
from support.tasks import release_note_mail_task

pytestmark = pytest.mark.django_db


def _publish_in_admin(client, committing, version="2.4"):
    with committing():
        response = client.post(
            reverse("admin:support_releasenote_add"),
            {
                "version": version,
                "date": "2026-12-07",
                "title": "Beeldbellen met gasten",
                "body": "Je kunt nu **gasten** uitnodigen.\n\n<script>alert(1)</script>",
                "_save": "Opslaan",
            },
        )
    assert response.status_code == 302, response.content.decode()[:3000]
    return ReleaseNote.objects.get(version=version)


def _follow(client, user):
    client.force_login(user)
    response = client.post(reverse("support:release-notes-follow"), {"follows": "on"})
    assert response.status_code == 302


def test_followers_get_one_email_each_even_when_the_task_runs_twice(
    client, gp, nurse, assistant, helpdesk, committing
):
    _follow(client, gp)
    _follow(client, nurse)  # the assistant does not follow
    client.force_login(helpdesk)
    note = _publish_in_admin(client, committing)

    assert sorted(m.to[0] for m in mail.outbox) == sorted([gp.email, nurse.email])
    email = next(m for m in mail.outbox if m.to == [gp.email])
    assert "Beeldbellen met gasten" in email.subject
    html = email.alternatives[0][0]
    assert "<strong>gasten</strong>" in html
    assert "<script" not in html
    assert "/nieuw/afmelden/" in email.body

    with committing():
        release_note_mail_task.delay(note.pk)
    assert release_note_mail_followers(note_id=note.pk) == 0
    assert len(mail.outbox) == 2
    assert ReleaseNoteMailing.objects.filter(note=note).count() == 2


def test_editing_a_note_sends_nothing_again(client, gp, helpdesk, committing):
    _follow(client, gp)
    client.force_login(helpdesk)
    note = _publish_in_admin(client, committing)
    with committing():
        client.post(
            reverse("admin:support_releasenote_change", args=[note.pk]),
            {
                "version": note.version,
                "date": "2026-12-07",
                "title": "Beeldbellen met gasten (bijgewerkt)",
                "body": note.body,
                "_save": "Opslaan",
            },
        )
    assert len(mail.outbox) == 1


def test_unsubscribe_through_the_signed_link_without_logging_in(client, gp):
    ReleaseNoteReader.objects.create(user=gp, follows=True)
    url = reverse("support:unsubscribe", kwargs={"token": unsubscribe_token(user=gp)})
    page = client.get(url)
    assert page.status_code == 200
    assert ReleaseNoteReader.objects.get(user=gp).follows  # a GET (a mail scanner) changes nothing
    done = client.post(url)
    assert done.status_code == 200
    assert "Je krijgt geen e-mails meer over nieuwe versies." in done.content.decode()
    assert not ReleaseNoteReader.objects.get(user=gp).follows


def test_a_tampered_link_is_refused_in_dutch_and_the_user_stays_subscribed(client, gp, nurse):
    ReleaseNoteReader.objects.create(user=gp, follows=True)
    token = unsubscribe_token(user=gp)
    forged = token.replace(token.split(":")[0], unsubscribe_token(user=nurse).split(":")[0])
    for bad in (token[:-2] + "xx", forged, "zomaar-iets"):
        response = client.post(reverse("support:unsubscribe", kwargs={"token": bad}))
        assert response.status_code == 404
        assert "Deze link is niet geldig. Er is niets veranderd." in response.content.decode()
    assert ReleaseNoteReader.objects.get(user=gp).follows


def test_newest_note_shows_once_on_the_start_page_until_dismissed(client, gp):
    ReleaseNote.objects.create(
        version="2.3", date=datetime.date(2026, 11, 1), title="Oud", body="-"
    )
    ReleaseNote.objects.create(
        version="2.4", date=datetime.date(2026, 12, 1), title="Nieuwe hulp", body="-"
    )
    client.force_login(gp)
    home = client.get(reverse("home")).content.decode()
    assert "Nieuwe hulp" in home and 'id="release-note-notice"' in home
    assert "Oude versie-info" not in home
    note = ReleaseNote.objects.get(version="2.4")
    # Without JavaScript: a normal form post, back to where one was.
    response = client.post(
        reverse("support:release-note-dismiss", kwargs={"pk": note.pk}), {"next": "/"}
    )
    assert response.status_code == 302 and response["Location"] == "/"
    assert 'id="release-note-notice"' not in client.get(reverse("home")).content.decode()
    # With htmx: the notice is swapped for nothing.
    newer = ReleaseNote.objects.create(
        version="2.5", date=datetime.date(2026, 12, 5), title="Nog nieuwer", body="-"
    )
    assert "Nog nieuwer" in client.get(reverse("home")).content.decode()
    response = client.post(
        reverse("support:release-note-dismiss", kwargs={"pk": newer.pk}), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and response.content.strip() == b""
    assert 'id="release-note-notice"' not in client.get(reverse("home")).content.decode()


def test_whats_new_page_lists_notes_and_follows_switch(client, gp):
    ReleaseNote.objects.create(
        version="2.4", date=datetime.date(2026, 12, 1), title="Nieuwe hulp", body="**Vet**"
    )
    client.force_login(gp)
    html = client.get(reverse("support:release-notes")).content.decode()
    assert "Nieuwe hulp" in html and "<strong>Vet</strong>" in html
    assert "Volgen" in html
    _follow(client, gp)
    assert ReleaseNoteReader.objects.get(user=gp).follows
    client.post(reverse("support:release-notes-follow"), {})
    assert not ReleaseNoteReader.objects.get(user=gp).follows

"""Inviting care providers: the practice invites a network partner, a lead provider a colleague.

Covers creating (into an existing or a proposed organisation), the refusals, the status list,
resending and revoking. Accepting is in ``test_invitation_accept.py``; the helpdesk's
confirmation of a proposed organisation in ``test_organisation_confirm.py``.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.levels import Role
from accounts.models import Invitation, Organisation, OrganisationKind, StaffChange
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

A = StaffChange.Action
LINK = re.compile(r"/uitnodiging/[A-Za-z0-9_-]+/")
DAYS = datetime.timedelta(days=14)


@pytest.fixture
def frozen(time_machine):
    """Stop the clock so expiry dates can be compared exactly."""
    time_machine.move_to(timezone.now(), tick=False)
    return time_machine


def _log_in(client, user):
    # A fresh session: after a time jump the old one would have timed out.
    client.logout()
    client.force_login(user)
    return client


def _in_dutch(msgid: str, **params) -> str:
    """What Dutch users read for ``msgid`` (the msgid itself while it is not yet translated)."""
    with translation.override("nl"):
        text = gettext(msgid)
    return text % params if params else text


def _invitation_mails(outbox, email):
    return [message for message in outbox if message.to == [email]]


def _link(message) -> str:
    """The path of the single-use link in an invitation e-mail (text and HTML agree)."""
    paths = set(LINK.findall(message.body))
    html = message.alternatives[0][0]
    assert set(LINK.findall(html)) == paths
    assert len(paths) == 1, message.body
    return paths.pop()


def _invite(client, headers=None, **data):
    payload = {
        "first_name": "Fenna",
        "infix": "van der",
        "last_name": "Meer",
        "email": "f.vandermeer@fysiocentrum.nl",
        "organisation": "",
        "new_organisation_name": "",
        "new_organisation_kind": "",
    }
    payload.update(data)
    return client.post(reverse("accounts:invitation-create"), payload, headers=headers)


def _errors(response) -> dict:
    return response.context["form"].errors


def _flash_level(response) -> str:
    """The level of the message this request added (earlier unread ones come first)."""
    return [m.level_tag for m in get_messages(response.wsgi_request)][-1]


# --- Practice invites a provider of a network organisation -------------------------------------


@pytest.mark.parametrize(
    ("site_url", "expected"),
    [
        # Not configured (`make run PORT=8080` started by hand, a developer's server): the link
        # goes to the address, port included, that the inviter used, not to a fixed :8000.
        ("", "http://127.0.0.1:8080"),
        # Configured (always in production): that address, whatever Host the request carried.
        ("https://regiozorg.example.nl", "https://regiozorg.example.nl"),
    ],
)
def test_invitation_email_links_to_the_address_the_site_is_served_at(
    client,
    gp,
    physio_practice,
    settings,
    mailoutbox,
    django_capture_on_commit_callbacks,
    site_url,
    expected,
):
    settings.SITE_URL = site_url
    client.force_login(gp)

    with django_capture_on_commit_callbacks(execute=True):
        _invite(client, organisation=physio_practice.pk, headers={"host": "127.0.0.1:8080"})

    [message] = mailoutbox
    path = _link(message)
    assert expected + path in message.body
    assert f'href="{expected}{path}"' in message.alternatives[0][0]


def test_practice_invites_a_provider_of_an_existing_network_organisation(
    client, gp, practice, physio_practice, frozen, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(gp)

    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(client, organisation=physio_practice.pk)

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:invitation-list")
    invitation = Invitation.objects.get()
    assert invitation.email == "f.vandermeer@fysiocentrum.nl"
    assert invitation.organisation == physio_practice
    assert invitation.inviting_organisation == practice
    assert invitation.invited_by == gp
    assert invitation.source == Invitation.Source.PRACTICE
    assert invitation.role == Role.PROVIDER
    assert invitation.level == ""
    assert invitation.status == Invitation.Status.PENDING
    assert invitation.sent_at == timezone.now()
    assert invitation.send_count == 1
    assert invitation.expires_at == timezone.now() + DAYS
    # The Dutch e-mail: HTML and plain text, the single-use link, no medical data.
    [message] = mailoutbox
    assert message.to == ["f.vandermeer@fysiocentrum.nl"]
    assert message.subject == _in_dutch(
        "Invitation to Regiozorg for %(org)s", org=physio_practice.name
    )
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert '<html lang="nl"' in html
    path = _link(message)
    # An absolute link to the address the site was used at (no SITE_URL configured in tests).
    assert "http://testserver" + path in message.body
    assert "Fenna van der Meer" in message.body
    # Recorded: who invited whom into what, and that it went out.
    changes = StaffChange.objects.filter(subject_email=invitation.email).order_by("pk")
    assert [(c.action, c.actor, c.organisation) for c in changes] == [
        (A.INVITATION_CREATED, gp, physio_practice),
        (A.INVITATION_SENT, gp, physio_practice),
    ]
    assert changes[0].details["invitation"] == invitation.pk
    # The link in the e-mail opens the accept form for an anonymous visitor.
    anonymous = client.__class__()
    page = anonymous.get(path)
    assert page.status_code == 200
    assert page.context["invitation"] == invitation
    assert "form" in page.context


def test_the_invitation_is_dutch_even_when_the_inviter_reads_english(
    client, gp, physio_practice, mailoutbox, django_capture_on_commit_callbacks
):
    # The invitee has no language yet: Dutch, whatever the inviter's screen shows.
    gp.language = "en"
    gp.save(update_fields=["language"])
    client.force_login(gp)

    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(client, organisation=physio_practice.pk)

    assert response.status_code == 302
    [message] = mailoutbox
    dutch = _in_dutch("Invitation to Regiozorg for %(org)s", org=physio_practice.name)
    assert message.subject == dutch
    with translation.override("nl"):
        accept = gettext("Accept invitation")
    assert accept in message.alternatives[0][0]


def test_practice_assistant_may_invite_providers_too(
    client, assistant, physio_practice, mailoutbox, django_capture_on_commit_callbacks
):
    # Level E: "all collaboration around the patient", which includes inviting partners.
    client.force_login(assistant)

    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(client, organisation=physio_practice.pk)

    assert response.status_code == 302
    assert Invitation.objects.get().invited_by == assistant
    assert len(mailoutbox) == 1


def test_practice_proposes_a_new_organisation_and_the_invitation_waits(
    client, gp, practice, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(gp)

    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(
            client,
            email="m.dijkstra@apotheekdebrug.nl",
            new_organisation_name="Apotheek De Brug",
            new_organisation_kind=OrganisationKind.PHARMACY,
        )

    assert response.status_code == 302
    organisation = Organisation.objects.get(name="Apotheek De Brug")
    assert organisation.kind == OrganisationKind.PHARMACY
    assert organisation.is_active is False
    assert organisation.proposed_by == gp
    assert organisation.confirmed_at is None
    invitation = Invitation.objects.get()
    assert invitation.organisation == organisation
    assert invitation.inviting_organisation == practice
    assert invitation.status == Invitation.Status.PENDING
    assert invitation.sent_at is None
    assert invitation.send_count == 0
    assert mailoutbox == []
    assert list(
        StaffChange.objects.filter(subject_email=invitation.email).values_list("action", flat=True)
    ) == [A.INVITATION_CREATED]
    # The list says it is waiting for the helpdesk.
    listing = client.get(reverse("accounts:invitation-list"))
    assert listing.status_code == 200
    assert list(listing.context["page"]) == [invitation]
    assert _in_dutch("Waiting for the helpdesk to confirm the organisation") in (
        listing.content.decode()
    )
    # An unconfirmed organisation is not offered to invite more people into.
    form = client.get(reverse("accounts:invitation-create")).context["form"]
    assert organisation not in form.fields["organisation"].queryset


def test_whole_journey_helpdesk_confirms_the_new_organisation_and_the_invitation_goes_out(
    client, gp, helpdesk, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(gp)
    with django_capture_on_commit_callbacks(execute=True):
        _invite(
            client,
            email="m.dijkstra@apotheekdebrug.nl",
            new_organisation_name="Apotheek De Brug",
            new_organisation_kind=OrganisationKind.PHARMACY,
        )
    organisation = Organisation.objects.get(name="Apotheek De Brug")
    assert mailoutbox == []

    _log_in(client, helpdesk)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:accounts_organisation_changelist"),
            {"action": "confirm", "_selected_action": [organisation.pk]},
        )

    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.is_active is True
    assert organisation.confirmed_at is not None
    invitation = Invitation.objects.get()
    assert invitation.sent_at is not None
    assert invitation.send_count == 1
    [message] = mailoutbox
    assert message.to == ["m.dijkstra@apotheekdebrug.nl"]
    assert StaffChange.objects.filter(
        action=A.ORGANISATION_CONFIRMED, actor=helpdesk, organisation=organisation
    ).exists()
    # Now the link works.
    client.logout()
    assert client.get(_link(message)).status_code == 200


def test_practice_cannot_invite_into_a_gp_practice_or_care_group(
    client, gp, other_practice, mailoutbox
):
    care_group = OrganisationFactory(
        name="Zorggroep Friesland", kind=OrganisationKind.CARE_GROUP, agb_code="07011111"
    )
    client.force_login(gp)

    for organisation in (other_practice, care_group):
        response = _invite(client, organisation=organisation.pk)
        assert response.status_code == 422
        assert "organisation" in _errors(response)

    for kind in (OrganisationKind.GP_PRACTICE, OrganisationKind.CARE_GROUP):
        response = _invite(
            client, new_organisation_name="Huisartsen Noord", new_organisation_kind=kind
        )
        assert response.status_code == 422
        assert "new_organisation_kind" in _errors(response)

    assert not Invitation.objects.exists()
    assert not Organisation.objects.filter(name="Huisartsen Noord").exists()
    assert mailoutbox == []


def test_choosing_both_an_existing_and_a_new_organisation_is_refused(
    client, gp, physio_practice, mailoutbox
):
    client.force_login(gp)

    response = _invite(
        client,
        organisation=physio_practice.pk,
        new_organisation_name="Apotheek De Brug",
        new_organisation_kind=OrganisationKind.PHARMACY,
    )

    assert response.status_code == 422
    assert "new_organisation_name" in _errors(response)
    assert not Invitation.objects.exists()
    assert not Organisation.objects.filter(name="Apotheek De Brug").exists()


def test_an_organisation_is_required(client, gp):
    client.force_login(gp)

    neither = _invite(client)
    no_kind = _invite(client, new_organisation_name="Apotheek De Brug")

    assert neither.status_code == no_kind.status_code == 422
    assert "organisation" in _errors(neither)
    assert "new_organisation_kind" in _errors(no_kind)
    assert not Invitation.objects.exists()
    assert not Organisation.objects.filter(name="Apotheek De Brug").exists()


def test_a_second_open_invitation_for_the_same_person_and_organisation_is_refused(
    client, gp, physio_practice, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(gp)
    with django_capture_on_commit_callbacks(execute=True):
        assert _invite(client, organisation=physio_practice.pk).status_code == 302

    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(
            client, organisation=physio_practice.pk, email="F.vanderMeer@Fysiocentrum.nl"
        )

    assert response.status_code == 422
    assert _errors(response)["email"] == [
        _in_dutch("This person already has an open invitation for this organisation.")
    ]
    assert Invitation.objects.count() == 1
    assert StaffChange.objects.filter(action=A.INVITATION_CREATED).count() == 1
    assert len(mailoutbox) == 1


def test_inviting_someone_who_already_works_there_is_refused(client, gp, physio, physio_practice):
    client.force_login(gp)

    response = _invite(client, organisation=physio_practice.pk, email=physio.email.upper())

    assert response.status_code == 422
    assert "email" in _errors(response)
    assert not Invitation.objects.exists()


def test_an_invalid_email_address_is_refused(client, gp, physio_practice, mailoutbox):
    client.force_login(gp)

    response = _invite(client, organisation=physio_practice.pk, email="fenna@@fysio")

    assert response.status_code == 422
    assert "email" in _errors(response)
    assert not Invitation.objects.exists()
    assert mailoutbox == []


# --- A lead provider invites a colleague ---------------------------------------------------


def test_lead_provider_invites_a_colleague_of_their_own_organisation(
    client, nurse, nursing, physio_practice, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(nurse)
    form = client.get(reverse("accounts:invitation-create")).context["form"]
    assert "organisation" not in form.fields
    assert "new_organisation_name" not in form.fields

    with django_capture_on_commit_callbacks(execute=True):
        # A smuggled organisation is ignored: a lead provider only invites into their own.
        response = _invite(
            client,
            email="d.hoekstra@thuiszorg.nl",
            organisation=physio_practice.pk,
            new_organisation_name="Elders",
            new_organisation_kind=OrganisationKind.PHARMACY,
        )

    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.organisation == nursing
    assert invitation.inviting_organisation == nursing
    assert invitation.invited_by == nurse
    assert invitation.source == Invitation.Source.COLLEAGUE
    assert invitation.role == Role.PROVIDER
    assert not Organisation.objects.filter(name="Elders").exists()
    [message] = mailoutbox
    assert message.to == ["d.hoekstra@thuiszorg.nl"]
    assert message.subject == _in_dutch("Invitation to Regiozorg for %(org)s", org=nursing.name)
    assert StaffChange.objects.filter(
        action=A.INVITATION_SENT, actor=nurse, organisation=nursing
    ).exists()
    assert list(client.get(reverse("accounts:invitation-list")).context["page"]) == [invitation]


def test_provider_who_is_not_lead_cannot_invite(client, physio, mailoutbox):
    client.force_login(physio)

    assert client.get(reverse("accounts:invitation-create")).status_code == 403
    assert _invite(client, email="collega@fysiocentrum.nl").status_code == 403
    assert client.get(reverse("accounts:invitation-list")).status_code == 403
    assert not Invitation.objects.exists()
    assert mailoutbox == []


# --- The status list -------------------------------------------------------------------------


def _issue(client, email, organisation, capture):
    with capture(execute=True):
        response = _invite(client, email=email, organisation=organisation.pk)
    assert response.status_code == 302, response.context and _errors(response)
    return Invitation.objects.get(email=email)


def test_status_list_shows_pending_accepted_expired_and_revoked(
    client, gp, physio_practice, nursing, frozen, mailoutbox, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    client.force_login(gp)
    old = _issue(client, "oud@fysiocentrum.nl", physio_practice, capture)
    frozen.shift(datetime.timedelta(days=10))
    _log_in(client, gp)
    pending = _issue(client, "open@fysiocentrum.nl", physio_practice, capture)
    accepted = _issue(client, "ja@thuiszorg.nl", nursing, capture)
    revoked = _issue(client, "weg@thuiszorg.nl", nursing, capture)
    links = {message.to[0]: _link(message) for message in mailoutbox}
    anonymous = client.__class__()
    response = anonymous.post(
        links[accepted.email],
        {
            "first_name": "Jan",
            "infix": "",
            "last_name": "Akkerman",
            "password1": "Juiste-paard-batterij-42",
            "password2": "Juiste-paard-batterij-42",
        },
    )
    assert response.status_code == 302
    assert client.post(reverse("accounts:invitation-revoke", args=[revoked.pk])).status_code == 302
    frozen.shift(datetime.timedelta(days=5))  # the first one is now 15 days old
    _log_in(client, gp)

    listing = client.get(reverse("accounts:invitation-list"))

    assert listing.status_code == 200
    html = listing.content.decode()
    rows = {invitation.email: invitation for invitation in listing.context["page"]}
    assert set(rows) == {old.email, pending.email, accepted.email, revoked.email}
    assert rows[old.email].is_expired
    assert rows[pending.email].status == Invitation.Status.PENDING
    assert not rows[pending.email].is_expired
    assert rows[accepted.email].status == Invitation.Status.ACCEPTED
    assert rows[revoked.email].status == Invitation.Status.REVOKED
    for label in ("Expired", "Pending", "Accepted", "Revoked"):
        assert _in_dutch(label) in html, label
    # Only open invitations (incl. the expired one, which can be revived) offer "send again".
    for invitation in (old, pending):
        assert reverse("accounts:invitation-resend", args=[invitation.pk]) in html
    for invitation in (accepted, revoked):
        assert reverse("accounts:invitation-resend", args=[invitation.pk]) not in html
        assert reverse("accounts:invitation-revoke", args=[invitation.pk]) not in html
    # The expired link is refused with an explanation.
    refused = anonymous.get(links[old.email])
    assert refused.status_code == 410
    assert refused.context["message"] == _in_dutch(
        "This invitation has expired. Ask the person who invited you to send it again."
    )
    assert "form" not in refused.context


def test_an_invitation_expires_after_14_days(
    client, gp, physio_practice, frozen, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(gp)
    invitation = _issue(
        client, "f.vandermeer@fysiocentrum.nl", physio_practice, django_capture_on_commit_callbacks
    )
    path = _link(mailoutbox[0])

    frozen.shift(DAYS - datetime.timedelta(minutes=1))
    assert client.__class__().get(path).status_code == 200
    frozen.shift(datetime.timedelta(minutes=1))
    response = client.__class__().post(
        path,
        {
            "first_name": "Fenna",
            "last_name": "Meer",
            "password1": "Juiste-paard-batterij-42",
            "password2": "Juiste-paard-batterij-42",
        },
    )

    assert response.status_code == 410
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING
    assert invitation.accepted_user is None


def test_resend_issues_a_new_link_and_14_more_days(
    client, gp, physio_practice, frozen, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(gp)
    invitation = _issue(
        client, "f.vandermeer@fysiocentrum.nl", physio_practice, django_capture_on_commit_callbacks
    )
    old_link = _link(mailoutbox[0])
    frozen.shift(datetime.timedelta(days=3))
    _log_in(client, gp)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:invitation-resend", args=[invitation.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:invitation-list")
    assert _flash_level(response) == "success"
    invitation.refresh_from_db()
    assert invitation.send_count == 2
    assert invitation.sent_at == timezone.now()
    assert invitation.expires_at == timezone.now() + DAYS
    assert len(mailoutbox) == 2
    new_link = _link(mailoutbox[1])
    assert mailoutbox[1].to == [invitation.email]
    assert new_link != old_link
    anonymous = client.__class__()
    assert anonymous.get(old_link).status_code == 404
    assert anonymous.get(new_link).status_code == 200
    sent = StaffChange.objects.filter(action=A.INVITATION_SENT, subject_email=invitation.email)
    assert sorted(change.details["times"] for change in sent) == [1, 2]


def test_resending_an_expired_invitation_revives_it(
    client, gp, physio_practice, frozen, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(gp)
    invitation = _issue(
        client, "f.vandermeer@fysiocentrum.nl", physio_practice, django_capture_on_commit_callbacks
    )
    frozen.shift(datetime.timedelta(days=20))
    _log_in(client, gp)
    invitation.refresh_from_db()
    assert invitation.is_expired

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:invitation-resend", args=[invitation.pk]))

    invitation.refresh_from_db()
    assert not invitation.is_expired
    assert invitation.status == Invitation.Status.PENDING
    assert invitation.expires_at == timezone.now() + DAYS
    assert client.__class__().get(_link(mailoutbox[-1])).status_code == 200
    listing = client.get(reverse("accounts:invitation-list"))
    assert not listing.context["page"][0].is_expired


def test_revoking_makes_the_link_unusable(
    client, gp, physio_practice, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(gp)
    invitation = _issue(
        client, "f.vandermeer@fysiocentrum.nl", physio_practice, django_capture_on_commit_callbacks
    )
    path = _link(mailoutbox[0])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:invitation-revoke", args=[invitation.pk]))

    assert response.status_code == 302
    assert _flash_level(response) == "success"
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.REVOKED
    assert invitation.revoked_by == gp
    assert invitation.revoked_at is not None
    assert StaffChange.objects.filter(
        action=A.INVITATION_REVOKED, actor=gp, subject_email=invitation.email
    ).exists()
    assert len(mailoutbox) == 1  # revoking tells nobody
    refused = client.__class__().get(path)
    assert refused.status_code == 410
    assert refused.context["message"] == _in_dutch("This invitation has been withdrawn.")


def _snapshot(invitation):
    invitation.refresh_from_db()
    return (
        invitation.status,
        invitation.token_hash,
        invitation.expires_at,
        invitation.send_count,
        invitation.revoked_at,
    )


@pytest.mark.parametrize("action", ["invitation-resend", "invitation-revoke"])
def test_resend_or_revoke_of_a_revoked_invitation_changes_nothing(
    client, gp, physio_practice, mailoutbox, django_capture_on_commit_callbacks, action
):
    client.force_login(gp)
    invitation = _issue(
        client, "f.vandermeer@fysiocentrum.nl", physio_practice, django_capture_on_commit_callbacks
    )
    client.post(reverse("accounts:invitation-revoke", args=[invitation.pk]))
    before = _snapshot(invitation)
    changes = StaffChange.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse(f"accounts:{action}", args=[invitation.pk]))

    assert response.status_code == 302
    assert _flash_level(response) == "error"
    assert _snapshot(invitation) == before
    assert StaffChange.objects.count() == changes
    assert len(mailoutbox) == 1


@pytest.mark.parametrize("action", ["invitation-resend", "invitation-revoke"])
def test_resend_or_revoke_of_an_accepted_invitation_changes_nothing(
    client, gp, physio_practice, mailoutbox, django_capture_on_commit_callbacks, action
):
    client.force_login(gp)
    invitation = _issue(
        client, "f.vandermeer@fysiocentrum.nl", physio_practice, django_capture_on_commit_callbacks
    )
    accepted = client.__class__().post(
        _link(mailoutbox[0]),
        {
            "first_name": "Fenna",
            "last_name": "Meer",
            "password1": "Juiste-paard-batterij-42",
            "password2": "Juiste-paard-batterij-42",
        },
    )
    assert accepted.status_code == 302
    before = _snapshot(invitation)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse(f"accounts:{action}", args=[invitation.pk]))

    assert _flash_level(response) == "error"
    assert _snapshot(invitation) == before
    assert invitation.status == Invitation.Status.ACCEPTED
    assert len(mailoutbox) == 1


def test_resending_an_invitation_that_waits_for_the_helpdesk_sends_nothing(
    client, gp, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(gp)
    _invite(
        client,
        new_organisation_name="Apotheek De Brug",
        new_organisation_kind=OrganisationKind.PHARMACY,
    )
    invitation = Invitation.objects.get()
    before = _snapshot(invitation)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:invitation-resend", args=[invitation.pk]))

    assert _flash_level(response) == "error"
    assert _snapshot(invitation) == before
    assert mailoutbox == []


@pytest.mark.parametrize("action", ["invitation-resend", "invitation-revoke"])
def test_another_organisation_cannot_resend_or_revoke(
    client,
    gp,
    outsider,
    nurse,
    physio_practice,
    mailoutbox,
    django_capture_on_commit_callbacks,
    action,
):
    client.force_login(gp)
    invitation = _issue(
        client, "f.vandermeer@fysiocentrum.nl", physio_practice, django_capture_on_commit_callbacks
    )
    before = _snapshot(invitation)

    for stranger in (outsider, nurse):
        _log_in(client, stranger)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse(f"accounts:{action}", args=[invitation.pk]))
        assert response.status_code == 404
        assert invitation not in client.get(reverse("accounts:invitation-list")).context["page"]

    assert _snapshot(invitation) == before
    assert len(mailoutbox) == 1


def test_resend_and_revoke_only_accept_post(client, gp, physio_practice):
    client.force_login(gp)
    _invite(client, organisation=physio_practice.pk)
    invitation = Invitation.objects.get()

    for action in ("invitation-resend", "invitation-revoke"):
        assert client.get(reverse(f"accounts:{action}", args=[invitation.pk])).status_code == 405
    assert _snapshot(invitation)[0] == Invitation.Status.PENDING

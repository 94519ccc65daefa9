"""The helpdesk confirms an organisation a practice proposed; the waiting invitations go out.

Done with the admin action "confirm" on the organisation changelist, as the helpdesk would.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts import services
from accounts.models import Invitation, Membership, Organisation, OrganisationKind, StaffChange
from accounts.staff_access import invitable_organisations
from tests.factories import UserFactory, totp_enable

pytestmark = pytest.mark.django_db

A = StaffChange.Action
LINK = re.compile(r"/uitnodiging/[A-Za-z0-9_-]+/")
CHANGELIST = "admin:accounts_organisation_changelist"


def _in_dutch(msgid: str, **params) -> str:
    with translation.override("nl"):
        text = gettext(msgid)
    return text % params if params else text


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    return time_machine


@pytest.fixture
def proposed(client, gp, mailoutbox, django_capture_on_commit_callbacks):
    """De Linde invites a pharmacist of a pharmacy that is not in Regiozorg yet."""
    client.force_login(gp)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:invitation-create"),
            {
                "first_name": "Marije",
                "last_name": "Dijkstra",
                "email": "m.dijkstra@apotheekdebrug.nl",
                "new_organisation_name": "Apotheek De Brug",
                "new_organisation_kind": OrganisationKind.PHARMACY,
            },
        )
    assert response.status_code == 302
    client.logout()
    assert mailoutbox == []
    return Organisation.objects.get(name="Apotheek De Brug")


def _confirm(client, *organisations):
    return client.post(
        reverse(CHANGELIST),
        {"action": "confirm", "_selected_action": [org.pk for org in organisations]},
    )


def test_helpdesk_sees_the_proposed_organisation_waiting(client, helpdesk, proposed, gp):
    client.force_login(helpdesk)

    response = client.get(reverse(CHANGELIST), {"is_active__exact": "0"})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [proposed]
    assert proposed.awaits_confirmation
    assert proposed.proposed_by == gp


def test_helpdesk_confirms_and_the_waiting_invitation_is_sent(
    client, helpdesk, proposed, practice, frozen, mailoutbox, django_capture_on_commit_callbacks
):
    # The helpdesk takes its time: the 14 days count from the moment the e-mail goes out.
    frozen.shift(datetime.timedelta(days=20))
    client.force_login(helpdesk)

    with django_capture_on_commit_callbacks(execute=True):
        response = _confirm(client, proposed)

    assert response.status_code == 302
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["success"]
    proposed.refresh_from_db()
    assert proposed.is_active
    assert proposed.confirmed_at == timezone.now()
    assert not proposed.awaits_confirmation
    invitation = Invitation.objects.get()
    assert invitation.sent_at == timezone.now()
    assert invitation.send_count == 1
    assert invitation.expires_at == timezone.now() + datetime.timedelta(days=14)
    [message] = mailoutbox
    assert message.to == ["m.dijkstra@apotheekdebrug.nl"]
    assert message.subject == _in_dutch(
        "Invitation to Regiozorg for %(org)s", org="Apotheek De Brug"
    )
    assert '<html lang="nl"' in message.alternatives[0][0]
    assert (
        StaffChange.objects.filter(
            action=A.ORGANISATION_CONFIRMED, actor=helpdesk, organisation=proposed
        ).count()
        == 1
    )
    assert StaffChange.objects.filter(
        action=A.INVITATION_SENT, actor=helpdesk, subject_email=invitation.email
    ).exists()
    # The invitee's link works, and the organisation can now be chosen for more invitations.
    [path] = LINK.findall(message.body)
    client.logout()
    assert client.get(path).status_code == 200
    assert proposed in invitable_organisations(Membership.objects.get(user__email="gp@delinde.nl"))


def test_the_practice_list_shows_the_invitation_as_pending_after_confirmation(
    client, gp, helpdesk, proposed, django_capture_on_commit_callbacks
):
    client.force_login(helpdesk)
    with django_capture_on_commit_callbacks(execute=True):
        _confirm(client, proposed)
    client.logout()
    client.force_login(gp)

    listing = client.get(reverse("accounts:invitation-list"))

    [invitation] = listing.context["page"]
    assert invitation.sent_at is not None
    assert _in_dutch("Pending") in listing.content.decode()


def test_confirming_twice_sends_nothing_twice(
    client, helpdesk, proposed, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(helpdesk)
    with django_capture_on_commit_callbacks(execute=True):
        _confirm(client, proposed)
    proposed.refresh_from_db()
    confirmed_at = proposed.confirmed_at
    invitation = Invitation.objects.get()
    token_hash = invitation.token_hash

    with django_capture_on_commit_callbacks(execute=True):
        response = _confirm(client, proposed)

    assert response.status_code == 302
    assert len(mailoutbox) == 1
    invitation.refresh_from_db()
    assert invitation.send_count == 1
    assert invitation.token_hash == token_hash  # the link in the first e-mail still works
    proposed.refresh_from_db()
    assert proposed.confirmed_at == confirmed_at
    assert StaffChange.objects.filter(action=A.INVITATION_SENT).count() == 1


def test_a_revoked_waiting_invitation_is_not_sent_on_confirmation(
    client, gp, helpdesk, proposed, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(gp)
    invitation = Invitation.objects.get()
    client.post(reverse("accounts:invitation-revoke", args=[invitation.pk]))
    client.logout()
    client.force_login(helpdesk)

    with django_capture_on_commit_callbacks(execute=True):
        _confirm(client, proposed)

    proposed.refresh_from_db()
    assert proposed.is_active
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.REVOKED
    assert invitation.sent_at is None
    assert mailoutbox == []


def test_a_normal_user_cannot_confirm(
    client, gp, proposed, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(gp)

    with django_capture_on_commit_callbacks(execute=True):
        response = _confirm(client, proposed)

    # Not staff: the admin sends them to log in, and nothing happens.
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    proposed.refresh_from_db()
    assert not proposed.is_active
    assert proposed.confirmed_at is None
    assert Invitation.objects.get().sent_at is None
    assert mailoutbox == []
    assert not StaffChange.objects.filter(action=A.ORGANISATION_CONFIRMED).exists()


def test_staff_without_the_change_permission_cannot_confirm(
    client, proposed, mailoutbox, django_capture_on_commit_callbacks
):
    reader = UserFactory(email="lezer@kzf.nl", is_staff=True)
    reader.user_permissions.add(Permission.objects.get(codename="view_organisation"))
    totp_enable(reader)  # staff must have a second factor to get into the admin at all
    client.force_login(reader)

    with django_capture_on_commit_callbacks(execute=True):
        response = _confirm(client, proposed)

    # The action is not offered to them; the list is shown again and nothing happens.
    assert response.status_code == 200
    assert response.context["action_form"] is None  # a reader is offered no actions
    proposed.refresh_from_db()
    assert not proposed.is_active
    assert mailoutbox == []
    with pytest.raises(PermissionDenied):
        services.organisation_confirm(helpdesk_user=reader, organisation=proposed)
    proposed.refresh_from_db()
    assert not proposed.is_active


def test_the_service_refuses_a_practice_user(gp, proposed, mailoutbox):
    with pytest.raises(PermissionDenied):
        services.organisation_confirm(helpdesk_user=gp, organisation=proposed)

    proposed.refresh_from_db()
    assert not proposed.is_active
    assert mailoutbox == []


def test_a_proposed_organisation_cannot_be_switched_on_by_ticking_active(
    client, helpdesk, proposed
):
    """Only "confirm" activates it, because only confirm sends the invitations that waited."""
    client.force_login(helpdesk)

    response = client.get(reverse("admin:accounts_organisation_change", args=[proposed.pk]))

    assert response.status_code == 200
    assert "is_active" not in response.context["adminform"].form.fields
    services.organisation_confirm(helpdesk_user=helpdesk, organisation=proposed)
    response = client.get(reverse("admin:accounts_organisation_change", args=[proposed.pk]))
    assert "is_active" in response.context["adminform"].form.fields

"""Who may open which staff-management screen or do which action: one table, one row per screen.

Columns are the actors: level A of De Linde (``gp``), a level-C colleague, level E
(``assistant``), a network provider who is not lead (``physio``), a lead provider (``nurse``),
the helpdesk, level A of another practice (``outsider``) and an anonymous visitor.

Outcomes:

* ``200``   the screen opens.
* ``done``  the action happened: the redirect of a successful action, and its effect is in the
  database.
* ``403``   signed in, but not theirs to do; nothing changes.
* ``404``   the object belongs to another organisation, which is not revealed; nothing changes.
* ``login`` anonymous: sent to the login page; nothing changes.
* ``admin403`` signed in without helpdesk rights at the admin: sent to the admin login, which
  refuses them (403); nothing changes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from accounts.levels import Level
from accounts.models import AccountRequest, Invitation, Membership, Organisation
from tests.staff.fixtures_requests import (
    SEED_FORM,
    account_request,
    colleague_membership,
    invitation_by,
    level_c_member,
)

pytestmark = pytest.mark.django_db

OK, DONE, DENIED, HIDDEN, LOGIN, ADMIN = "200", "done", "403", "404", "login", "admin403"

NEW_COLLEAGUE = "nieuw@delinde.nl"
NEW_PROVIDER = "nieuwe.zorgverlener@example.nl"


@dataclasses.dataclass
class World:
    """What the actions act on: all of it belongs to De Linde, except where named."""

    practice: Organisation
    partner: Organisation
    colleague: Membership  # a level-D colleague at De Linde
    request: AccountRequest  # pending, made by the gp
    invitation: Invitation  # sent from De Linde to a provider of the partner
    colleague_invitation: Invitation  # sent by the lead provider to a colleague of her own


@dataclasses.dataclass(frozen=True)
class Action:
    method: str
    url: Callable[[World], str]
    data: Callable[[World], dict] = lambda world: {}
    done: str = ""  # where a successful action redirects to (URL name)
    effect: Callable[[World], bool] | None = None  # did the action happen?


def _approved(world):
    world.request.refresh_from_db()
    return world.request.status == AccountRequest.Status.APPROVED


def _resent(invitation):
    invitation.refresh_from_db()
    return invitation.send_count == 2


def _revoked(invitation):
    invitation.refresh_from_db()
    return invitation.status == Invitation.Status.REVOKED


def _access(world):
    world.colleague.refresh_from_db()
    return world.colleague.has_patient_data_access


ACTIONS = {
    "staff list": Action("get", lambda w: reverse("accounts:staff-list")),
    "account request form": Action("get", lambda w: reverse("accounts:account-request")),
    "account request submit": Action(
        "post",
        lambda w: reverse("accounts:account-request"),
        data=lambda w: {**SEED_FORM, "email": NEW_COLLEAGUE},
        done="accounts:staff-list",
        effect=lambda w: AccountRequest.objects.filter(email=NEW_COLLEAGUE).exists(),
    ),
    "level change form": Action(
        "get", lambda w: reverse("accounts:level-change", args=[w.colleague.pk])
    ),
    "level change submit": Action(
        "post",
        lambda w: reverse("accounts:level-change", args=[w.colleague.pk]),
        data=lambda w: {"level": Level.C, "remarks": "Wordt POH"},
        done="accounts:staff-list",
        effect=lambda w: AccountRequest.objects.filter(target_membership=w.colleague).exists(),
    ),
    "patient-data access": Action(
        "post",
        lambda w: reverse("accounts:patient-data-access", args=[w.colleague.pk]),
        data=lambda w: {"granted": "on"},
        done="accounts:staff-list",
        effect=_access,
    ),
    "invitation list": Action("get", lambda w: reverse("accounts:invitation-list")),
    "invitation form": Action("get", lambda w: reverse("accounts:invitation-create")),
    "invitation submit": Action(
        "post",
        lambda w: reverse("accounts:invitation-create"),
        # A lead provider's form has no organisation field: she invites into her own.
        data=lambda w: {
            "first_name": "Nienke",
            "last_name": "Nieuwenhuis",
            "email": NEW_PROVIDER,
            "organisation": w.partner.pk,
        },
        done="accounts:invitation-list",
        effect=lambda w: Invitation.objects.filter(email=NEW_PROVIDER).exists(),
    ),
    "invitation resend": Action(
        "post",
        lambda w: reverse("accounts:invitation-resend", args=[w.invitation.pk]),
        done="accounts:invitation-list",
        effect=lambda w: _resent(w.invitation),
    ),
    "invitation revoke": Action(
        "post",
        lambda w: reverse("accounts:invitation-revoke", args=[w.invitation.pk]),
        done="accounts:invitation-list",
        effect=lambda w: _revoked(w.invitation),
    ),
    "lead's invitation resend": Action(
        "post",
        lambda w: reverse("accounts:invitation-resend", args=[w.colleague_invitation.pk]),
        done="accounts:invitation-list",
        effect=lambda w: _resent(w.colleague_invitation),
    ),
    "lead's invitation revoke": Action(
        "post",
        lambda w: reverse("accounts:invitation-revoke", args=[w.colleague_invitation.pk]),
        done="accounts:invitation-list",
        effect=lambda w: _revoked(w.colleague_invitation),
    ),
    "admin: account requests": Action(
        "get", lambda w: reverse("admin:accounts_accountrequest_changelist")
    ),
    "admin: approve request": Action(
        "post",
        lambda w: reverse("admin:accounts_accountrequest_approve", args=[w.request.pk]),
        done="admin:accounts_accountrequest_changelist",
        effect=_approved,
    ),
}

ACTORS = ("gp", "level_c", "assistant", "physio", "nurse", "helpdesk", "outsider", "anonymous")

# fmt: off
TABLE = {
    #                            gp      C       E       physio  nurse   helpdesk outsider anonymous
    "staff list":               (OK,     DENIED, DENIED, DENIED, DENIED, DENIED, OK,     LOGIN),
    "account request form":     (OK,     DENIED, DENIED, DENIED, DENIED, DENIED, OK,     LOGIN),
    "account request submit":   (DONE,   DENIED, DENIED, DENIED, DENIED, DENIED, DONE,   LOGIN),
    "level change form":        (OK,     DENIED, DENIED, DENIED, DENIED, DENIED, HIDDEN, LOGIN),
    "level change submit":      (DONE,   DENIED, DENIED, DENIED, DENIED, DENIED, HIDDEN, LOGIN),
    "patient-data access":      (DONE,   DENIED, DENIED, DENIED, DENIED, DENIED, HIDDEN, LOGIN),
    "invitation list":          (OK,     OK,     OK,     DENIED, OK,     DENIED, OK,     LOGIN),
    "invitation form":          (OK,     OK,     OK,     DENIED, OK,     DENIED, OK,     LOGIN),
    "invitation submit":        (DONE,   DONE,   DONE,   DENIED, DONE,   DENIED, DONE,   LOGIN),
    "invitation resend":        (DONE,   DONE,   DONE,   DENIED, HIDDEN, DENIED, HIDDEN, LOGIN),
    "invitation revoke":        (DONE,   DONE,   DONE,   DENIED, HIDDEN, DENIED, HIDDEN, LOGIN),
    "lead's invitation resend": (HIDDEN, HIDDEN, HIDDEN, DENIED, DONE,   DENIED, HIDDEN, LOGIN),
    "lead's invitation revoke": (HIDDEN, HIDDEN, HIDDEN, DENIED, DONE,   DENIED, HIDDEN, LOGIN),
    "admin: account requests":  (ADMIN,  ADMIN,  ADMIN,  ADMIN,  ADMIN,  OK,     ADMIN,  LOGIN),
    "admin: approve request":   (ADMIN,  ADMIN,  ADMIN,  ADMIN,  ADMIN,  DONE,   ADMIN,  LOGIN),
}
# fmt: on

CASES = [
    pytest.param(screen, actor, outcome, id=f"{screen} | {actor} -> {outcome}")
    for screen, outcomes in TABLE.items()
    for actor, outcome in zip(ACTORS, outcomes, strict=True)
]


@pytest.fixture
def world(gp, nurse, practice, physio_practice) -> World:
    return World(
        practice=practice,
        partner=physio_practice,
        colleague=colleague_membership(practice, level=Level.D),
        request=account_request(gp),
        invitation=invitation_by(gp, physio_practice),
        colleague_invitation=invitation_by(
            nurse,
            email="collega@thuiszorg.nl",
            first_name="Klaske",
            last_name="de Jong",
        ),
    )


@pytest.fixture
def level_c(practice):
    return level_c_member(practice)


def _client_for(request, actor: str) -> Client:
    client = Client()
    if actor != "anonymous":
        client.force_login(request.getfixturevalue(actor))
    return client


def _follow_to_the_end(client, response):
    """Follow redirects with GETs (as a browser does after a refusal) to the final answer."""
    for _hop in range(5):
        if response.status_code != 302:
            return response
        response = client.get(response["Location"])
    raise AssertionError("redirect loop")


def test_every_screen_has_a_row_and_every_row_an_outcome_per_actor():
    assert set(TABLE) == set(ACTIONS)


@pytest.mark.parametrize(("screen", "actor", "outcome"), CASES)
def test_staff_management_permissions(request, world, screen, actor, outcome):
    # Every actor exists in every case, so a refusal never comes from a missing object.
    for name in ("level_c", "assistant", "physio", "helpdesk", "outsider"):
        request.getfixturevalue(name)
    action = ACTIONS[screen]
    client = _client_for(request, actor)

    response = getattr(client, action.method)(action.url(world), action.data(world))

    if outcome == OK:
        assert response.status_code == 200
    elif outcome == DONE:
        assert response.status_code == 302, response.content[:1000]
        assert response["Location"] == reverse(action.done)
    elif outcome in (DENIED, HIDDEN):
        assert response.status_code == int(outcome)
    elif outcome == LOGIN:
        assert response.status_code == 302
        final = response
        while not final["Location"].startswith(reverse("account_login")):
            final = client.get(final["Location"])
            assert final.status_code == 302
    elif outcome == ADMIN:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
        assert _follow_to_the_end(client, response).status_code == 403
    else:  # pragma: no cover
        raise AssertionError(outcome)

    if action.effect is not None:
        assert action.effect(world) is (outcome == DONE)

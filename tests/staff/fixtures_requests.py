"""Helpers for the staff-management tests (plain functions; each test module wraps what it needs
in its own fixtures, so ``tests/staff/conftest.py`` stays free for everyone).

Extra actors beyond ``tests/conftest.py``: a level-C member of the practice and a colleague whose
level, access or account the tests change. Requests and invitations are made through the
services, exactly as the screens make them.
"""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, pgettext

from accounts import services
from accounts.levels import Level
from accounts.models import AccountRequest, Membership, Organisation
from tests.factories import PASSWORD, MembershipFactory, UserFactory

INVITATION_LINK = re.compile(r"/uitnodiging/[A-Za-z0-9_-]+/")

SEED_FORM = {
    "initials": "J.",
    "infix": "van der",
    "last_name": "Meer",
    "agb_code": "01234567",
    "email": "j.vandermeer@delinde.nl",
    "mobile": "06 12345678",
    "level": Level.C,
    "remarks": "Begint op 1 maart als POH.",
}
"""The seed's account request form, filled in as a practice manager would."""


def membership_of(user, organisation: Organisation | None = None) -> Membership:
    memberships = Membership.objects.select_related("organisation", "user").filter(user=user)
    if organisation is not None:
        memberships = memberships.filter(organisation=organisation)
    return memberships.get()


def level_c_member(practice: Organisation):
    """A practice nurse (POH) of level C: collaborates and invites, but manages no staff."""
    user = UserFactory(email="poh@delinde.nl", first_name="Petra", last_name="de Vries")
    MembershipFactory(user=user, organisation=practice, level=Level.C)
    return user


def colleague_membership(practice: Organisation, *, level: str = Level.D, **user_fields):
    """A colleague at the practice whose level, access or account the tests change."""
    fields = {"email": "collega@delinde.nl", "first_name": "Cor", "last_name": "Dijkstra"}
    fields.update(user_fields)
    return MembershipFactory(user=UserFactory(**fields), organisation=practice, level=level)


def account_request(manager_user, **overrides) -> AccountRequest:
    """A pending new-account request, made by ``manager_user`` (level A) with the seed's form."""
    data = {**SEED_FORM, **overrides}
    return services.account_request_create(manager=membership_of(manager_user), **data)


def level_change_request(manager_user, membership: Membership, level: str, remarks: str = ""):
    return services.level_change_request_create(
        manager=membership_of(manager_user), membership=membership, level=level, remarks=remarks
    )


def invitation_by(inviter_user, organisation: Organisation | None = None, **overrides):
    """An invitation sent by ``inviter_user``: from a practice to a provider of
    ``organisation``, or from a lead provider to a colleague of her own organisation."""
    data = {
        "email": "d.visser@fysiocentrum.nl",
        "first_name": "Dieuwke",
        "last_name": "Visser",
    }
    data.update(overrides)
    return services.invitation_create(
        inviter=membership_of(inviter_user), organisation=organisation, **data
    )


def log_in_with_password(user, client: Client | None = None) -> Client:
    """The real allauth login (so allauth's ``UserSession`` row exists), for users without a
    second factor; returns the logged-in client."""
    client = client or Client()
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]
    assert response["Location"] == reverse("home")
    return client


def approve(client: Client, request: AccountRequest):
    return client.post(reverse("admin:accounts_accountrequest_approve", args=[request.pk]))


def reject(client: Client, request: AccountRequest, reason: str):
    return client.post(
        reverse("admin:accounts_accountrequest_reject", args=[request.pk]), {"reason": reason}
    )


def mails_to(outbox, address: str) -> list:
    return [message for message in outbox if address in message.to]


def html_part(message) -> str:
    htmls = [content for content, mimetype in message.alternatives if mimetype == "text/html"]
    assert len(htmls) == 1, "every e-mail has exactly one HTML part"
    return htmls[0]


def in_dutch(msgid: str, context: str | None = None, **params) -> str:
    """What a Dutch user reads for ``msgid`` (the msgid itself while it is not translated yet)."""
    with translation.override("nl"):
        text = pgettext(context, msgid) if context else gettext(msgid)
    return text % params if params else text


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def admin_form_data(response, **changes) -> dict:
    """The POST a browser sends for an admin change form (with its inlines), plus ``changes``
    (field name with prefix → value; ``None`` leaves a field out, as an unticked box)."""
    data = {}

    def add(form, name, field):
        if field.disabled:
            return
        value = field.prepare_value(form[name].value())
        if value is None or value is False:
            return
        if value is True:
            value = "on"
        data[form.add_prefix(name)] = (
            [str(v) for v in value] if isinstance(value, list | tuple) else value
        )

    form = response.context["adminform"].form
    for name, field in form.fields.items():
        add(form, name, field)
    for inline in response.context.get("inline_admin_formsets", []):
        formset = inline.formset
        for name, field in formset.management_form.fields.items():
            add(formset.management_form, name, field)
        for inline_form in formset.forms:
            for name, field in inline_form.fields.items():
                add(inline_form, name, field)
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data

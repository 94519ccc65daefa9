"""The helpdesk and a person's credentials: it resets, it never sets.

The helpdesk can remove a lost second factor and send a password-reset link to the person's own
address, and it creates accounts without a password. It never sees or chooses a password, a
TOTP secret or recovery codes, so it cannot log in as anyone. Every step is checked by
``require_account_keeper`` (not on itself, not on a superuser), recorded in ``StaffChange`` and
e-mailed to the person, after commit.
"""

from __future__ import annotations

from allauth.account import app_settings as account_settings
from allauth.account.forms import ResetPasswordForm
from allauth.account.utils import user_pk_to_url_str
from allauth.core import context as allauth_context
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.email import email_send
from accounts.models import StaffChange, User
from accounts.services.staff import sessions_end, staff_change_record
from accounts.staff_access import require_account_keeper, require_helpdesk
from core.site import site_url

A = StaffChange.Action


@transaction.atomic
def second_factor_reset(*, actor: User, user: User) -> list[str]:
    """Remove all of ``user``'s authenticators (app, recovery codes, security keys).

    Their sessions end at once. Whoever needs a second factor (``accounts.mfa_policy``) is sent
    to set one up again at the next login, before any patient data. The person is told by
    e-mail, so a reset they did not ask for reaches them. Returns the removed types.
    """
    require_account_keeper(actor, user)
    user = User.objects.select_for_update().get(pk=user.pk)
    authenticators = Authenticator.objects.filter(user=user)
    types = sorted(set(authenticators.values_list("type", flat=True)))
    if not types:
        raise ValidationError(
            _("%(email)s has no second factor to reset.") % {"email": user.email},
            code="no_second_factor",
        )
    authenticators.delete()
    ended = sessions_end(user)
    staff_change_record(
        actor=actor,
        action=A.SECOND_FACTOR_RESET,
        subject=user,
        removed=types,
        sessions_ended=ended,
    )
    email_send(
        to=[user.email],
        template="accounts/email/second_factor_reset",
        context={"user": user},
        language=user.language,
    )
    return types


def _refuse_inactive(user: User) -> None:
    if not user.is_active:
        raise ValidationError(
            _("%(email)s is deactivated: reactivate the account first.") % {"email": user.email},
            code="inactive",
        )


@transaction.atomic
def password_reset_link_send(*, actor: User, user: User, request) -> None:
    """Send allauth's ordinary password-reset e-mail to ``user``'s own address.

    The link reaches only the person; the helpdesk learns nothing it could log in with.
    ``request`` is the helpdesk's: allauth builds the e-mail (and its link) from it.
    """
    require_account_keeper(actor, user)
    _refuse_inactive(user)
    form = ResetPasswordForm(data={"email": user.email})
    if not form.is_valid() or user not in form.users:
        raise ValidationError(
            _("%(email)s: no reset link could be sent.") % {"email": user.email},
            code="reset_failed",
        )
    with allauth_context.request_context(request):
        form.save(request)
    staff_change_record(actor=actor, action=A.PASSWORD_RESET_SENT, subject=user)


def _set_password_link(user: User) -> str:
    """A link to allauth's own reset-from-key page: the person chooses their first password."""
    token = account_settings.PASSWORD_RESET_TOKEN_GENERATOR().make_token(user)
    path = reverse(
        "account_reset_password_from_key",
        kwargs={"uidb36": user_pk_to_url_str(user), "key": token},
    )
    return site_url() + path


@transaction.atomic
def account_create(*, actor: User, account: User) -> User:
    """Save a new account the helpdesk filled in: no password, no rights, recorded.

    Takes the unsaved instance because the admin saves the memberships of the add page onto that
    very object afterwards. The person gets an e-mail with a link to choose their own password.
    """
    require_helpdesk(actor, "accounts.add_user")
    account.is_staff = account.is_superuser = False
    account.set_unusable_password()
    account.full_clean(exclude=["password"])
    account.save()
    staff_change_record(actor=actor, action=A.USER_CREATED, subject=account)
    email_send(
        to=[account.email],
        template="accounts/email/account_created",
        context={
            "user": account,
            "link": _set_password_link(account),
            "valid_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
        },
        language=account.language,
    )
    return account

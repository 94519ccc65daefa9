"""The secure session (beveiligde sessie) guard for patient data.

A session is secure while the user's most recent second-factor check (at login or through
allauth's re-authentication flow) is younger than ``SECURE_SESSION_TIMEOUT``. Views that show
patient data wrap themselves in :func:`secure_session_required`; when the window has passed the
user is sent through allauth's MFA re-authentication and comes back to where they were.
"""

from __future__ import annotations

import time
from functools import wraps

from allauth.account.authentication import get_authentication_records
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from accounts.mfa_policy import has_second_factor


def secure_session_expires_at(request) -> float | None:
    """Unix time at which the secure session ends, or None when there is none."""
    if not request.user.is_authenticated:
        return None
    if request.user.is_demo_account and not settings.DEMO_ACCOUNTS_REQUIRE_MFA:
        # Same exemption as the login policy (accounts.mfa_policy): the embedded demo only.
        return time.time() + settings.SECURE_SESSION_TIMEOUT
    checks = [
        record["at"]
        for record in get_authentication_records(request, request.user)
        if record.get("method") == "mfa"
    ]
    if not checks:
        return None
    expires = max(checks) + settings.SECURE_SESSION_TIMEOUT
    return expires if expires > time.time() else None


def secure_session_active(request) -> bool:
    return secure_session_expires_at(request) is not None


def redirect_to_second_factor(request):
    """Off to the second-factor check (or its set-up), and back to this page afterwards."""
    next_qs = urlencode({"next": request.get_full_path()})
    if has_second_factor(request.user):
        messages.info(request, _("Confirm with your second factor to start a secure session."))
        url = f"{reverse('mfa_reauthenticate')}?{next_qs}"
    else:
        messages.warning(
            request, _("Set up a second factor first; patient data needs a secure session.")
        )
        url = reverse("mfa_activate_totp")
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return redirect(url)


def secure_session_required(view_func):
    """Decorator: login, then a recent second-factor check, else re-authenticate."""

    @wraps(view_func)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not secure_session_active(request):
            return redirect_to_second_factor(request)
        return view_func(request, *args, **kwargs)

    return wrapper

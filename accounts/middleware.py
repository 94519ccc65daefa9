from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from accounts.mfa_policy import has_second_factor, second_factor_required
from accounts.selectors import ACTIVE_ORGANISATION_SESSION_KEY, membership_active, memberships_for

SESSION_STARTED_KEY = "rz_session_started"
LAST_ACTIVITY_KEY = "rz_last_activity"
# Writing the session on every request costs a query; a minute of slack is harmless.
ACTIVITY_WRITE_INTERVAL = 60


def session_ends_at(session) -> float:
    """Unix time at which ``session`` ends by its clocks: idle or absolute, whichever comes
    first. A session without them (no login went through ``start_session_clock``) has ended.
    For whatever reads a session outside a page request (the live websocket)."""
    started = session.get(SESSION_STARTED_KEY, 0)
    last = session.get(LAST_ACTIVITY_KEY, 0)
    return min(last + settings.SESSION_IDLE_TIMEOUT, started + settings.SESSION_ABSOLUTE_LIFETIME)


class SessionTimeoutMiddleware:
    """Ends a session after ``SESSION_IDLE_TIMEOUT`` idle or ``SESSION_ABSOLUTE_LIFETIME`` old."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = time.time()
            session = request.session
            started = session.setdefault(SESSION_STARTED_KEY, now)
            last = session.get(LAST_ACTIVITY_KEY, now)
            idle = now - last > settings.SESSION_IDLE_TIMEOUT
            too_old = now - started > settings.SESSION_ABSOLUTE_LIFETIME
            if idle or too_old:
                logout(request)
                if idle:
                    minutes = settings.SESSION_IDLE_TIMEOUT // 60
                    text = _(
                        "You have been logged out after %(minutes)d minutes without activity."
                    ) % {"minutes": minutes}
                else:
                    text = _("Your session has ended; please log in again.")
                messages.info(request, text)
            elif now - last >= ACTIVITY_WRITE_INTERVAL or LAST_ACTIVITY_KEY not in session:
                session[LAST_ACTIVITY_KEY] = now
        return self.get_response(request)


class ActiveMembershipMiddleware:
    """Sets ``request.memberships`` and ``request.membership`` (the active organisation)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.memberships = memberships_for(user=request.user)
        request.membership = membership_active(
            memberships=request.memberships,
            organisation_id=request.session.get(ACTIVE_ORGANISATION_SESSION_KEY),
        )
        return self.get_response(request)


def language_for(user, cookies) -> str:
    """The language of the pages (and of a live socket's messages): the user's choice in their
    profile, else the language switch's cookie, else Dutch."""
    supported = {code for code, _name in settings.LANGUAGES}
    if user is not None and user.is_authenticated and user.language in supported:
        return user.language
    cookie = (cookies or {}).get(settings.LANGUAGE_COOKIE_NAME)
    return cookie if cookie in supported else settings.LANGUAGE_CODE


class LanguageMiddleware:
    """Dutch unless the user chose otherwise (profile, or the language switch cookie).

    Replaces Django's LocaleMiddleware on purpose: the browser's Accept-Language is ignored,
    so a care provider with an English browser still gets the Dutch product.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = language_for(getattr(request, "user", None), request.COOKIES)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


class RequireSecondFactorMiddleware:
    """Whoever may see patient data (or use the admin) must have set up a second factor.

    Until they have, every page except the ones needed to set it up (and to log out or ask
    the helpdesk) redirects to the TOTP set-up page.
    """

    EXEMPT_PREFIXES = (
        "/accounts/",
        "/static/",
        "/healthz",
        "/taal/",
        "/contact/",
        "/uitnodiging/",
        # The web app's shell (no patient data): a redirect would break the service worker.
        "/manifest.webmanifest",
        "/sw.js",
        "/offline/",
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Pages that are exempt (the set-up itself) must not start background requests that
        # this middleware would redirect: the context processor reads this flag.
        request.second_factor_missing = (
            request.user.is_authenticated
            and second_factor_required(user=request.user, memberships=request.memberships)
            and not has_second_factor(request.user)
        )
        if request.second_factor_missing and not request.path.startswith(self.EXEMPT_PREFIXES):
            messages.warning(
                request,
                _("Patient data needs a second factor. Please set it up now."),
            )
            url = reverse("mfa_activate_totp")
            if getattr(request, "htmx", False):
                # Not a 3xx: the browser would follow it inside the XHR and htmx would swap
                # the set-up page into the target instead of navigating to it.
                return HttpResponseClientRedirect(url)
            return redirect(url)
        return self.get_response(request)

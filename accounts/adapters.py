from __future__ import annotations

import time

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.authentication import get_authentication_records
from allauth.usersessions.adapter import DefaultUserSessionsAdapter
from django.contrib.sites.requests import RequestSite
from django.core.exceptions import PermissionDenied

from accounts.client_ip import client_ip
from accounts.email import email_queue
from accounts.middleware import SESSION_STARTED_KEY
from accounts.signals import session_ended_send

PRODUCT_NAME = "Regiozorg"


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        """Nobody signs up: accounts come from the helpdesk or from an invitation."""
        return False

    def send_mail(self, template_prefix, email, context):
        """Render now (allauth's Dutch templates), send from a Celery worker after commit."""
        # The same base context allauth's own send_mail gives its templates, but greeting
        # from the product ("Hallo van Regiozorg!") rather than from a host name.
        site = RequestSite(self.request)
        site.name = PRODUCT_NAME
        ctx = {"request": self.request, "email": email, "current_site": site}
        ctx.update(context)
        message = self.render_mail(template_prefix, email, ctx)
        email_queue(message)

    def get_client_ip(self, request) -> str:
        """The address rate limits and sessions count by: the one ``accounts.client_ip``
        gives the access log too (proxy-aware only when configured)."""
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine client IP address")
        return ip

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        """A password entered at login a moment ago counts as recent re-authentication.

        Without this, a user who must set up a second factor right after logging in would be
        asked for the password they just typed.
        """
        if not super().is_reauthentication_required(app=app, **kwargs):
            return False
        request = self.request
        user = getattr(request, "user", None)
        if request is None or user is None or not user.is_authenticated:
            return True
        moments = [record["at"] for record in get_authentication_records(request, user)]
        # Logging in by accepting an invitation (password just chosen) counts as well.
        moments.append(request.session.get(SESSION_STARTED_KEY, 0))
        latest = max(moments)
        return time.time() - latest >= account_settings.REAUTHENTICATION_TIMEOUT


class UserSessionsAdapter(DefaultUserSessionsAdapter):
    def end_sessions(self, sessions) -> None:
        """Sessions ended from the sessions list: their open websockets close too."""
        for session in sessions:
            session.end()
            session_ended_send(user_id=session.user_id, session_key=session.session_key)

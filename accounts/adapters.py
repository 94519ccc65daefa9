from __future__ import annotations

import time

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.authentication import get_authentication_records
from django.contrib.sites.requests import RequestSite

from accounts.email import email_queue
from accounts.middleware import SESSION_STARTED_KEY

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

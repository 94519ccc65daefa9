import logging

from django.shortcuts import render

from network.selectors import ACTIVE_ORGANISATION_SESSION_KEY, membership_active, memberships_for

logger = logging.getLogger(__name__)


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


class AccessLogFailureMiddleware:
    """Fail closed: when the access log cannot be written, show an apology, not the data."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from network.access_log import AccessLogUnavailable

        if not isinstance(exception, AccessLogUnavailable):
            return None
        logger.error("access log unavailable: %s", exception)
        response = render(request, "network/access_log_unavailable.html", status=503)
        response["Retry-After"] = "60"
        return response

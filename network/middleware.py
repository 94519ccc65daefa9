import logging

from django.shortcuts import render

logger = logging.getLogger(__name__)


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

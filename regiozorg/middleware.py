import re
import uuid

from django.utils.cache import patch_cache_control

_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


class RequestIdMiddleware:
    """Gives every request an id (the proxy's ``X-Request-ID`` when sane, else a new one).

    The access log records it, and the response carries it, so a helpdesk ticket, a server log
    line and a log entry can be tied together.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request.request_id = incoming if _VALID_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on every response this process makes: patient pages, the
    access-log CSV, FHIR exports, attachments — and every other page too, because pages name
    colleagues, patients in lists and messages, and a rule per view would be forgotten on the
    next one. Nothing dynamic here is worth caching.

    Static files keep their long caching: WhiteNoise, placed before this middleware, answers
    them without ever reaching it. The web app's shell keeps its own header too
    (``SHELL_PATHS``, ``regiozorg/pwa.py``): the manifest, the service worker script and the
    offline page name no user and no patient, and the worker must be able to keep the offline
    page. Only their 200 answers; an error there is no-store like everything else.
    """

    SHELL_PATHS = frozenset({"/manifest.webmanifest", "/sw.js", "/offline/"})

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path in self.SHELL_PATHS and response.status_code == 200:
            return response
        patch_cache_control(response, no_store=True)
        return response

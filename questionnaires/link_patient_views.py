"""The page a patient opens from the link in their e-mail or text message: no account.

One address per message (``/vragenlijst/<token>/``); what it shows depends on the link:

- a token nobody sent: "this link does not work" (404), the same for every wrong token;
- a link that ended (filled in, withdrawn, blocked) or expired: a plain message (410), and
  nothing about the patient or the questionnaire;
- a browser signed in to Regiozorg (a care provider's): "log out first", since what they did
  would be logged as the patient; they fill it in on the patient's page under their own name;
- otherwise first the date of birth. Wrong tries are counted on the link (locked for a while,
  then ended) and per address (``ACCOUNT_RATE_LIMITS["patient_link_birth_date"]``). A right one
  sets a cookie for this link's address only (signed, HttpOnly, SameSite=Strict, valid
  ``PATIENT_LINK_SESSION_MINUTES`` after the last step), bound to this link and this token;
- answers posted after that cookie ran out (a long pause) ask for the date of birth again and
  are carried in that form, to the browser that sent them; kept as the draft once it is right;
- then the questions, with what was saved before. *Save and continue later* keeps the answers;
  *Send* stores one response (the form's ``client_key``) and ends the link.

The page loads no script and nothing from another site: its own stricter CSP says so
(``default-src 'none'``; only our style sheet and images, and Bootstrap's ``data:`` ones), it
sends no referrer to another site (the token is in the address) and is never cached or indexed.
"""

from __future__ import annotations

import uuid

from allauth.core import ratelimit
from csp.constants import NONE, SELF
from csp.decorators import csp
from django.conf import settings
from django.core import signing
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from questionnaires import library_selectors as selectors
from questionnaires.link_forms import BirthDateForm
from questionnaires.link_selectors import patient_link_by_token
from questionnaires.link_services import (
    LinkClosed,
    patient_link_birth_date_check,
    patient_link_draft_save,
    patient_link_open,
    patient_link_submit,
)
from questionnaires.models import PatientLink
from questionnaires.scoring import answers_check

COOKIE = "rz_vragenlijst"
_SALT = "questionnaires.patient-link"

PATIENT_PAGE_CSP = {
    "default-src": [NONE],
    "script-src": [NONE],
    "style-src": [SELF],
    "img-src": [SELF, "data:"],  # Bootstrap draws a checked radio's dot as a data: SVG
    "font-src": [SELF],
    "connect-src": [NONE],
    "form-action": [SELF],
    "base-uri": [NONE],
    "frame-ancestors": [NONE],
}


def _render(request, template, context, *, status=200):
    response = render(
        request, f"questionnaires/patient_link/{template}.html", context, status=status
    )
    # Not "no-referrer": a browser then sends "Origin: null" with the page's own forms, and the
    # CSRF check refuses them. "same-origin" gives the address (with the token) to this site only.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _cookie_value(link: PatientLink, digest: str) -> str:
    return signing.TimestampSigner(salt=_SALT).sign(f"{link.pk}:{digest}")


def _confirmed(request, link: PatientLink, digest: str) -> bool:
    value = request.COOKIES.get(COOKIE, "")
    try:
        unsigned = signing.TimestampSigner(salt=_SALT).unsign(
            value, max_age=settings.PATIENT_LINK_SESSION_MINUTES * 60
        )
    except signing.BadSignature:
        return False
    return unsigned == f"{link.pk}:{digest}"


def _keep_confirmed(response, request, link, digest) -> None:
    response.set_cookie(
        COOKIE,
        _cookie_value(link, digest),
        max_age=settings.PATIENT_LINK_SESSION_MINUTES * 60,
        path=request.path,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Strict",
    )


def _ended(request, link: PatientLink | None):
    if link is None:
        return _render(request, "ended", {"reason": "unknown"}, status=404)
    reason = link.end_reason if link.ended_at else PatientLink.EndReason.EXPIRED
    status = 200 if reason == PatientLink.EndReason.SUBMITTED else 410  # "thank you" is no error
    return _render(request, "ended", {"reason": reason}, status=status)


@csp(PATIENT_PAGE_CSP)
@require_http_methods(["GET", "POST"])
def patient_link(request, token):
    if not ratelimit.consume(request, action="patient_link"):
        return _render(request, "ended", {"reason": "rate_limited"}, status=429)
    found = patient_link_by_token(token)
    link, digest = found if found else (None, "")
    if link is None:
        return _ended(request, None)
    if link.ended_at is not None or link.is_expired:
        if (
            request.method == "POST"
            and link.end_reason == PatientLink.EndReason.SUBMITTED
            and request.POST.get("client_key") == str(link.response.client_key)
        ):  # the same answers sent again (a flaky connection): they arrived the first time
            return redirect(request.path)
        return _ended(request, link)
    if getattr(request.user, "is_authenticated", False):
        # A care provider's own browser: what they do here would be logged as the patient.
        # They fill it in under their own name on the patient's page instead (or log out).
        return _render(request, "ended", {"reason": "signed_in"}, status=200)
    if not _confirmed(request, link, digest):
        return _birth_date(request, link, digest)
    if request.method == "POST" and request.POST.get("step") == "birth-date":
        # Confirmed already (a second tab, or Back): the questions, the saved answers untouched.
        return redirect(request.path)
    return _questions(request, link, digest)


def _carried(request, link: PatientLink):
    """Answers posted by a browser whose confirmation ran out (the patient took longer than
    ``PATIENT_LINK_SESSION_MINUTES``): (definition, answers by question), else (None, {}).
    The birth-date form carries them back to the browser that sent them; they are stored as
    the draft only once the date of birth is right."""
    if request.method != "POST" or not any(k.startswith("q-") for k in request.POST):
        return None, {}
    definition = selectors.definition_of(selectors.questionnaire_get_any(link.questionnaire_id))
    given = {
        i.link_id: request.POST.get(f"q-{i.link_id}", "")[:4000]
        for i in definition.items
        if request.POST.get(f"q-{i.link_id}")
    }
    return definition, given


def _birth_date(request, link: PatientLink, digest: str):
    form = BirthDateForm(request.POST if request.POST.get("step") == "birth-date" else None)
    definition, carried = _carried(request, link)
    problem = ""
    status = 200
    if carried and not form.is_bound:
        problem = _(
            "For your safety, enter your date of birth again. Your answers have not been sent "
            "yet; they are kept once you have done so."
        )
    if form.is_bound:
        status = 422
        if not ratelimit.consume(request, action="patient_link_birth_date"):
            problem = _("Too many tries from this connection. Try again in ten minutes.")
            status = 429
        elif form.is_valid():
            result = patient_link_birth_date_check(
                request=request, link=link, birth_date=form.cleaned_data["birth_date"]
            )
            if result.ok:
                if carried:
                    try:
                        patient_link_draft_save(
                            request=request, link=link, definition=definition, given=carried
                        )
                    except LinkClosed:
                        return _ended(request, PatientLink.objects.get(pk=link.pk))
                response = redirect(request.path)
                _keep_confirmed(response, request, link, digest)
                return response
            if result.blocked:
                return _ended(request, PatientLink.objects.get(pk=link.pk))
            if result.locked_until:
                problem = _("The date of birth was wrong too often. Try again after %(time)s.") % {
                    "time": timezone.localtime(result.locked_until).strftime("%H:%M")
                }
                status = 429
            else:
                problem = _("This date of birth does not match. Check it and try again.")
    elif link.locked_until and link.locked_until > timezone.now():
        problem = _("The date of birth was wrong too often. Try again after %(time)s.") % {
            "time": timezone.localtime(link.locked_until).strftime("%H:%M")
        }
    context = {
        "form": form,
        "problem": problem,
        "carried": [(f"q-{key}", value) for key, value in carried.items()],
    }
    return _render(request, "birth_date", context, status=status)


def _questions(request, link: PatientLink, digest: str):
    questionnaire = selectors.questionnaire_get_any(link.questionnaire_id)
    definition = selectors.definition_of(questionnaire)
    values = dict(link.draft)
    errors: dict = {}
    client_key = uuid.uuid4()
    notice = ""
    status = 200
    if request.method == "POST":
        values = {i.link_id: request.POST.get(f"q-{i.link_id}", "") for i in definition.items}
        try:
            client_key = uuid.UUID(request.POST.get("client_key", ""))
        except ValueError:
            client_key = uuid.uuid4()
        try:
            if request.POST.get("action") == "save":
                patient_link_draft_save(
                    request=request, link=link, definition=definition, given=values
                )
                notice = "saved"
            else:
                checked = answers_check(definition, values)
                errors = checked.errors
                if not errors:
                    patient_link_submit(
                        request=request,
                        link=link,
                        definition=definition,
                        answers=checked.answers,
                        client_key=client_key,
                    )
                    response = redirect(request.path)
                    response.delete_cookie(COOKIE, path=request.path)
                    return response
                patient_link_draft_save(
                    request=request, link=link, definition=definition, given=values
                )
                status = 422
        except LinkClosed:
            return _ended(request, PatientLink.objects.get(pk=link.pk))
    else:
        patient_link_open(request=request, link=link)
    context = {
        "link": link,
        "questionnaire": questionnaire,
        "items": selectors.question_rows(definition, values, errors),
        "error_count": len(errors),
        "client_key": client_key,
        "notice": notice,
        "expires_at": timezone.localtime(link.expires_at),
    }
    response = _render(request, "questions", context, status=status)
    _keep_confirmed(response, request, link, digest)
    return response

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import selectors, services
from accounts.forms import (
    AbsenceForm,
    ColleagueSearchForm,
    LanguageForm,
    ProfileForm,
)
from accounts.mfa_policy import has_second_factor
from accounts.secure_session import secure_session_expires_at

SEARCH_PAGE_SIZE = 25


def _profile_context(request, *, form=None, absence_form=None):
    today = timezone.localdate()
    return {
        "form": form or ProfileForm(instance=request.user),
        "absence_form": absence_form or AbsenceForm(),
        "absences": request.user.absences.filter(end__gte=today).order_by("start"),
        # Moved here from the start page, which is the day's work now.
        "membership": request.membership,
        "has_second_factor": has_second_factor(request.user),
        "secure_session_until": secure_session_expires_at(request),
        "push_public_key": settings.WEBPUSH_VAPID_PUBLIC_KEY,
        "push_devices": selectors.push_subscriptions_for(user=request.user),
    }


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    if request.method == "POST":
        form = ProfileForm(request.POST, instance=request.user)
        if form.is_valid():
            services.profile_update(user=request.user, **form.cleaned_data)
            messages.success(request, _("Your profile has been saved."))
            return redirect("accounts:profile")
        # The form mutated request.user while validating; show the stored values elsewhere.
        request.user.refresh_from_db()
        return render(
            request, "accounts/profile.html", _profile_context(request, form=form), status=422
        )
    return render(request, "accounts/profile.html", _profile_context(request))


def _absences_response(request, *, absence_form=None, status=200):
    template = "accounts/profile.html#absences" if request.htmx else "accounts/profile.html"
    return render(
        request, template, _profile_context(request, absence_form=absence_form), status=status
    )


@login_required
@require_POST
def absence_create(request):
    form = AbsenceForm(request.POST)
    if form.is_valid():
        try:
            services.absence_add(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
    if not form.is_valid():
        return _absences_response(request, absence_form=form, status=422)
    messages.success(request, _("Absence added."))
    if request.htmx:
        return _absences_response(request)
    return redirect("accounts:profile")


@login_required
@require_POST
def absence_delete(request, pk: int):
    services.absence_remove(user=request.user, absence_id=pk)
    messages.success(request, _("Absence removed."))
    if request.htmx:
        return _absences_response(request)
    return redirect("accounts:profile")


@login_required
@require_GET
def colleague_search(request):
    form = ColleagueSearchForm(request.GET)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    page = None
    if query:
        page = Paginator(selectors.colleague_search(query=query), SEARCH_PAGE_SIZE).get_page(
            request.GET.get("page")
        )
    template = (
        "accounts/colleague_search.html#results"
        if request.htmx and not request.htmx.boosted
        else "accounts/colleague_search.html"
    )
    response = render(request, template, {"form": form, "query": query, "page": page})
    response["Vary"] = "HX-Request"
    return response


@require_POST
def language_set(request):
    form = LanguageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Unknown language."))
        return redirect("home")
    language = form.cleaned_data["language"]
    services.language_set(user=request.user, language=language)
    target = form.cleaned_data["next"] or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        secure=getattr(settings, "LANGUAGE_COOKIE_SECURE", False),
        httponly=True,
    )
    return response


def admin_login(request, extra_context=None):
    """Replaces the admin's own password form, which would bypass allauth.

    Anonymous users log in through allauth (second factor, rate limits); staff go on to the
    admin; anyone else is refused — never shown a form to log in as somebody else.
    """
    target = request.GET.get("next") or reverse("admin:index")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("admin:index")
    if not request.user.is_authenticated:
        return redirect_to_login(target, reverse("account_login"))
    if request.user.is_active and request.user.is_staff:
        return HttpResponseRedirect(target)
    raise PermissionDenied

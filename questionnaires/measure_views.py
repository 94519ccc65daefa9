"""Home-measurement pages. Each view's first line asks ``questionnaires.measure_access`` for
the patient (404 for anyone who may not read their measurements); writes go through
``questionnaires.measure_services``. Every form posts without JavaScript: a bad form is shown
again with Dutch errors and nothing is stored; a good one redirects to the measurements page.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.secure_session import secure_session_required
from core.forms import form_add_validation_error
from core.pagination import query_without_page
from his.selectors import his_endpoint_for
from network.access import Actor
from network.models import AccessAction
from questionnaires import measure_selectors as selectors
from questionnaires import measure_services as services
from questionnaires.measure_access import (
    ENTER,
    THRESHOLDS,
    can_enter,
    can_see_practice_alerts,
    can_set_thresholds,
    measurements_access_for,
    measurements_get_for,
)
from questionnaires.measure_fhir import (
    measurements_bundle,
    measurements_his_export_create,
    measurements_his_exports_for,
    measurements_his_note_get,
)
from questionnaires.measure_forms import MeasurementForm, ThresholdForm
from questionnaires.models import KINDS, MeasurementAlert, MeasurementKind

PAGE = "questionnaires/measurements/page.html"
ENTRY = "questionnaires/measurements/enter.html"
LIMITS = "questionnaires/measurements/thresholds.html"
PRACTICE_ALERTS = "questionnaires/measurements/practice_alerts.html"


def _page_url(pk) -> str:
    return reverse("measurements:page", args=[pk])


@secure_session_required
@require_GET
def measurements_page(request, pk):
    actor = Actor.from_request(request)
    access = measurements_get_for(actor=actor, pk=pk)
    try:
        days = int(request.GET.get("dagen", selectors.DEFAULT_PERIOD))
    except ValueError:
        days = selectors.DEFAULT_PERIOD
    view = selectors.measurements_view_for(access=access, days=days)
    practice = can_set_thresholds(access)
    context = {
        "exports": measurements_his_exports_for(patient=access.patient) if practice else [],
        "his_connected": bool(
            practice and his_endpoint_for(practice_id=access.patient.practice_id)
        ),
        "access": access,
        "patient": access.patient,
        "tab": "measurements",
        "view": view,
        "periods": selectors.PERIODS,
        "can_enter": can_enter(actor, access),
        "can_set_thresholds": can_set_thresholds(access),
    }
    return render(request, PAGE, context)


@secure_session_required
@require_http_methods(["GET", "POST"])
def measurement_enter(request, pk):
    actor = Actor.from_request(request)
    if request.method == "GET":
        access = measurements_get_for(actor=actor, pk=pk, need=ENTER)
        kind = request.GET.get("soort", MeasurementKind.BLOOD_PRESSURE)
        form = MeasurementForm(kind=kind if kind in KINDS else MeasurementKind.BLOOD_PRESSURE)
        return _entry(request, access, form)
    access = measurements_access_for(actor=actor, pk=pk, need=ENTER)
    form = MeasurementForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            reading = services.measurement_record(
                actor=actor,
                access=access,
                kind=form.kind,
                value=data["value"],
                value2=data.get("value2"),
                measured_at=form.measured_at,
                client_key=data["client_key"],
            )
        except ValidationError as exc:
            form_add_validation_error(form, exc)
        else:
            messages.success(
                request,
                _("Saved: %(kind)s %(value)s.")
                % {"kind": reading.get_kind_display().lower(), "value": reading.display_value},
            )
            return redirect(_page_url(pk))
    return _entry(request, access, form, status=422)


def _entry(request, access, form, *, status=200):
    context = {
        "access": access,
        "patient": access.patient,
        "tab": "measurements",
        "form": form,
        "kinds": MeasurementKind.choices,
    }
    return render(request, ENTRY, context, status=status)


@secure_session_required
@require_http_methods(["GET", "POST"])
def thresholds_edit(request, pk):
    actor = Actor.from_request(request)
    if request.method == "GET":
        access = measurements_get_for(actor=actor, pk=pk, need=THRESHOLDS)
        kind = request.GET.get("soort", MeasurementKind.BLOOD_PRESSURE)
        current = selectors.thresholds_for(patient=access.patient)
        initial = {"kind": kind}
        if kind in current:
            t = current[kind]
            initial.update(
                low=t.low, high=t.high, low2=t.low2, high2=t.high2,
                count=t.count, window_hours=t.window_hours,
            )  # fmt: skip
        return _limits(request, access, ThresholdForm(initial=initial), current)
    access = measurements_access_for(actor=actor, pk=pk, need=THRESHOLDS)
    form = ThresholdForm(request.POST)
    if form.is_valid():
        try:
            services.threshold_set(actor=actor, access=access, **form.cleaned_data)
        except ValidationError as exc:
            form_add_validation_error(form, exc)
        else:
            messages.success(request, _("The limits are saved."))
            return redirect(_page_url(pk))
    return _limits(
        request, access, form, selectors.thresholds_for(patient=access.patient), status=422
    )


def _limits(request, access, form, current, *, status=200):
    context = {
        "access": access,
        "patient": access.patient,
        "tab": "measurements",
        "form": form,
        "current": current.values(),
    }
    return render(request, LIMITS, context, status=status)


@secure_session_required
@require_POST
def alert_handle(request, pk, alert_pk):
    actor = Actor.from_request(request)
    access = measurements_access_for(actor=actor, pk=pk, need=THRESHOLDS)
    try:
        services.alert_handle(actor=actor, access=access, alert_pk=alert_pk)
    except MeasurementAlert.DoesNotExist:
        raise Http404 from None
    messages.success(request, _("The alert is marked as handled."))
    return redirect(_page_url(pk))


@secure_session_required
@require_GET
def practice_alerts(request):
    """Every open alert of the practice's patients, newest first, a page at a time: the list
    behind the start page's block. For the practice's staff with patient-data access (403 for
    anyone else); the names shown are logged by the selector."""
    actor = Actor.from_request(request)
    if not can_see_practice_alerts(actor):
        raise PermissionDenied
    page = selectors.practice_alerts_page(actor=actor, page=request.GET.get("page"))
    return render(request, PRACTICE_ALERTS, {"page": page, "keep": query_without_page(request)})


@secure_session_required
@require_GET
def measurements_fhir(request, pk):
    """The patient's readings as a FHIR Bundle of Observations (the practice only)."""
    actor = Actor.from_request(request)
    access = measurements_get_for(actor=actor, pk=pk, need=THRESHOLDS, action=AccessAction.EXPORT)
    response = JsonResponse(
        measurements_bundle(patient=access.patient), json_dumps_params={"indent": 2}
    )
    response["Content-Type"] = "application/fhir+json"
    response["Content-Disposition"] = f'attachment; filename="metingen-{access.patient.pk}.json"'
    return response


@secure_session_required
@require_POST
def measurements_his_export(request, pk):
    """Report the last 90 days of readings to the practice's HIS (a note and the FHIR Bundle)."""
    actor = Actor.from_request(request)
    access = measurements_access_for(actor=actor, pk=pk, need=THRESHOLDS)
    export = measurements_his_export_create(actor=actor, access=access)
    if export is None:
        messages.info(request, _("There are no measurements of the last 90 days to report."))
    elif his_endpoint_for(practice_id=access.patient.practice_id):
        messages.success(request, _("The measurements are being sent to the HIS."))
    else:
        messages.info(
            request,
            _(
                "Your practice has no HIS connection: download the note and paste it into "
                "the patient's journal."
            ),
        )
    return redirect(_page_url(pk))


@secure_session_required
@require_GET
def measurements_his_export_download(request, pk, export_pk):
    actor = Actor.from_request(request)
    access = measurements_access_for(actor=actor, pk=pk, need=THRESHOLDS)
    name, text = measurements_his_note_get(actor=actor, access=access, pk=export_pk)
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response

"""Patient pages. Each view's first line asks ``network.access`` (through a selector)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Membership
from accounts.secure_session import secure_session_required
from core.forms import form_add_validation_error
from core.htmx import partial_or_page
from core.pagination import query_without_page
from network import selectors, services
from network.access import (
    collaborating_actor,
    patient_access_for,
    patient_get_for,
    sees_own_practice_patients,
)
from network.csv_export import csv_writer
from network.forms import (
    AccessLogFilterForm,
    NetworkAddForm,
    NetworkEndForm,
    NetworkSearchForm,
    PatientForm,
    PatientSearchForm,
    VisibilityForm,
)
from network.models import MEDICAL_CATEGORIES, AccessAction, CareNetworkReason, DataCategory
from network.patient_sections import patient_sections_for


@secure_session_required
@require_GET
def patient_list(request):
    actor = collaborating_actor(request)
    form = PatientSearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    page = selectors.patient_list_for(actor=actor, query=query, page=request.GET.get("page"))
    template = partial_or_page(request, "network/patients/list.html", "results")
    response = render(
        request,
        template,
        {
            "form": form,
            "query": query,
            "page": page,
            "keep": query_without_page(request),
            "own_practice": sees_own_practice_patients(actor),
            "no_patient_data_access": actor.membership.organisation.is_gp_practice
            and not actor.membership.has_patient_data_access,
        },
    )
    response["Vary"] = "HX-Request"
    return response


@secure_session_required
@require_http_methods(["GET", "POST"])
def patient_create(request):
    actor = collaborating_actor(request)
    if not sees_own_practice_patients(actor):
        raise PermissionDenied
    form = PatientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            patient = services.patient_create(actor=actor, data=form.cleaned_data)
        except ValidationError as exc:
            form_add_validation_error(form, exc)
        else:
            messages.success(request, _("The patient has been added."))
            return redirect("network:patient-detail", pk=patient.pk)
    return render(request, "network/patients/form.html", {"form": form, "patient": None})


@secure_session_required
@require_http_methods(["GET", "POST"])
def patient_update(request, pk):
    actor = collaborating_actor(request)
    access = patient_get_for(
        actor=actor, pk=pk, data=[DataCategory.IDENTITY], object_ref="edit", require="can_edit"
    )
    if access.patient.source != "manual":
        raise PermissionDenied
    form = PatientForm(request.POST or None, instance=access.patient)
    if request.method == "POST" and form.is_valid():
        try:
            services.patient_update(actor=actor, access=access, data=form.cleaned_data)
        except ValidationError as exc:
            form_add_validation_error(form, exc)
        else:
            messages.success(request, _("The patient's details have been saved."))
            return redirect("network:patient-detail", pk=pk)
    return render(
        request,
        "network/patients/form.html",
        {"form": form, "patient": access.patient, "access": access},
    )


@secure_session_required
@require_GET
def patient_detail(request, pk):
    actor = collaborating_actor(request)
    access = patient_get_for(
        actor=actor,
        pk=pk,
        data=[
            DataCategory.IDENTITY,
            DataCategory.EPISODES,
            DataCategory.MEDICATION,
            DataCategory.CONTRA_INDICATIONS,
        ],
    )
    current, _ended = selectors.care_network_for(access=access)
    return render(
        request,
        "network/patients/overview.html",
        {
            "access": access,
            "patient": access.patient,
            "tab": "overview",
            "summary": selectors.patient_summary(access=access),
            "network_size": len(current),
            "sections": patient_sections_for(actor=actor, access=access),
        },
    )


@secure_session_required
@require_GET
def patient_medical(request, pk):
    actor = collaborating_actor(request)
    access = patient_get_for(actor=actor, pk=pk, data=MEDICAL_CATEGORIES)
    return render(
        request,
        "network/patients/medical.html",
        {
            "access": access,
            "patient": access.patient,
            "tab": "medical",
            "medical": selectors.patient_medical_data(access=access),
        },
    )


@secure_session_required
@require_GET
def patient_print(request, pk):
    actor = collaborating_actor(request)
    access = patient_get_for(
        actor=actor,
        pk=pk,
        data=[DataCategory.IDENTITY, *MEDICAL_CATEGORIES],
        action=AccessAction.PRINT,
    )
    current, _ended = selectors.care_network_for(access=access)
    return render(
        request,
        "network/patients/print.html",
        {
            "access": access,
            "patient": access.patient,
            "medical": selectors.patient_medical_data(access=access),
            "network": current,
            "printed_at": timezone.now(),
        },
    )


@secure_session_required
@require_POST
def patient_visibility(request, pk):
    actor = collaborating_actor(request)
    access = patient_access_for(actor=actor, pk=pk)
    if not access.can_change_visibility:
        raise PermissionDenied
    form = VisibilityForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose visible or not visible."))
        return redirect("network:patient-detail", pk=pk)
    visible = form.cleaned_data["visible"]
    services.patient_visibility_set(actor=actor, access=access, visible=visible)
    messages.success(
        request,
        _("Network partners in the care network can now see this patient.")
        if visible
        else _("Network partners can no longer see this patient."),
    )
    return redirect("network:patient-detail", pk=pk)


# --- care network -------------------------------------------------------------------------


@secure_session_required
@require_GET
def patient_network(request, pk):
    actor = collaborating_actor(request)
    access = patient_get_for(actor=actor, pk=pk, data=[], object_ref="care_network")
    current, ended = selectors.care_network_for(access=access)
    search = NetworkSearchForm(request.GET)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    for member in current:
        member.can_end = services.can_end_network_member(actor=actor, access=access, member=member)
    return render(
        request,
        "network/patients/network.html",
        {
            "access": access,
            "patient": access.patient,
            "tab": "network",
            "current": current,
            "ended": ended,
            "search": search,
            "query": query,
            "candidates": selectors.care_network_candidates(access=access, query=query),
            "add_form": NetworkAddForm(),
        },
    )


@secure_session_required
@require_GET
def patient_network_candidates(request, pk):
    """The provider search of the care-network tab (htmx). Shows providers, no patient data."""
    actor = collaborating_actor(request)
    access = patient_access_for(actor=actor, pk=pk)
    search = NetworkSearchForm(request.GET)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    response = render(
        request,
        "network/patients/network.html#candidates",
        {
            "access": access,
            "patient": access.patient,
            "query": query,
            "candidates": selectors.care_network_candidates(access=access, query=query),
            "add_form": NetworkAddForm(),
        },
    )
    response["Vary"] = "HX-Request"
    return response


@secure_session_required
@require_POST
def patient_network_add(request, pk):
    actor = collaborating_actor(request)
    access = patient_access_for(actor=actor, pk=pk)
    form = NetworkAddForm(request.POST)
    membership = None
    if form.is_valid():
        membership = (
            Membership.objects.active()
            .select_related("user", "organisation")
            .filter(pk=form.cleaned_data["membership"])
            .first()
        )
    if membership is None:
        messages.error(request, _("Choose a care provider from the search results."))
        return redirect("network:patient-network", pk=pk)
    try:
        services.care_network_add(
            actor=actor,
            patient=access.patient,
            membership=membership,
            reason=CareNetworkReason.MANUAL,
            reason_detail=form.cleaned_data["note"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("%(name)s (%(organisation)s) is now in the care network.")
            % {"name": membership.user.full_name, "organisation": membership.organisation.name},
        )
    return redirect("network:patient-network", pk=pk)


@secure_session_required
@require_http_methods(["GET", "POST"])
def patient_network_end(request, pk, member_pk):
    actor = collaborating_actor(request)
    access = patient_access_for(actor=actor, pk=pk)
    member = selectors.care_network_member_get(access=access, pk=member_pk)
    if not services.can_end_network_member(actor=actor, access=access, member=member):
        raise PermissionDenied
    form = NetworkEndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.care_network_end(
            actor=actor, access=access, member=member, reason=form.cleaned_data["reason"]
        )
        messages.success(
            request,
            _("%(name)s is no longer in the care network.") % {"name": member.user.full_name},
        )
        if member.user_id == actor.user.pk and not access.is_own_practice:
            return redirect("network:patient-list")
        return redirect("network:patient-network", pk=pk)
    return render(
        request,
        "network/patients/network_end.html",
        {"access": access, "patient": access.patient, "member": member, "form": form},
    )


# --- who looked ---------------------------------------------------------------------------


def _access_log_page(request, pk, *, action):
    actor = collaborating_actor(request)
    form = AccessLogFilterForm(request.GET)
    valid = form.is_valid()
    access = patient_get_for(
        actor=actor,
        pk=pk,
        data=[],
        object_ref="access_log",
        action=action,
        require="can_read_access_log",
    )
    since = form.cleaned_data.get("since") if valid else None
    until = form.cleaned_data.get("until") if valid else None
    return access, form, since, until


@secure_session_required
@require_GET
def patient_access_log(request, pk):
    access, form, since, until = _access_log_page(request, pk, action=AccessAction.READ)
    page = selectors.patient_access_log(
        access=access, since=since, until=until, page=request.GET.get("page")
    )
    return render(
        request,
        "network/patients/access_log.html",
        {
            "access": access,
            "patient": access.patient,
            "tab": "access_log",
            "form": form,
            "page": page,
            "keep": query_without_page(request),
        },
    )


@secure_session_required
@require_GET
def patient_access_log_export(request, pk):
    access, _form, since, until = _access_log_page(request, pk, action=AccessAction.EXPORT)
    entries = selectors.patient_access_log_rows(access=access, since=since, until=until)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="inzage-{access.patient.his_id or access.patient.pk}.csv"'
    )
    response.write("\ufeff")  # so Excel reads UTF-8
    writer = csv_writer(response, delimiter=";")  # no formulas from user-chosen names
    writer.writerow(
        [
            _("Time"),
            _("User"),
            _("Organisation"),
            _("Role"),
            _("Action"),
            _("Data"),
            _("Relationship"),
            _("Outcome"),
        ]
    )
    for entry in entries:
        writer.writerow(
            [
                timezone.localtime(entry.at).strftime("%d-%m-%Y %H:%M:%S"),
                entry.user_label,
                entry.organisation_label,
                entry.role,
                entry.get_action_display(),
                entry.data_labels,
                entry.get_relationship_display(),
                entry.get_outcome_display(),
            ]
        )
    return response

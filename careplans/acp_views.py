"""Pages of the advance care plan. Each view's first line asks ``careplans.access``."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.secure_session import secure_session_required
from careplans import acp_selectors as selectors
from careplans.access import acp_get_for
from careplans.acp_fhir import acp_bundle
from careplans.acp_forms import AcpForm
from careplans.acp_his import acp_his_export_create, acp_his_note_file
from careplans.acp_pdf import acp_pdf_build
from careplans.acp_services import AcpConflict, acp_record
from network.access import collaborating_actor
from network.models import AccessAction


def _propose_url(acp) -> str:
    """A new conversation about the patient to the one who recorded the plan, about it."""
    version = acp.version
    query = {
        "patient": acp.patient.pk,
        "subject": _("Proposed addition to the advance care plan (version %(number)d)")
        % {"number": version.number},
        "body": _("About the advance care plan: %(url)s\n\nMy proposal: ")
        % {"url": reverse("careplans:acp-detail", args=[acp.patient.pk])},
    }
    author = selectors.acp_author_membership(access=acp)
    if author is not None:
        query["people"] = author
    return f"{reverse('conversations:create')}?{urlencode(query)}"


def _context(acp, **extra) -> dict:
    return {
        "access": acp.access,
        "patient": acp.patient,
        "acp": acp,
        "tab": "acp",
        **extra,
    }


@secure_session_required
@require_GET
def acp_detail(request, pk):
    acp = acp_get_for(actor=collaborating_actor(request), pk=pk)
    version = acp.version
    context = _context(acp, version=version)
    if version is not None:
        context |= {
            "limits": selectors.treatment_limits(version),
            "sections": selectors.acp_sections(version),
            "shared_with": selectors.shared_with_names(version),
            "propose_url": None if acp.can_edit else _propose_url(acp),
            "his": selectors.acp_his_exports(access=acp) if acp.can_edit else None,
        }
    return render(request, "careplans/acp/detail.html", context)


@secure_session_required
@require_http_methods(["GET", "POST"])
def acp_edit(request, pk):
    actor = collaborating_actor(request)
    acp = acp_get_for(actor=actor, pk=pk, edit=True, object_ref=f"acp_edit:{pk}")
    members = selectors.acp_network_members(access=acp)
    form = AcpForm(
        request.POST or None,
        members=members,
        initial=AcpForm.initial_from(
            acp.version, shared_ids=selectors.acp_shared_member_ids(access=acp, members=members)
        ),
    )
    status = 200
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            version = acp_record(
                actor=actor,
                acp=acp,
                based_on=data["based_on"],
                data=data,
                shared_with=list(data["shared_with"]),
            )
        except AcpConflict as exc:
            conflict = exc.newest
            form.add_error(None, str(exc))
            status = 409
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(
                request,
                _("The advance care plan has been saved as version %(number)d.")
                % {"number": version.number},
            )
            return redirect("careplans:acp-detail", pk=pk)
    return render(
        request,
        "careplans/acp/form.html",
        _context(acp, form=form, conflict=conflict, version=acp.version),
        status=status,
    )


@secure_session_required
@require_GET
def acp_history(request, pk):
    acp = acp_get_for(actor=collaborating_actor(request), pk=pk, object_ref=f"acp_history:{pk}")
    versions = selectors.acp_versions(access=acp)
    return render(request, "careplans/acp/history.html", _context(acp, versions=versions))


@secure_session_required
@require_GET
def acp_version(request, pk, number):
    acp = acp_get_for(actor=collaborating_actor(request), pk=pk, object_ref=f"acp:{pk}:v{number}")
    version = selectors.acp_version_get(access=acp, number=number)
    return render(
        request,
        "careplans/acp/version.html",
        _context(
            acp,
            version=version,
            limits=selectors.treatment_limits(version),
            sections=selectors.acp_sections(version),
            shared_with=selectors.shared_with_names(version),
        ),
    )


@secure_session_required
@require_GET
def acp_compare(request, pk):
    acp = acp_get_for(actor=collaborating_actor(request), pk=pk, object_ref=f"acp_compare:{pk}")
    versions = selectors.acp_versions(access=acp)
    newest = versions[0].number if versions else 0
    old_number = request.GET.get("van") or max(newest - 1, 1)
    new_number = request.GET.get("naar") or newest
    old = selectors.acp_version_get(access=acp, number=old_number)
    new = selectors.acp_version_get(access=acp, number=new_number)
    return render(
        request,
        "careplans/acp/compare.html",
        _context(
            acp,
            versions=versions,
            old=old,
            new=new,
            changes=selectors.acp_diff(old=old, new=new),
        ),
    )


@secure_session_required
@require_GET
def acp_pdf(request, pk):
    acp = acp_get_for(
        actor=collaborating_actor(request),
        pk=pk,
        action=AccessAction.PRINT,
        object_ref=f"acp_pdf:{pk}",
    )
    if acp.version is None:
        return redirect("careplans:acp-detail", pk=pk)
    version = selectors.acp_version_get(access=acp, number=acp.version.number)
    response = HttpResponse(acp_pdf_build(patient=acp.patient, version=version), "application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="pzp-{acp.patient.pk}-versie-{version.number}.pdf"'
    )
    return response


@secure_session_required
@require_GET
def acp_fhir(request, pk):
    acp = acp_get_for(
        actor=collaborating_actor(request),
        pk=pk,
        action=AccessAction.EXPORT,
        edit=True,
        object_ref=f"acp_fhir:{pk}",
    )
    if acp.version is None:
        return redirect("careplans:acp-detail", pk=pk)
    version = selectors.acp_version_get(access=acp, number=acp.version.number)
    response = HttpResponse(
        json.dumps(acp_bundle(patient=acp.patient, version=version), ensure_ascii=False, indent=2),
        content_type="application/fhir+json",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="pzp-{acp.patient.pk}-versie-{version.number}.fhir.json"'
    )
    return response


@secure_session_required
@require_POST
def acp_his(request, pk):
    actor = collaborating_actor(request)
    acp = acp_get_for(actor=actor, pk=pk, edit=True, log=False)
    if acp.version is None:
        return redirect("careplans:acp-detail", pk=pk)
    export = acp_his_export_create(actor=actor, acp=acp)
    if export.status == export.Status.PENDING and not selectors.acp_his_connected(access=acp):
        messages.success(
            request,
            _("The note is ready: download it and paste it into the patient's journal."),
        )
    else:
        messages.success(request, _("The advance care plan is being sent to the HIS."))
    return redirect("careplans:acp-detail", pk=pk)


@secure_session_required
@require_GET
def acp_his_download(request, pk, export_pk):
    actor = collaborating_actor(request)
    acp = acp_get_for(actor=actor, pk=pk, edit=True, log=False)
    name, text = acp_his_note_file(actor=actor, acp=acp, pk=export_pk)
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response

"""Uploading a HIS extraction and following its import."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accounts.secure_session import secure_session_required
from network import selectors, services
from network.access import Actor, can_upload_extraction
from network.forms import ExtractionUploadForm

EXTRACTIONS_PER_PAGE = 20
ERRORS_PER_PAGE = 100


@secure_session_required
@require_http_methods(["GET", "POST"])
def extraction_list(request):
    actor = Actor.from_request(request)
    if not can_upload_extraction(actor):
        raise PermissionDenied
    form = ExtractionUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            extraction = services.extraction_upload(
                actor=actor, file_name=upload.name, content=upload.read()
            )
        except services.ExtractionRejected as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("network:extraction-detail", pk=extraction.pk)
    page = Paginator(selectors.extractions_for(actor=actor), EXTRACTIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    status = 400 if form.errors else 200
    return render(
        request, "network/extractions/list.html", {"form": form, "page": page}, status=status
    )


@secure_session_required
@require_GET
def extraction_detail(request, pk):
    extraction = selectors.extraction_get_for(actor=Actor.from_request(request), pk=pk)
    template = (
        "network/extractions/detail.html#progress"
        if request.htmx and not request.htmx.boosted
        else "network/extractions/detail.html"
    )
    errors = None
    if extraction.is_finished and extraction.error_count:
        errors = Paginator(
            selectors.extraction_errors(extraction=extraction), ERRORS_PER_PAGE
        ).get_page(request.GET.get("page"))
    response = render(request, template, {"extraction": extraction, "errors": errors})
    response["Vary"] = "HX-Request"
    return response

"""MDO pages. Each view's first lines ask ``meetings.access`` for the meeting (404 for anyone
who does not take part) and, for an agenda item, for its patient (``network.access``: 404 for
a participant who may not see them); writes go through ``meetings.services``.

Every form posts without JavaScript: a bad form shows the meeting again with the errors beside
the form (422) and nothing is stored; a good one redirects to the changed part of the page.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.secure_session import secure_session_required
from core.forms import form_add_validation_error
from core.pagination import query_without_page
from meetings import services
from meetings.access import (
    MeetingAccess,
    can_export_to_his,
    item_get_for,
    meeting_get_for,
)
from meetings.call_selectors import calls_of_meeting, present_in_call
from meetings.forms import (
    AgendaItemForm,
    AgreementForm,
    MeetingForm,
    MinutesForm,
    NoteForm,
    ParticipantForm,
    StatusForm,
)
from meetings.his import item_his_export_create, item_his_note_get
from meetings.models import Agreement
from meetings.selectors import (
    PatientAmbiguous,
    PatientNotFound,
    agreement_of,
    meeting_list_for,
    meeting_view_for,
    participant_candidates_for,
    patient_find_for,
)
from network.access import collaborating_actor, patient_access_for, refusal_log
from network.models import AccessAction

PAGE = "meetings/detail.html"


def _url(pk, anchor: str = "") -> str:
    url = reverse("meetings:detail", args=[pk])
    return f"{url}#{anchor}" if anchor else url


def _page(request, actor, access: MeetingAccess, *, status=200, bound=None):
    """The meeting page. ``bound``: (form name, item pk or None, the bound form with errors)."""
    view = meeting_view_for(actor=actor, access=access)
    owners = [p.membership for p in view.participants]
    bound_name, bound_item, bound_form = bound or (None, None, None)

    def form(name, item_pk, make):
        return bound_form if (bound_name, bound_item) == (name, item_pk) else make()

    for item in view.items:
        if not item.visible:
            continue
        item.note_form = form(
            "note",
            item.pk,
            lambda item=item: NoteForm(
                initial={"text": item.own_note.text if item.own_note else ""},
                auto_id=f"id_n{item.pk}_%s",
            ),
        )
        item.minutes_form = form(
            "minutes",
            item.pk,
            lambda item=item: MinutesForm(
                initial={"text": item.minutes_text}, auto_id=f"id_m{item.pk}_%s"
            ),
        )
        item.agreement_form = form(
            "agreement",
            item.pk,
            lambda item=item: AgreementForm(memberships=owners, auto_id=f"id_a{item.pk}_%s"),
        )
    calls = calls_of_meeting(access.meeting.pk)
    open_call = next((c for c in calls if c.ended_at is None), None)
    context = {
        "meeting": access.meeting,
        "calls": calls,
        "open_call": open_call,
        "open_call_present": present_in_call(open_call) if open_call else [],
        "access": access,
        "view": view,
        "is_chair": access.is_chair,
        # Shown on top too: the form they belong to may not be on the page (a closed meeting).
        "bound_errors": bound_form.non_field_errors() if bound_form is not None else [],
    }
    if access.is_chair and access.meeting.is_open:
        candidates = participant_candidates_for(actor=actor, access=access)
        context["participant_form"] = form(
            "participant", None, lambda: ParticipantForm(memberships=candidates)
        )
        context["item_form"] = form("item", None, AgendaItemForm)
    return render(request, PAGE, context, status=status)


@secure_session_required
@require_GET
def meeting_list(request):
    actor = collaborating_actor(request)
    page = meeting_list_for(actor=actor, page=request.GET.get("page"))
    return render(
        request,
        "meetings/list.html",
        {"page": page, "keep": query_without_page(request)},
    )


@secure_session_required
@require_http_methods(["GET", "POST"])
def meeting_create(request):
    actor = collaborating_actor(request)
    form = MeetingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        held_at = timezone.make_aware(
            datetime.datetime.combine(form.cleaned_data["held_on"], form.cleaned_data["held_time"])
        )
        meeting = services.meeting_create(
            actor=actor, title=form.cleaned_data["title"], held_at=held_at
        )
        messages.success(request, _("The MDO has been created. Add participants and the agenda."))
        return redirect(_url(meeting.pk))
    status = 422 if request.method == "POST" else 200
    return render(request, "meetings/create.html", {"form": form}, status=status)


@secure_session_required
@require_GET
def meeting_detail(request, pk):
    actor = collaborating_actor(request)
    return _page(request, actor, meeting_get_for(actor=actor, pk=pk))


@secure_session_required
@require_GET
def meeting_report(request, pk):
    actor = collaborating_actor(request)
    access = meeting_get_for(actor=actor, pk=pk)
    view = meeting_view_for(
        actor=actor, access=access, object_ref=f"meeting_report:{pk}", exports=True
    )
    return render(
        request,
        "meetings/report.html",
        {"meeting": access.meeting, "view": view, "is_chair": access.is_chair},
    )


@secure_session_required
@require_POST
def participant_add(request, pk):
    actor = collaborating_actor(request)
    access = meeting_get_for(actor=actor, pk=pk, chair=True)
    candidates = participant_candidates_for(actor=actor, access=access)
    form = ParticipantForm(request.POST, memberships=candidates)
    if form.is_valid():
        try:
            services.participant_add(
                actor=actor,
                access=access,
                membership=form.cleaned_data["membership"],
                allowed=candidates,
            )
        except ValidationError as exc:
            form_add_validation_error(form, exc)
        else:
            messages.success(request, _("The participant has been added."))
            return redirect(_url(pk, "participants"))
    return _page(request, actor, access, status=422, bound=("participant", None, form))


@secure_session_required
@require_POST
def item_add(request, pk):
    actor = collaborating_actor(request)
    access = meeting_get_for(actor=actor, pk=pk, chair=True)
    form = AgendaItemForm(request.POST)
    if form.is_valid():
        try:
            patient = patient_find_for(actor=actor, number=form.cleaned_data["patient_number"])
            item = services.item_add(
                actor=actor,
                access=access,
                patient_access=patient_access_for(actor=actor, pk=patient.pk),
                question=form.cleaned_data["question"],
            )
        except PatientNotFound:
            form.add_error(
                "patient_number",
                _("No patient found with this HIS number or BSN among the patients you may see."),
            )
        except PatientAmbiguous:
            form.add_error(
                "patient_number", _("More than one patient has this HIS number: use the BSN.")
            )
        except ValidationError as exc:
            form_add_validation_error(form, exc)
        else:
            messages.success(request, _("The patient has been put on the agenda."))
            return redirect(_url(pk, f"item-{item.pk}"))
    return _page(request, actor, access, status=422, bound=("item", None, form))


def _item_post(request, pk, item_pk, *, name, form_class, save, chair, done):
    actor = collaborating_actor(request)
    access = meeting_get_for(actor=actor, pk=pk)
    item = item_get_for(
        actor=actor,
        meeting=access,
        pk=item_pk,
        action=AccessAction.UPDATE,
        chair=chair,
        log=False,
    )
    form = form_class(request.POST, auto_id=f"id_{name[0]}{item.item.pk}_%s")
    if form.is_valid():
        try:
            save(actor=actor, access=item, **form.cleaned_data)
        except ValidationError as exc:
            form_add_validation_error(form, exc)
        else:
            messages.success(request, done)
            return redirect(_url(pk, f"item-{item.item.pk}"))
    return _page(request, actor, access, status=422, bound=(name, item.item.pk, form))


@secure_session_required
@require_POST
def note_save(request, pk, item_pk):
    return _item_post(
        request,
        pk,
        item_pk,
        name="note",
        form_class=NoteForm,
        save=services.note_save,
        chair=False,
        done=_("Your preparation has been saved."),
    )


@secure_session_required
@require_POST
def minutes_save(request, pk, item_pk):
    return _item_post(
        request,
        pk,
        item_pk,
        name="minutes",
        form_class=MinutesForm,
        save=services.minutes_save,
        chair=True,
        done=_("The minutes have been saved."),
    )


@secure_session_required
@require_POST
def agreement_add(request, pk, item_pk):
    actor = collaborating_actor(request)
    access = meeting_get_for(actor=actor, pk=pk)
    item = item_get_for(
        actor=actor, meeting=access, pk=item_pk, action=AccessAction.CREATE, chair=True, log=False
    )
    owners = [
        p.membership
        for p in access.meeting.participants.select_related(
            "membership__user", "membership__organisation"
        )
    ]
    form = AgreementForm(request.POST, memberships=owners, auto_id=f"id_a{item.item.pk}_%s")
    if form.is_valid():
        try:
            services.agreement_add(actor=actor, access=item, **form.cleaned_data)
        except ValidationError as exc:
            form_add_validation_error(form, exc)
        else:
            messages.success(request, _("The agreement has been added."))
            return redirect(_url(pk, f"item-{item.item.pk}"))
    return _page(request, actor, access, status=422, bound=("agreement", item.item.pk, form))


@secure_session_required
@require_POST
def agreement_action(request, pk, agreement_pk):
    """One click: the agreement becomes an action in the patient's health plan."""
    actor = collaborating_actor(request)
    access = meeting_get_for(actor=actor, pk=pk)
    item_pk = (
        Agreement.objects.filter(pk=agreement_pk, item__meeting_id=access.meeting.pk)
        .values_list("item_id", flat=True)
        .first()
        if str(agreement_pk).isdigit()
        else None
    )
    if item_pk is None:
        raise Http404
    item = item_get_for(
        actor=actor, meeting=access, pk=item_pk, action=AccessAction.CREATE, chair=True, log=False
    )
    agreement = agreement_of(access=item, pk=agreement_pk)
    try:
        services.agreement_to_action(actor=actor, access=item, agreement=agreement)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The agreement is now an action in the health plan."))
    return redirect(_url(pk, f"agreement-{agreement.pk}"))


@secure_session_required
@require_POST
def meeting_status(request, pk):
    actor = collaborating_actor(request)
    access = meeting_get_for(actor=actor, pk=pk, chair=True)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose to start or to close the MDO."))
        return redirect(_url(pk))
    if form.cleaned_data["action"] == "start":
        services.meeting_start(actor=actor, access=access)
        messages.success(request, _("The MDO has started: keep the minutes per patient."))
        return redirect(_url(pk))
    services.meeting_close(actor=actor, access=access)
    messages.success(
        request,
        _("The MDO has been closed. Every participant gets an e-mail that the report is ready."),
    )
    return redirect(reverse("meetings:report", args=[pk]))


def _exporting_item(request, pk, item_pk):
    """The agenda item whose report the actor exports: they see the patient (else 404) and are
    the patient's own practice (else 403, logged)."""
    actor = collaborating_actor(request)
    access = meeting_get_for(actor=actor, pk=pk)
    item = item_get_for(
        actor=actor, meeting=access, pk=item_pk, action=AccessAction.EXPORT, log=False
    )
    if not can_export_to_his(item):
        refusal_log(
            actor=actor,
            access=item.patient,
            action=AccessAction.EXPORT,
            object_ref=f"meeting_item:{item.item.pk}",
        )
        raise PermissionDenied
    return actor, access, item


@secure_session_required
@require_POST
def item_his_export(request, pk, item_pk):
    actor, access, item = _exporting_item(request, pk, item_pk)
    report = reverse("meetings:report", args=[pk]) + f"#item-{item.item.pk}"
    if access.meeting.is_open:
        messages.error(request, _("Close the MDO first: then the report is final."))
        return redirect(report)
    item_his_export_create(actor=actor, access=item)
    messages.success(request, _("The report of this patient has been prepared for the HIS."))
    return redirect(report)


@secure_session_required
@require_GET
def item_his_export_download(request, pk, item_pk, export_pk):
    actor, _access, item = _exporting_item(request, pk, item_pk)
    name, text = item_his_note_get(actor=actor, access=item, pk=export_pk)
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response

"""Referral pages. Each view starts from ``referrals.access`` or ``network.access``; the state
machine (``referrals.states``) says which buttons a person gets and which posts succeed."""

from __future__ import annotations

import json
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.secure_session import secure_session_required
from core.htmx import partial_or_page
from core.pagination import query_without_page
from files.downloads import private_file_response
from his.selectors import his_endpoint_for
from network import selectors as network_selectors
from network.access import Actor, collaborates, collaborating_actor, patient_get_for
from network.models import MEDICAL_CATEGORIES, AccessAction, DataCategory
from referrals import selectors, services
from referrals.access import referral_get_for, referral_patient_get_for
from referrals.delivery import referral_delivery_retry
from referrals.fhir import referral_bundle
from referrals.forms import (
    ColleagueForm,
    DraftForm,
    FeedbackForm,
    QuestionForm,
    ReferralForm,
    ReferralListForm,
    TransitionForm,
)
from referrals.his import feedback_his_export_create, feedback_his_export_file_get
from referrals.models import Feedback, Referral
from referrals.states import TRANSITIONS, Party, actions_for, is_in_treatment_by, parties_of

# Colleagues offered on the referral page; more are found on the care-network tab.
COLLEAGUES_SHOWN = 20


@login_required
@require_GET
def new_badge(request):
    """The menu's count of new referrals (htmx, refreshed on live 'referrals' events)."""
    actor = Actor.from_request(request)
    count = selectors.referrals_new_count(actor=actor) if collaborates(actor) else 0
    return render(request, "referrals/partials/new_badge.html", {"count": count})


@secure_session_required
@require_GET
def referral_list(request):
    actor = collaborating_actor(request)
    form = ReferralListForm(request.GET)
    is_practice = actor.membership.organisation.is_gp_practice
    default = "sent" if is_practice else "new"
    tab = (form.cleaned_data["tab"] if form.is_valid() else "") or default
    page = selectors.referral_list_for(actor=actor, tab=tab, page=request.GET.get("page"))
    return render(
        request,
        "referrals/list.html",
        {
            "tab": tab,
            "page": page,
            "keep": query_without_page(request),
            "counts": selectors.referral_counts_for(actor=actor),
            "is_practice": is_practice,
        },
    )


# What the form carries into its next rendering when nothing is submitted yet (a preview).
_CREATE_FIELDS = ("to_organisation", "to_team", "care_pathway", "urgency", "question", "client_key")


@secure_session_required
@require_http_methods(["GET", "POST"])
def referral_create(request, pk):
    """Refer one of the practice's patients, on one page: *Dit ziet de ontvanger* follows the
    chosen organisation and team (htmx, ``#receiver`` / ``#preview``) before anything is sent.

    Showing the form or renewing its preview (a GET, or the *Toon wat de ontvanger ziet* button
    without JavaScript) validates nothing, so no error shows before the first real submit.
    """
    actor = collaborating_actor(request)
    access = patient_get_for(
        actor=actor, pk=pk, data=[DataCategory.IDENTITY, *MEDICAL_CATEGORIES], object_ref="referral"
    )
    if not access.is_own_practice:
        raise PermissionDenied
    preview_url = reverse("referrals:create", args=[access.patient.pk])
    submitted = request.method == "POST" and "preview" not in request.POST
    if submitted:
        form = ReferralForm(request.POST, request.FILES, preview_url=preview_url)
    else:
        data = request.POST if request.method == "POST" else request.GET
        initial = {name: data[name] for name in _CREATE_FIELDS if data.get(name)}
        form = ReferralForm(initial=initial, preview_url=preview_url)
    if submitted and form.is_valid():
        try:
            referral = services.referral_create(
                actor=actor,
                patient_access=access,
                to_organisation=form.cleaned_data["to_organisation"],
                to_team=form.cleaned_data["to_team"],
                care_pathway=form.cleaned_data["care_pathway"],
                urgency=form.cleaned_data["urgency"],
                question=form.cleaned_data["question"],
                files=form.cleaned_data["files"],
                client_key=form.cleaned_data["client_key"],
                send=request.POST.get("save") != "draft",
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if referral.state == Referral.State.DRAFT:
                messages.success(
                    request, _("Saved as a draft: nobody else sees it until you send it.")
                )
            else:
                messages.success(request, _("The referral was sent."))
            return redirect("referrals:detail", pk=referral.pk)
    if submitted and request.FILES:
        # A browser never fills a file field in again: say so, next to the reason above.
        form.add_error(None, _("Nothing was sent. Choose the files again."))
    to_organisation = _chosen(form, "to_organisation")
    preview = (
        selectors.receiver_preview(access=access, to_organisation=to_organisation)
        if to_organisation
        else None
    )
    response = render(
        request,
        partial_or_page(request, "referrals/create.html", "receiver"),
        {
            "access": access,
            "patient": access.patient,
            "form": form,
            "to_organisation": to_organisation,
            "to_team": _chosen(form, "to_team"),
            "preview": preview,
            "receiver_sees": selectors.receiver_sees_text(
                to_organisation=to_organisation, preview=preview
            )
            if preview
            else "",
            "medical": network_selectors.patient_medical_data(access=preview) if preview else None,
            # The GP reads the preview: "your kind of organisation" would be the GP's own.
            "not_shared": _("Not shared with %(organisation)s (%(kind)s).")
            % {"organisation": to_organisation.name, "kind": to_organisation.get_kind_display()}
            if to_organisation
            else None,
            "warnings": selectors.pathway_warnings(
                access=access, pathway=_chosen(form, "care_pathway")
            ),
            "client_key": _client_key(form),
        },
        status=422 if submitted else 200,
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


def _chosen(form, name: str):
    """The object chosen in the select ``name``, if it is one the select offers, else None."""
    value = str(form[name].value() or "")
    return form.fields[name].queryset.filter(pk=value).first() if value.isdigit() else None


def _client_key(form) -> uuid.UUID:
    """The key the send button carries: the posted one again after an error, else a new one."""
    try:
        return uuid.UUID(str(form["client_key"].value()))
    except (TypeError, ValueError):
        return uuid.uuid4()


def _open(request, pk):
    actor = collaborating_actor(request)
    referral = referral_get_for(actor=actor, pk=pk)
    return actor, referral


@secure_session_required
@require_GET
def referral_detail(request, pk):
    actor, referral = _open(request, pk)
    access = referral_patient_get_for(
        actor=actor, referral=referral, data=[DataCategory.IDENTITY, *MEDICAL_CATEGORIES]
    )
    events, feedback, attachments = selectors.referral_history(referral=referral)
    parties = parties_of(actor, referral)
    in_treatment = is_in_treatment_by(actor, referral)
    return render(
        request,
        "referrals/detail.html",
        {
            "referral": referral,
            "access": access,
            "medical": network_selectors.patient_medical_data(access=access) if access else None,
            "events": events,
            "feedback": feedback,
            "attachments": attachments,
            "delivery": selectors.referral_delivery_latest(referral=referral),
            "actions": [TRANSITIONS[a] for a in actions_for(actor, referral)],
            "is_sender": Party.SENDER in parties,
            "can_give_feedback": in_treatment,
            # Taken into treatment and nothing fed back yet: the form is the next step, open.
            "feedback_is_next": in_treatment and not feedback,
            "feedback_form": FeedbackForm(),
            # Right after *In behandeling nemen*: colleagues to bring into the care network.
            "colleagues": network_selectors.care_network_colleagues(
                access=access,
                organisation_id=actor.membership.organisation_id,
                exclude_user_id=actor.user.pk,
                limit=COLLEAGUES_SHOWN,
            )
            if in_treatment and access
            else None,
            "conversations": selectors.referral_conversations_for(actor=actor, referral=referral),
            "can_ask": referral.is_open
            and (Party.RECEIVER in parties or referral.accepted_by_id is not None),
            "question_form": QuestionForm(initial={"client_key": uuid.uuid4()}),
            **(
                selectors.feedback_his_exports(referral=referral, feedback=feedback)
                if Party.SENDER in parties
                else {"his_connected": False}
            ),
        },
    )


@secure_session_required
@require_http_methods(["GET", "POST"])
def referral_edit(request, pk):
    """*Aanpassen*: the practice changes its draft before sending it."""
    actor, referral = _open(request, pk)
    if Party.SENDER not in parties_of(actor, referral):
        raise PermissionDenied
    if referral.state != Referral.State.DRAFT:
        messages.error(request, _("Only a draft can be changed."))
        return redirect("referrals:detail", pk=referral.pk)
    access = referral_patient_get_for(actor=actor, referral=referral, data=[DataCategory.IDENTITY])
    if request.method == "POST":
        form = DraftForm(request.POST, request.FILES, referral=referral)
    else:
        form = DraftForm(
            referral=referral,
            initial={
                "to_team": referral.to_team_id,
                "care_pathway": referral.care_pathway_id,
                "urgency": referral.urgency,
                "question": referral.question,
            },
        )
    if request.method == "POST" and form.is_valid():
        try:
            services.referral_draft_update(actor=actor, referral=referral, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The draft was saved."))
            return redirect("referrals:detail", pk=referral.pk)
    if request.method == "POST" and request.FILES:
        form.add_error(None, _("Nothing was saved. Choose the files again."))
    return render(
        request,
        "referrals/edit.html",
        {
            "referral": referral,
            "patient": access.patient,
            "form": form,
            "warnings": selectors.pathway_warnings(access=access, pathway=referral.care_pathway),
        },
        status=422 if request.method == "POST" else 200,
    )


@secure_session_required
@require_POST
def referral_transition(request, pk, action):
    actor, referral = _open(request, pk)
    if action not in TRANSITIONS:
        raise Http404
    form = TransitionForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.referral_transition(actor=actor, referral=referral, action=action, reason=reason)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if action == "accept":
            # The referral page then offers to add colleagues (its *Collega's toevoegen*).
            messages.success(
                request,
                _(
                    "You took the referral into treatment and joined the care network. "
                    "Add colleagues who will help below."
                ),
            )
            return redirect(f"{reverse('referrals:detail', args=[referral.pk])}#colleagues")
        messages.success(
            request,
            _("Done: the referral is now %(state)s.")
            % {"state": Referral.State(TRANSITIONS[action].target).label},
        )
    return redirect("referrals:detail", pk=referral.pk)


@secure_session_required
@require_POST
def colleague_add(request, pk):
    """*Collega's toevoegen*: a receiver brings a colleague into the patient's care network."""
    actor, referral = _open(request, pk)
    form = ColleagueForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Choose a colleague of your organisation."))
        member = services.referral_colleague_add(
            actor=actor, referral=referral, membership_id=form.cleaned_data["membership"]
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("%(name)s (%(organisation)s) is now in the care network.")
            % {"name": member.user.full_name, "organisation": member.organisation.name},
        )
    return redirect(f"{reverse('referrals:detail', args=[referral.pk])}#colleagues")


@secure_session_required
@require_POST
def feedback_create(request, pk):
    actor, referral = _open(request, pk)
    form = FeedbackForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.feedback_add(actor=actor, referral=referral, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            if form.cleaned_data["files"]:
                messages.error(request, _("Nothing was sent. Choose the files again."))
        else:
            messages.success(request, _("Your feedback was sent to the practice."))
    else:
        messages.error(
            request,
            _("Check the feedback: %(errors)s")
            % {"errors": " ".join(e for errors in form.errors.values() for e in errors)},
        )
    return redirect("referrals:detail", pk=referral.pk)


@secure_session_required
@require_POST
def feedback_his_export(request, pk, feedback_pk):
    """*Terugkoppelen naar het HIS*: the practice exports one feedback as a SOEP note."""
    actor, referral = _open(request, pk)
    feedback = get_object_or_404(Feedback, pk=feedback_pk, referral=referral)
    try:
        feedback_his_export_create(
            actor=actor, feedback=feedback, icpc_code=request.POST.get("icpc_code", "")
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if his_endpoint_for(practice_id=referral.practice_id):
            messages.success(request, _("The feedback is being sent to your HIS."))
        else:
            messages.success(request, _("The SOEP note is ready to download."))
    return redirect("referrals:detail", pk=referral.pk)


@secure_session_required
@require_GET
def attachment_download(request, pk, attachment_pk):
    """An attachment of the referral or its feedback, for whoever may open the referral."""
    actor, referral = _open(request, pk)
    attachment = selectors.referral_attachment_get(actor=actor, referral=referral, pk=attachment_pk)
    return private_file_response(request, attachment)


@secure_session_required
@require_POST
def delivery_retry(request, pk, delivery_pk):
    """*Opnieuw proberen*: the practice sends a failed delivery to the receiver's system again."""
    actor, referral = _open(request, pk)
    try:
        referral_delivery_retry(actor=actor, referral=referral, pk=delivery_pk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The referral is being delivered again."))
    return redirect("referrals:detail", pk=referral.pk)


@secure_session_required
@require_GET
def feedback_his_download(request, pk, export_pk):
    actor, referral = _open(request, pk)
    file_name, text = feedback_his_export_file_get(actor=actor, referral=referral, pk=export_pk)
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


@secure_session_required
@require_POST
def referral_question(request, pk):
    """Ask the other side: a conversation about the patient, linked to the referral."""
    actor, referral = _open(request, pk)
    form = QuestionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write your question."))
        return redirect("referrals:detail", pk=referral.pk)
    try:
        conversation = services.referral_question(
            actor=actor,
            referral=referral,
            body=form.cleaned_data["body"],
            client_key=form.cleaned_data["client_key"],
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("referrals:detail", pk=referral.pk)
    return redirect("conversations:detail", pk=conversation.pk)


@secure_session_required
@require_GET
def referral_fhir(request, pk):
    """The referral as a FHIR R4 Bundle (ServiceRequest + Task) — logged as an export."""
    actor, referral = _open(request, pk)
    if Party.SENDER not in parties_of(actor, referral):
        raise PermissionDenied
    patient_get_for(
        actor=actor,
        pk=referral.patient_id,
        data=[DataCategory.IDENTITY, DataCategory.EPISODES],
        object_ref=f"referral:{referral.pk}",
        action=AccessAction.EXPORT,
    )
    response = HttpResponse(
        json.dumps(referral_bundle(referral), ensure_ascii=False, indent=2),
        content_type="application/fhir+json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="verwijzing-{referral.pk}.json"'
    return response

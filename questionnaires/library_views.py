"""Questionnaire pages of one patient: the results (each questionnaire's latest score, its
interpretation, flagged over the cut-off, and the trend of earlier scores), one response in
full, and a professional filling one in (a pharmacist's medication review, a nurse's GFI).

Each view's first line asks for the patient (404 for anyone who may not see them; logged).
The form posts without JavaScript: a bad form shows the questions again with a Dutch error
beside each and stores nothing; a good one stores one response (``client_key``: a double
submit gives one) and redirects to the results.
"""

from __future__ import annotations

import json
import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.secure_session import secure_session_required
from his.selectors import his_endpoint_for, his_exports_of
from network.access import Actor, collaborating_actor, patient_get_for
from network.access_log import access_log_write
from network.models import AccessAction, DataCategory
from questionnaires import library_selectors as selectors
from questionnaires.library_services import (
    ClientKeyReused,
    response_bundle,
    response_his_export_create,
    response_submit,
)
from questionnaires.link_selectors import patient_links_for
from questionnaires.models import Response
from questionnaires.scoring import answers_check, enabled_items


@secure_session_required
@require_GET
def results(request, pk):
    actor = collaborating_actor(request)
    access = selectors.questionnaire_patient_get_for(actor=actor, pk=pk)
    context = {
        "access": access,
        "patient": access.patient,
        "tab": "questionnaires",
        "trends": selectors.response_trends_for(patient=access.patient),
        "questionnaires": list(selectors.questionnaire_list_active()),
        "sent": patient_links_for(patient=access.patient),
    }
    return render(request, "questionnaires/library/results.html", context)


@secure_session_required
@require_GET
def response_detail(request, pk, response_pk):
    actor = collaborating_actor(request)
    access = selectors.questionnaire_patient_get_for(
        actor=actor, pk=pk, object_ref=f"questionnaire-response:{response_pk}"
    )
    response = selectors.response_get_for(access=access, pk=response_pk)
    questionnaire = selectors.questionnaire_get_any(response.questionnaire_id)
    definition = selectors.definition_of(questionnaire)
    answers = response.answers
    rows = []
    for item in enabled_items(definition, answers):
        if item.link_id in answers:
            option = item.option(answers[item.link_id]) if item.type == "choice" else None
            shown = option.display if option else _answer_text(answers[item.link_id])
            rows.append((item, shown))
    exports = []
    if access.is_own_practice:
        exports = list(his_exports_of(model=Response, ids=[response.pk])[:5])
    context = {
        "access": access,
        "patient": access.patient,
        "tab": "questionnaires",
        "response": response,
        "rows": rows,
        "exports": exports,
        "his_connected": bool(
            access.is_own_practice and his_endpoint_for(practice_id=access.patient.practice_id)
        ),
    }
    return render(request, "questionnaires/library/response.html", context)


def _answer_text(value) -> str:
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    return str(value)


@secure_session_required
@require_http_methods(["GET", "POST"])
def fill(request, pk, questionnaire_pk):
    actor = collaborating_actor(request)
    if request.method == "POST":
        access = selectors.questionnaire_patient_access_for(actor=actor, pk=pk)
    else:
        access = selectors.questionnaire_patient_get_for(actor=actor, pk=pk)
    questionnaire = selectors.questionnaire_get_active(questionnaire_pk)
    definition = selectors.definition_of(questionnaire)
    given: dict = {}
    errors: dict = {}
    client_key = uuid.uuid4()
    status = 200
    if request.method == "POST":
        given = {i.link_id: request.POST.get(f"q-{i.link_id}", "") for i in definition.items}
        try:
            client_key = uuid.UUID(request.POST.get("client_key", ""))
        except ValueError:
            client_key = None
        checked = answers_check(definition, given)
        errors = checked.errors
        if client_key is None:
            messages.error(request, _("The form was incomplete; please fill it in again."))
            client_key = uuid.uuid4()
        elif not errors:
            try:
                response = response_submit(
                    actor=actor,
                    access=access,
                    questionnaire=questionnaire,
                    definition=definition,
                    answers=checked.answers,
                    client_key=client_key,
                )
            except ClientKeyReused:  # a form copied from another patient's page
                messages.error(request, _("The form was incomplete; please fill it in again."))
                client_key = uuid.uuid4()
            else:
                messages.success(request, _("The questionnaire has been saved."))
                url = reverse("questionnaires:results", args=[pk])
                return redirect(f"{url}#questionnaire-{response.questionnaire_id}")
        status = 422
        # The form again shows the patient: logged, as the GET is.
        access = selectors.questionnaire_patient_get_for(actor=actor, pk=pk)
    context = {
        "access": access,
        "patient": access.patient,
        "tab": "questionnaires",
        "questionnaire": questionnaire,
        "items": selectors.question_rows(definition, given, errors),
        "error_count": len(errors),
        "client_key": client_key,
    }
    return render(request, "questionnaires/library/fill.html", context, status=status)


def _practice_access(actor: Actor, pk, response_pk):
    """Exports go to the practice's HIS: only its own staff. Others who see the patient get 403
    (the refusal logged), the rest 404."""
    access = selectors.questionnaire_patient_access_for(actor=actor, pk=pk)
    if not access.is_own_practice:
        patient_get_for(
            actor=actor,
            pk=pk,
            action=AccessAction.EXPORT,
            object_ref=f"questionnaire-response:{response_pk}:export",
            require="is_own_practice",
        )
        raise PermissionDenied  # patient_get_for has raised already; never reached
    return access


@secure_session_required
@require_GET
def response_fhir(request, pk, response_pk):
    """The response as a FHIR R4 Bundle (QuestionnaireResponse + score Observations)."""
    actor = collaborating_actor(request)
    access = _practice_access(actor, pk, response_pk)
    response = selectors.response_get_for(access=access, pk=response_pk)
    definition = selectors.definition_of(selectors.questionnaire_get_any(response.questionnaire_id))
    bundle = response_bundle(response=response, definition=definition)
    access_log_write(
        actor=actor,
        action=AccessAction.EXPORT,
        relationship=access.relationship,
        patient=access.patient,
        data=[DataCategory.IDENTITY, selectors.RESULTS_DATA],
        object_ref=f"questionnaire-response:{response.pk}:fhir",
    )
    download = HttpResponse(
        json.dumps(bundle, ensure_ascii=False, indent=2), content_type="application/fhir+json"
    )
    name = f"vragenlijst-{response.questionnaire.slug}-{response.submitted_at:%Y-%m-%d}.fhir.json"
    download["Content-Disposition"] = f'attachment; filename="{name}"'
    return download


@secure_session_required
@require_POST
def response_his_export(request, pk, response_pk):
    """Report the response to the practice's HIS (a note, and the FHIR Bundle when connected)."""
    actor = collaborating_actor(request)
    access = _practice_access(actor, pk, response_pk)
    response = selectors.response_get_for(access=access, pk=response_pk)
    definition = selectors.definition_of(selectors.questionnaire_get_any(response.questionnaire_id))
    response_his_export_create(actor=actor, access=access, response=response, definition=definition)
    if his_endpoint_for(practice_id=access.patient.practice_id):
        messages.success(request, _("The questionnaire is being sent to the HIS."))
    else:
        messages.info(
            request,
            _(
                "Your practice has no HIS connection: copy the note below into the patient's "
                "journal."
            ),
        )
    return redirect(reverse("questionnaires:response", args=[pk, response_pk]))

"""Health-plan pages. Each view's first line asks ``careplans.plan_access`` for the patient
(404 for anyone who may not see them); writes go through ``careplans.plan_services``.

Every form posts without JavaScript: a bad form shows the plan again with the errors beside
the form, and nothing is stored; a good one redirects to the changed row on the plan.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.secure_session import secure_session_required
from careplans import plan_selectors as selectors
from careplans import plan_services as services
from careplans.models import Action, Goal, Problem
from careplans.plan_access import (
    PLAN_DATA,
    action_owners_for,
    plan_patient_access_for,
    plan_patient_get_for,
)
from careplans.plan_fhir import (
    plan_his_export_create,
    plan_his_export_file_get,
    plan_his_exports_for,
    plan_resource_download,
)
from careplans.plan_forms import (
    ActionEditForm,
    ActionForm,
    ActionStatusForm,
    GoalEditForm,
    GoalForm,
    ProblemEditForm,
    ProblemForm,
)
from core.forms import form_add_validation_error
from his.selectors import his_endpoint_for
from network.access import Actor, collaborating_actor, patient_get_for
from network.models import AccessAction

PAGE = "careplans/plan/detail.html"
EDIT = "careplans/plan/edit.html"


def _plan_url(patient_pk, anchor: str = "") -> str:
    url = reverse("healthplan:plan", args=[patient_pk])
    return f"{url}#{anchor}" if anchor else url


def _page(request, access, *, status=200, **forms):
    """The plan page; ``forms`` holds a bound form with errors (``problem_form``, or
    ``goal_form`` with ``goal_for`` = the problem's pk, ``action_form`` with ``action_for``)."""
    view = selectors.plan_view_for(access=access)
    owners = list(action_owners_for(access.patient))
    for problem in view.problems:
        for goal in problem.goal_list:
            if forms.get("action_for") == goal.pk:
                goal.action_form = forms["action_form"]
            else:
                goal.action_form = ActionForm(
                    patient=access.patient, owners=owners, auto_id=f"id_a{goal.pk}_%s"
                )
        if forms.get("goal_for") == problem.pk:
            problem.goal_form = forms["goal_form"]
        else:
            problem.goal_form = GoalForm(auto_id=f"id_g{problem.pk}_%s")
    is_practice = access.is_own_practice
    context = {
        "access": access,
        "patient": access.patient,
        "tab": "health_plan",
        "view": view,
        "problem_form": forms.get("problem_form") or ProblemForm(),
        "is_practice": is_practice,
        "exports": plan_his_exports_for(plan=view.plan) if is_practice and view.plan else [],
        "his_connected": bool(
            is_practice and his_endpoint_for(practice_id=access.patient.practice_id)
        ),
    }
    return render(request, PAGE, context, status=status)


@secure_session_required
@require_GET
def plan_detail(request, pk):
    actor = collaborating_actor(request)
    access = plan_patient_get_for(actor=actor, pk=pk)
    return _page(request, access)


@secure_session_required
@require_POST
def problem_create(request, pk):
    actor = collaborating_actor(request)
    access = plan_patient_access_for(actor=actor, pk=pk)
    form = ProblemForm(request.POST)
    if form.is_valid():
        try:
            problem = services.problem_add(actor=actor, access=access, **form.cleaned_data)
        except ValidationError as exc:
            form_add_validation_error(form, exc)
        else:
            messages.success(request, _("The problem has been added."))
            return redirect(_plan_url(pk, f"problem-{problem.pk}"))
    access = plan_patient_get_for(actor=actor, pk=pk)
    return _page(request, access, status=422, problem_form=form)


@secure_session_required
@require_POST
def goal_create(request, pk, problem_pk):
    actor = collaborating_actor(request)
    access = plan_patient_access_for(actor=actor, pk=pk)
    problem = selectors.plan_part_get(access=access, model=Problem, pk=problem_pk)
    form = GoalForm(request.POST, auto_id=f"id_g{problem.pk}_%s")
    if form.is_valid():
        goal = services.goal_add(actor=actor, access=access, problem=problem, **form.cleaned_data)
        messages.success(request, _("The goal has been added."))
        return redirect(_plan_url(pk, f"goal-{goal.pk}"))
    access = plan_patient_get_for(actor=actor, pk=pk)
    return _page(request, access, status=422, goal_form=form, goal_for=problem.pk)


@secure_session_required
@require_POST
def action_create(request, pk, goal_pk):
    actor = collaborating_actor(request)
    access = plan_patient_access_for(actor=actor, pk=pk)
    goal = selectors.plan_part_get(access=access, model=Goal, pk=goal_pk)
    form = ActionForm(request.POST, patient=access.patient, auto_id=f"id_a{goal.pk}_%s")
    if form.is_valid():
        try:
            action = services.action_add(actor=actor, access=access, goal=goal, **form.cleaned_data)
        except ValidationError as exc:
            form_add_validation_error(form, exc)
        else:
            messages.success(request, _("The action has been added."))
            return redirect(_plan_url(pk, f"action-{action.pk}"))
    access = plan_patient_get_for(actor=actor, pk=pk)
    return _page(request, access, status=422, action_form=form, action_for=goal.pk)


# --- editing one part ------------------------------------------------------------------------

_EDITS = {
    "problem": (Problem, ProblemEditForm, services.problem_update),
    "goal": (Goal, GoalEditForm, services.goal_update),
    "action": (Action, ActionEditForm, services.action_update),
}
_TITLES = {
    "problem": _("Change problem"),
    "goal": _("Change goal"),
    "action": _("Change action"),
}


def _edit(request, pk, part_pk, kind: str):
    model, form_class, update = _EDITS[kind]
    actor = collaborating_actor(request)
    if request.method == "POST":
        access = plan_patient_access_for(actor=actor, pk=pk)
    else:
        access = plan_patient_get_for(actor=actor, pk=pk, object_ref=f"{PLAN_DATA}:{kind}")
    obj = selectors.plan_part_get(access=access, model=model, pk=part_pk)
    extra = {"patient": access.patient, "keeping": obj.owner} if model is Action else {}
    initial = {name: getattr(obj, name) for name in form_class.base_fields if hasattr(obj, name)}
    form = form_class(request.POST or None, initial=initial, **extra)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version", None)
        try:
            update(actor=actor, access=access, version=version, **{kind: obj}, **data)
        except ValidationError as exc:
            form_add_validation_error(form, exc)
            if getattr(exc, "code", "") == "stale":
                # Show what is there now, keeping what they typed, with the new version.
                obj.refresh_from_db()
                form.data = form.data.copy()
                form.data["version"] = obj.version
        else:
            messages.success(request, _("Your change has been saved."))
            return redirect(_plan_url(pk, f"{kind}-{obj.pk}"))
    return render(
        request,
        EDIT,
        {
            "access": access,
            "patient": access.patient,
            "tab": "health_plan",
            "form": form,
            "obj": obj,
            "kind": kind,
            "title": _TITLES[kind],
        },
        status=422 if form.is_bound and form.errors else 200,
    )


@secure_session_required
@require_http_methods(["GET", "POST"])
def problem_edit(request, pk, problem_pk):
    return _edit(request, pk, problem_pk, "problem")


@secure_session_required
@require_http_methods(["GET", "POST"])
def goal_edit(request, pk, goal_pk):
    return _edit(request, pk, goal_pk, "goal")


@secure_session_required
@require_http_methods(["GET", "POST"])
def action_edit(request, pk, action_pk):
    return _edit(request, pk, action_pk, "action")


@secure_session_required
@require_POST
def action_status(request, pk, action_pk):
    """One click: done (or open again, or cancelled), from the plan or the start page."""
    actor = collaborating_actor(request)
    access = plan_patient_access_for(actor=actor, pk=pk)
    action = selectors.plan_part_get(access=access, model=Action, pk=action_pk)
    form = ActionStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose open, done or cancelled."))
        return redirect(_plan_url(pk, f"action-{action.pk}"))
    action = services.action_status_set(
        actor=actor, access=access, action=action, status=form.cleaned_data["status"]
    )
    if request.htmx and not request.htmx.boosted:
        # The row alone, in place (the page without JavaScript gets the redirect below).
        action = selectors.plan_part_get(access=access, model=Action, pk=action.pk)
        action.overdue = action.is_overdue()
        response = render(
            request, f"{PAGE}#action_row", {"action": action, "patient": access.patient}
        )
        patch_vary_headers(response, ["HX-Request"])
        return response
    if action.status == Action.Status.DONE:
        messages.success(request, _("Action done: %(action)s") % {"action": action.description})
    else:
        messages.success(request, _("Your change has been saved."))
    target = form.cleaned_data["next"]
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(_plan_url(pk, f"action-{action.pk}"))


# --- export ---------------------------------------------------------------------------------


def _practice_access(actor: Actor, pk):
    """Exports go to the practice's HIS: only its own staff. Others who see the plan get 403
    (the refusal logged), the rest 404."""
    access = plan_patient_access_for(actor=actor, pk=pk)
    if not access.is_own_practice:
        patient_get_for(
            actor=actor,
            pk=pk,
            action=AccessAction.EXPORT,
            object_ref=f"{PLAN_DATA}:export",
            require="is_own_practice",
        )
        raise PermissionDenied  # patient_get_for has raised already; never reached
    return access


@secure_session_required
@require_GET
def plan_fhir(request, pk):
    """The plan as a FHIR R4 Bundle (CarePlan, Goals, the actions), to download."""
    actor = collaborating_actor(request)
    access = _practice_access(actor, pk)
    name, bundle = plan_resource_download(actor=actor, access=access)
    response = HttpResponse(
        json.dumps(bundle, ensure_ascii=False, indent=2), content_type="application/fhir+json"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@secure_session_required
@require_POST
def plan_his_export(request, pk):
    """Report the plan back to the practice's HIS (a SOEP note with the FHIR Bundle)."""
    actor = collaborating_actor(request)
    access = _practice_access(actor, pk)
    export = plan_his_export_create(actor=actor, access=access)
    if his_endpoint_for(practice_id=access.patient.practice_id):
        messages.success(request, _("The health plan is being sent to the HIS."))
    else:
        messages.info(
            request,
            _(
                "Your practice has no HIS connection: download the note and paste it into "
                "the patient's journal."
            ),
        )
    return redirect(_plan_url(pk, f"export-{export.pk}"))


@secure_session_required
@require_GET
def plan_his_export_download(request, pk, export_pk):
    actor = collaborating_actor(request)
    access = _practice_access(actor, pk)
    name, text = plan_his_export_file_get(actor=actor, access=access, pk=export_pk)
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response

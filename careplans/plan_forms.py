"""Forms of the health plan. They validate; the services write (and check again)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from careplans.models import Action, Goal, Problem
from careplans.plan_access import action_owners_for
from his.models import icpc_code_normalise, validate_icpc_code

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class _Versioned(forms.Form):
    """Updates carry the version they were made from (``plan_services``: no silent overwrite)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)


class ProblemForm(forms.Form):
    title = forms.CharField(label=_("Problem"), max_length=200)
    icpc_code = forms.CharField(
        label=_("ICPC code (optional)"),
        max_length=10,
        required=False,
        help_text=_("For example R95 (COPD) or K77 (heart failure)."),
    )

    def clean_icpc_code(self):
        code = icpc_code_normalise(self.cleaned_data["icpc_code"])
        validate_icpc_code(code)
        return code


class ProblemEditForm(ProblemForm, _Versioned):
    status = forms.ChoiceField(label=_("Status"), choices=Problem.Status.choices)


class GoalForm(forms.Form):
    description = forms.CharField(label=_("Goal"), max_length=300)
    what_matters = forms.CharField(
        label=_("What matters to the patient"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )
    target_value = forms.CharField(label=_("Target value"), max_length=200, required=False)
    evaluation_date = forms.DateField(label=_("Evaluation date"), required=False, widget=DATE)


class GoalEditForm(GoalForm, _Versioned):
    status = forms.ChoiceField(label=_("Status"), choices=Goal.Status.choices)


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, membership):
        return f"{membership.user.full_name} ({membership.organisation.name})"


class ActionForm(forms.Form):
    description = forms.CharField(label=_("Action"), max_length=300)
    owner = OwnerChoiceField(
        label=_("Who does it"),
        queryset=None,
        error_messages={
            "invalid_choice": _(
                "Choose someone from this patient's care network: only they can own an action."
            ),
            "required": _("Choose who does it."),
        },
    )
    due_date = forms.DateField(label=_("Due date"), required=False, widget=DATE)

    def __init__(self, *args, patient, owners=None, keeping=None, **kwargs):
        super().__init__(*args, **kwargs)
        # ``owners``: the list already read for this page (one query for every form on it);
        # ``keeping``: the action's current owner (see ``action_owners_for``).
        self.fields["owner"].queryset = action_owners_for(patient, keeping=keeping)
        if owners is not None:
            self.fields["owner"].choices = [("", "---------")] + [
                (m.pk, self.fields["owner"].label_from_instance(m)) for m in owners
            ]


class ActionEditForm(ActionForm, _Versioned):
    status = forms.ChoiceField(label=_("Status"), choices=Action.Status.choices)


class ActionStatusForm(forms.Form):
    status = forms.ChoiceField(choices=Action.Status.choices)
    next = forms.CharField(required=False, max_length=200)

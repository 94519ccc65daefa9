from __future__ import annotations

import contextlib

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, Team
from files.forms import MultipleFileField
from referrals.models import CarePathway, Feedback, Referral
from referrals.services import NOT_REFERRED_TO


def network_organisations():
    """Where a practice can refer to: confirmed, active organisations that are not practices."""
    return (
        Organisation.objects.filter(is_active=True)
        .exclude(kind__in=NOT_REFERRED_TO)
        .exclude(proposed_by__isnull=False, confirmed_at__isnull=True)
        .order_by("name")
    )


def teams_of(organisation_id: int):
    """The teams one can refer to within an organisation, with the organisation their label
    names (one query for the whole list)."""
    return Team.objects.filter(organisation_id=organisation_id).select_related("organisation")


class ReferralForm(forms.Form):
    to_organisation = forms.ModelChoiceField(
        label=_("Refer to"), queryset=network_organisations(), empty_label=_("Choose…")
    )
    to_team = forms.ModelChoiceField(
        label=_("Team (optional)"), queryset=Team.objects.none(), required=False
    )
    care_pathway = forms.ModelChoiceField(
        label=_("Care pathway"),
        queryset=CarePathway.objects.filter(is_active=True),
        required=False,
        empty_label=_("none"),
    )
    urgency = forms.ChoiceField(
        label=_("Urgency"), choices=Referral.Urgency.choices, initial=Referral.Urgency.ROUTINE
    )
    question = forms.CharField(
        label=_("Question or reason"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000
    )
    files = MultipleFileField(
        label=_("Attachments (optional)"),
        required=False,
        help_text=_("Letters, reports or photos: PDF, JPEG, PNG or WebP, at most 5 files."),
    )
    client_key = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, preview_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_organisation"].queryset = network_organisations()
        chosen = self.data.get("to_organisation") or self.initial.get("to_organisation")
        with contextlib.suppress(TypeError, ValueError):
            self.fields["to_team"].queryset = teams_of(int(chosen))
        if preview_url:
            self._refresh_preview_from(preview_url)

    def _refresh_preview_from(self, url: str) -> None:
        """htmx: a change of organisation renews the team choice and the preview (``#receiver``);
        a change of team or care pathway the preview alone, so the select keeps its focus. The
        request is a GET that carries the choices only — never the token or the question."""
        refresh = {"hx-get": url, "hx-trigger": "change", "hx-swap": "outerHTML"}
        self.fields["to_organisation"].widget.attrs.update(
            refresh,
            **{
                "hx-include": "#id_care_pathway",
                "hx-target": "#receiver",
                "hx-select": "#receiver",
            },
        )
        for name, include in (
            ("to_team", "#id_to_organisation, #id_care_pathway"),
            ("care_pathway", "#id_to_organisation, #id_to_team"),
        ):
            self.fields[name].widget.attrs.update(
                refresh,
                **{"hx-include": include, "hx-target": "#preview", "hx-select": "#preview"},
            )


class ColleagueForm(forms.Form):
    membership = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class TransitionForm(forms.Form):
    reason = forms.CharField(required=False, max_length=2000, widget=forms.Textarea)


class FeedbackForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Feedback.Kind.choices)
    findings = forms.CharField(
        label=_("Findings"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    conclusion = forms.CharField(
        label=_("Conclusion"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    treatment_plan = forms.CharField(
        label=_("Treatment plan and goals"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    sessions = forms.IntegerField(
        label=_("Number of sessions"), required=False, min_value=0, max_value=500
    )
    advice = forms.CharField(
        label=_("Advice to the GP"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    files = MultipleFileField(
        label=_("Attachments (optional)"),
        required=False,
        help_text=_("A report or photo: PDF, JPEG, PNG or WebP, at most 5 files."),
    )


class ReferralListForm(forms.Form):
    tab = forms.ChoiceField(
        choices=[(t, t) for t in ("new", "treatment", "ended", "sent")], required=False
    )


class QuestionForm(forms.Form):
    body = forms.CharField(
        label=_("Your question"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )
    client_key = forms.UUIDField(widget=forms.HiddenInput)


class DraftForm(forms.Form):
    """A draft's changeable parts: the receiving organisation stays."""

    to_team = forms.ModelChoiceField(
        label=_("Team (optional)"), queryset=Team.objects.none(), required=False
    )
    care_pathway = ReferralForm.base_fields["care_pathway"]
    urgency = ReferralForm.base_fields["urgency"]
    question = ReferralForm.base_fields["question"]
    files = MultipleFileField(
        label=_("Add attachments (optional)"),
        required=False,
        help_text=_("Letters, reports or photos: PDF, JPEG, PNG or WebP, at most 5 files."),
    )

    def __init__(self, *args, referral, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_team"].queryset = teams_of(referral.to_organisation_id)
        self.fields["care_pathway"].queryset = CarePathway.objects.filter(is_active=True)

"""Forms of the MDO. They validate; the services write (and check again)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MeetingForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        help_text=_(
            "For example “MDO ouderenzorg Stiens”. No patient names: the title is shown "
            "to every participant."
        ),
    )
    held_on = forms.DateField(label=_("Date"), widget=DATE)
    held_time = forms.TimeField(
        label=_("Time"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )


class _MembershipChoice(forms.Form):
    """A choice among memberships given as a list (no query per rendered form: the meeting
    page shows one form per agenda item)."""

    field_name = ""

    def __init__(self, *args, memberships=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._memberships = {m.pk: m for m in memberships}
        field = self.fields[self.field_name]
        field.choices = [("", field.empty_label)] + [
            (m.pk, f"{m.user.full_name} – {m.organisation.name}") for m in memberships
        ]


class ParticipantForm(_MembershipChoice):
    field_name = "membership"
    membership = forms.TypedChoiceField(
        label=_("Participant"),
        coerce=int,
        error_messages={"invalid_choice": _("Choose someone from the list.")},
    )
    membership.empty_label = _("Choose a person")

    def clean_membership(self):
        return self._memberships[self.cleaned_data["membership"]]


class AgendaItemForm(forms.Form):
    patient_number = forms.CharField(
        label=_("Patient (HIS number or BSN)"),
        max_length=64,
        help_text=_("A patient you may see yourself."),
    )
    question = forms.CharField(
        label=_("Question for the MDO"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Your preparation"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class MinutesForm(forms.Form):
    text = forms.CharField(
        label=_("Minutes"), max_length=8000, widget=forms.Textarea(attrs={"rows": 4})
    )


class AgreementForm(_MembershipChoice):
    field_name = "owner"
    text = forms.CharField(label=_("Agreement"), max_length=300)
    owner = forms.TypedChoiceField(
        label=_("Who (optional)"),
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": _("Choose a participant from the list.")},
    )
    owner.empty_label = _("Nobody in particular")
    due_date = forms.DateField(label=_("Due date (optional)"), required=False, widget=DATE)

    def clean_owner(self):
        value = self.cleaned_data.get("owner")
        return self._memberships.get(value) if value else None


class StatusForm(forms.Form):
    action = forms.ChoiceField(choices=[("start", "start"), ("close", "close")])

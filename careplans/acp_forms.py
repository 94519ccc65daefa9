"""The national PZP form (IKNL "Uniform vastleggen proactieve zorgplanning") as a Django form.

It never saves anything itself: ``careplans.acp_services.acp_record`` does, with the cleaned
data. Bad input changes nothing and says in Dutch what to fix.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from careplans.models import ACP_FIELDS, TREATMENTS, AcpVersion, TreatmentDecision

PRESENT_ROWS = 3
PRESENT_PARTS = (
    ("name", gettext_lazy("Name")),
    ("role", gettext_lazy("Role")),
    ("relation", gettext_lazy("Relationship to the patient")),
)


class MemberChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.user.full_name} ({obj.organisation.name})"


class AcpForm(forms.ModelForm):
    based_on = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    shared_with = MemberChoiceField(
        label=gettext_lazy("Which care providers in the care network may read it?"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = AcpVersion
        fields = [f for f in ACP_FIELDS if f != "present"]
        widgets = {
            "conversation_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            **{
                name: forms.Textarea(attrs={"rows": 2})
                for name in ACP_FIELDS
                if name.endswith("_note")
                or name in ("care_wishes", "other_matters", "earlier_agreements")
            },
            **{name: forms.RadioSelect for name, _label in TREATMENTS},
        }
        error_messages = {
            "conversation_date": {
                "required": gettext_lazy("Enter the date of the conversation."),
                "invalid": gettext_lazy("Enter the date of the conversation as dd-mm-yyyy."),
            }
        }

    def __init__(self, *args, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shared_with"].queryset = members
        for number in range(1, PRESENT_ROWS + 1):
            for part, label in PRESENT_PARTS:
                self.fields[f"present_{number}_{part}"] = forms.CharField(
                    label=label, max_length=200, required=False
                )
        for name, _label in TREATMENTS:
            self.fields[name].choices = TreatmentDecision.choices  # no empty choice

    @classmethod
    def initial_from(cls, version: AcpVersion | None, *, shared_ids=()) -> dict:
        """The form's start: the newest version's content (a change starts from it)."""
        if version is None:
            return {"based_on": 0}
        initial = {field: getattr(version, field) for field in ACP_FIELDS if field != "present"}
        for number, row in enumerate(version.present[:PRESENT_ROWS], 1):
            for part, _label in PRESENT_PARTS:
                initial[f"present_{number}_{part}"] = row.get(part, "")
        initial["based_on"] = version.number
        initial["shared_with"] = list(shared_ids)
        return initial

    def present_rows(self):
        """The bound fields of each present-row, for the template."""
        return [
            [self[f"present_{n}_{part}"] for part, _label in PRESENT_PARTS]
            for n in range(1, PRESENT_ROWS + 1)
        ]

    def clean(self):
        data = super().clean()
        for name, label in TREATMENTS:
            if data.get(name) == TreatmentDecision.OTHER and not data.get(f"{name}_note", ""):
                self.add_error(
                    f"{name}_note",
                    _("You chose “other” for %(treatment)s: describe what was agreed.")
                    % {"treatment": str(label).lower()},
                )
        if data.get("other") not in (None, TreatmentDecision.UNKNOWN) and not data.get(
            "other_treatment"
        ):
            self.add_error("other_treatment", _("Name the other treatment."))
        if data.get("shared_with") and not data.get("consent_network"):
            self.add_error(
                "shared_with",
                _(
                    "The patient has not agreed to share with the care network: tick that "
                    "first, or choose nobody."
                ),
            )
        elif data.get("consent_network") and not data.get("shared_with"):
            self.add_error(
                "shared_with",
                _("Choose who in the care network may read it (the patient agreed to share)."),
            )
        data["present"] = [
            row
            for row in (
                {
                    part: (data.pop(f"present_{n}_{part}", "") or "").strip()
                    for part, _label in PRESENT_PARTS
                }
                for n in range(1, PRESENT_ROWS + 1)
            )
            if any(row.values())
        ]
        return data

"""Forms for home measurements. Numbers accept a Dutch decimal comma ("72,5") as well as a
point; plausibility is the service's (one place), the form only parses."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from questionnaires.models import KINDS, MeasurementKind


class DecimalCommaField(forms.CharField):
    """A number typed on a phone: "72,5", "72.5" or " 72 " all mean what they say."""

    def __init__(self, *, decimals: int = 1, **kwargs):
        self.decimals = decimals
        kwargs.setdefault("max_length", 12)
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update({"inputmode": "decimal", "autocomplete": "off", "class": "form-control-lg"})
        attrs.pop("maxlength", None)
        return attrs

    def clean(self, value):
        text = super().clean(value)
        if text in ("", None):
            return None
        text = text.strip().replace(" ", "").replace(",", ".")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise forms.ValidationError(_("Enter a number, such as 72,5.")) from None
        if not number.is_finite() or abs(number) >= 100000:
            raise forms.ValidationError(_("Enter a number, such as 72,5."))
        return number.quantize(Decimal(1) / 10**self.decimals)


class MeasurementForm(forms.Form):
    kind = forms.ChoiceField(choices=MeasurementKind.choices, widget=forms.HiddenInput)
    value = DecimalCommaField(label=_("Value"))
    value2 = DecimalCommaField(label=_("Lower pressure (diastolic)"), required=False)
    date = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    time = forms.TimeField(
        label=_("Time"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    client_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, kind: str = MeasurementKind.BLOOD_PRESSURE, **kwargs):
        now = timezone.localtime()
        kwargs.setdefault(
            "initial",
            {
                "kind": kind,
                "date": now.date().isoformat(),
                "time": now.strftime("%H:%M"),  # what <input type=time> shows and sends
                "client_key": uuid.uuid4(),
            },
        )
        super().__init__(*args, **kwargs)
        kind = self.data.get("kind", kind) if self.is_bound else kind
        self.kind = kind if kind in KINDS else MeasurementKind.BLOOD_PRESSURE
        spec = KINDS[self.kind]
        self.spec = spec
        self.fields["value"].decimals = spec.decimals or 0
        if self.kind == MeasurementKind.BLOOD_PRESSURE:
            self.fields["value"].label = _("Upper pressure (systolic)")
            self.fields["value2"].required = True
        else:
            self.fields["value"].label = f"{MeasurementKind(self.kind).label} ({spec.unit})"
            del self.fields["value2"]

    @property
    def measured_at(self) -> datetime.datetime:
        data = self.cleaned_data
        return timezone.make_aware(datetime.datetime.combine(data["date"], data["time"]))


class ThresholdForm(forms.Form):
    kind = forms.ChoiceField(label=_("Measurement"), choices=MeasurementKind.choices)
    low = DecimalCommaField(label=_("Lower limit"), required=False)
    high = DecimalCommaField(label=_("Upper limit"), required=False)
    low2 = DecimalCommaField(label=_("Lower limit of the lower pressure"), required=False)
    high2 = DecimalCommaField(label=_("Upper limit of the lower pressure"), required=False)
    count = forms.IntegerField(
        label=_("Alert after this many readings outside the limits"),
        min_value=1,
        max_value=20,
        initial=1,
    )
    window_hours = forms.IntegerField(
        label=_("… within this many hours"), min_value=1, max_value=24 * 14, required=False
    )

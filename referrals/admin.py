"""The helpdesk keeps the list of care pathways here. Referrals themselves are not in the admin:
they hold patient data, which only the access rule in ``network/access.py`` may hand out."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from his.admin import EndpointAdmin, HisEndpointForm
from referrals.models import ICPC_PREFIX_RE, CarePathway, ReferralEndpoint


class CarePathwayForm(forms.ModelForm):
    required_icpc = forms.CharField(
        label=_("required ICPC codes"),
        required=False,
        help_text=_("Separate codes with commas, e.g. T90 or T90, T89. Leave empty for none."),
    )

    class Meta:
        model = CarePathway
        fields = ["name", "is_active", "required_icpc", "requirement_text"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["required_icpc"] = ", ".join(self.instance.required_icpc)

    def clean_required_icpc(self) -> list[str]:
        codes = [c.strip().upper() for c in self.cleaned_data["required_icpc"].split(",")]
        codes = [c for c in codes if c]
        wrong = [c for c in codes if not ICPC_PREFIX_RE.fullmatch(c)]
        if wrong:
            raise forms.ValidationError(
                _("Not an ICPC code: %(codes)s.") % {"codes": ", ".join(wrong)}
            )
        return codes


@admin.register(CarePathway)
class CarePathwayAdmin(admin.ModelAdmin):
    form = CarePathwayForm
    list_display = ["name", "is_active", "codes"]
    list_filter = ["is_active"]
    search_fields = ["name"]

    @admin.display(description=_("required ICPC codes"))
    def codes(self, obj: CarePathway) -> str:
        return ", ".join(obj.required_icpc) or "—"

    def has_delete_permission(self, request, obj=None) -> bool:
        # Referrals point at their pathway: switch it off instead.
        return False


class ReferralEndpointForm(HisEndpointForm):
    url = forms.URLField(label=_("address for referrals"), max_length=500, assume_scheme="https")
    token_missing = _("Enter the token the organisation's software supplier gave.")

    class Meta:
        model = ReferralEndpoint
        fields = ["organisation", "url", "token", "is_active"]


@admin.register(ReferralEndpoint)
class ReferralEndpointAdmin(EndpointAdmin):
    """Where a network organisation's own system takes referrals (FHIR ServiceRequest + Task)."""

    form = ReferralEndpointForm
    owner = "organisation"

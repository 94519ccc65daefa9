"""Connections to other systems, kept by the helpdesk: the address and a write-only token.

``EndpointAdmin`` and ``HisEndpointForm`` serve every such connection (the referrals app's
too): the token is never rendered back, only a hint of its last characters.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from his.models import HisEndpoint


def token_masked(token: str) -> str:
    """Enough to tell two tokens apart, never enough to use one."""
    if not token:
        return "–"
    return f"•••• {token[-4:]}" if len(token) >= 16 else "••••"


class HisEndpointForm(forms.ModelForm):
    url = forms.URLField(label=_("HIS address"), max_length=500, assume_scheme="https")
    # Write-only: never rendered back, so it cannot be read off a screen or a page's source.
    token = forms.CharField(
        label=_("token"),
        required=False,
        strip=True,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "Sent to the HIS as “Authorization: Bearer …”. It is never shown again; "
            "leave empty to keep the current token."
        ),
    )

    token_missing = _("Enter the token the HIS supplier gave the practice.")

    class Meta:
        model = HisEndpoint
        fields = ["practice", "url", "token", "is_active"]

    def clean_token(self):
        token = self.cleaned_data["token"]
        if token:
            return token
        if self.instance.pk and self.instance.token:
            return self.instance.token
        raise ValidationError(self.token_missing)


class EndpointAdmin(admin.ModelAdmin):
    """A connection to another system: its owner (``owner``), address, write-only token."""

    owner = "practice"
    list_filter = ["is_active"]
    readonly_fields = ["token_hint", "created_at", "updated_at"]

    def __init__(self, *args, **kwargs):
        owner = self.owner
        self.list_display = [owner, "url", "is_active", "token_hint", "updated_at"]
        self.search_fields = [f"{owner}__name", f"{owner}__agb_code", "url"]
        self.list_select_related = [owner]
        self.autocomplete_fields = [owner]
        self.fields = [owner, "url", "token", "token_hint", "is_active", "created_at", "updated_at"]
        super().__init__(*args, **kwargs)

    @admin.display(description=_("current token"))
    def token_hint(self, obj):
        return token_masked(obj.token) if obj else "–"


@admin.register(HisEndpoint)
class HisEndpointAdmin(EndpointAdmin):
    form = HisEndpointForm

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership
from conversations.models import HisEndpoint, SharedInbox, SharedInboxMember

# --- HIS connections --------------------------------------------------------------------------


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


# --- Shared inboxes ---------------------------------------------------------------------------


class SharedInboxMemberForm(forms.ModelForm):
    class Meta:
        model = SharedInboxMember
        fields = ["user"]

    def clean(self):
        cleaned = super().clean()
        inbox, user = self.instance.inbox, cleaned.get("user")
        if user is not None and inbox.organisation_id:
            works_there = (
                Membership.objects.active()
                .filter(user=user, organisation_id=inbox.organisation_id)
                .exists()
            )
            if not works_there:
                raise ValidationError(
                    {"user": _("Only people who work for the inbox's organisation can read it.")}
                )
        return cleaned


class SharedInboxMemberInline(admin.TabularInline):
    model = SharedInboxMember
    form = SharedInboxMemberForm
    extra = 0
    fields = ["user", "added_by", "added_at"]
    readonly_fields = ["added_by", "added_at"]
    autocomplete_fields = ["user"]


class SharedInboxForm(forms.ModelForm):
    class Meta:
        model = SharedInbox
        fields = ["organisation", "team", "name", "is_active"]

    def clean(self):
        cleaned = super().clean()
        organisation, team = cleaned.get("organisation"), cleaned.get("team")
        if organisation and team and team.organisation_id != organisation.pk:
            raise ValidationError({"team": _("Choose a team of this organisation.")})
        return cleaned


@admin.register(SharedInbox)
class SharedInboxAdmin(admin.ModelAdmin):
    form = SharedInboxForm
    list_display = ["name", "organisation", "team", "member_count", "is_active"]
    list_filter = ["is_active", "organisation__kind"]
    search_fields = ["name", "organisation__name", "team__name"]
    list_select_related = ["organisation", "team"]
    autocomplete_fields = ["organisation", "team"]
    inlines = [SharedInboxMemberInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("members"))

    @admin.display(description=_("members"), ordering="member_count")
    def member_count(self, obj):
        return obj.member_count

    def save_formset(self, request, form, formset, change):
        for member in formset.save(commit=False):
            if member.pk is None:
                member.added_by = request.user
            member.save()
        for member in formset.deleted_objects:
            member.delete()

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from accounts import services
from network import services as network_services
from network.models import (
    AuthorisationRule,
    AuthorisationRuleChange,
    DataCategory,
    Extraction,
    Membership,
    Organisation,
    Team,
)


class TeamInline(admin.TabularInline):
    model = Team
    extra = 0
    fields = ["name", "is_active"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "agb_code", "city", "phone", "is_active", "awaiting"]
    list_filter = ["kind", "is_active", ("proposed_by", admin.EmptyFieldListFilter)]
    readonly_fields = ["proposed_by", "confirmed_at"]
    actions = ["confirm"]
    search_fields = ["name", "agb_code", "city", "email"]
    inlines = [TeamInline]
    fieldsets = [
        (None, {"fields": ["name", "kind", "agb_code", "is_active"]}),
        (_("Address and contact"), {"fields": ["street", "postal_code", "city", "phone", "email"]}),
        (_("Proposed by a practice"), {"fields": ["proposed_by", "confirmed_at"]}),
    ]

    @admin.display(description=_("waiting for confirmation"), boolean=True)
    def awaiting(self, obj):
        return obj.awaits_confirmation

    @admin.action(
        description=_("Confirm and send the invitations that waited for it"), permissions=["change"]
    )
    def confirm(self, request, queryset):
        sent = confirmed = 0
        for organisation in queryset:
            try:
                sent += services.organisation_confirm(
                    helpdesk_user=request.user, organisation=organisation
                )
                confirmed += 1
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, f"{organisation}: {exc}", messages.ERROR)
        if confirmed:
            self.message_user(
                request,
                _("Confirmed; %(n)d waiting invitation(s) sent.") % {"n": sent},
                messages.SUCCESS,
            )

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.awaits_confirmation:
            # Activating a proposed organisation must go through "confirm", which also
            # sends the invitations that waited for it.
            fields.append("is_active")
        return fields


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "is_active"]
    list_filter = ["is_active", "organisation__kind"]
    search_fields = ["name", "organisation__name"]
    list_select_related = ["organisation"]
    autocomplete_fields = ["organisation"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    def get_form(self, request, obj=None, change=False, **kwargs):
        from accounts.admin import MembershipAdminForm, membership_form_for

        kwargs["form"] = membership_form_for(request, MembershipAdminForm)
        return super().get_form(request, obj, change, **kwargs)

    list_display = [
        "user",
        "organisation",
        "level",
        "role",
        "has_patient_data_access",
        "is_active",
    ]
    list_filter = ["organisation__kind", "level", "role", "has_patient_data_access", "is_active"]
    search_fields = [
        "user__email",
        "user__first_name",
        "user__last_name",
        "organisation__name",
        "organisation__agb_code",
    ]
    list_select_related = ["user", "organisation"]
    autocomplete_fields = ["user", "organisation", "acts_for"]
    filter_horizontal = ["teams"]

    # Only a level-A colleague of the practice ticks patient-data access (in the product): here
    # it is read-only for everyone, superusers included, and a new membership starts without.
    readonly_fields = ["has_patient_data_access"]

    def save_model(self, request, obj, form, change):
        from accounts.admin import membership_save_from_admin

        membership_save_from_admin(request, obj, form)

    def has_delete_permission(self, request, obj=None):
        return False


from network import admin_import  # noqa: E402,F401  (registers the partner-import admin)


@admin.register(AuthorisationRule)
class AuthorisationRuleAdmin(admin.ModelAdmin):
    """The matrix as one table: tick the boxes and save; every change is kept."""

    list_display = ["organisation_kind", *DataCategory.values, "updated_at"]
    list_editable = list(DataCategory.values)
    list_display_links = None
    fields = ["organisation_kind", *DataCategory.values]
    readonly_fields = ["organisation_kind"]

    def has_add_permission(self, request):
        return False  # one row per organisation kind, seeded by a migration

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        allowed = {c: form.cleaned_data[c] for c in DataCategory.values if c in form.cleaned_data}
        network_services.authorisation_rule_update(rule=obj, allowed=allowed, by=request.user)


@admin.register(AuthorisationRuleChange)
class AuthorisationRuleChangeAdmin(admin.ModelAdmin):
    list_display = ["changed_at", "organisation_kind", "changed_by", "summary"]
    list_filter = ["organisation_kind"]
    date_hierarchy = "changed_at"

    @admin.display(description=_("change"))
    def summary(self, obj):
        return "; ".join(
            f"{label}: {_yes_no(before)} → {_yes_no(after)}"
            for label, before, after in obj.differences
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _yes_no(value) -> str:
    return str(_("yes") if value else _("no"))


@admin.register(Extraction)
class ExtractionAdmin(admin.ModelAdmin):
    """Import status for the helpdesk; the file itself (patient data) is never shown."""

    list_display = ["created_at", "practice", "file_name", "uploaded_by", "status", "processed"]
    list_filter = ["status"]
    search_fields = ["practice__name", "file_name"]
    fields = [
        "practice",
        "file_name",
        "size",
        "uploaded_by",
        "status",
        "total",
        "processed",
        "created_at",
        "started_at",
        "finished_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content", "errors")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from accounts import services
from network.models import Membership, Organisation, Team


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
        from accounts.admin import MembershipAdminForm

        kwargs["form"] = MembershipAdminForm
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
    autocomplete_fields = ["user", "organisation"]
    filter_horizontal = ["teams"]

    def get_readonly_fields(self, request, obj=None):
        # Only a level-A colleague of the practice ticks patient-data access (in the product).
        return [] if request.user.is_superuser else ["has_patient_data_access"]

    def save_model(self, request, obj, form, change):
        from accounts.admin import membership_save_from_admin

        membership_save_from_admin(request, obj, form)

    def has_delete_permission(self, request, obj=None):
        return False


from network import admin_import  # noqa: E402,F401  (registers the partner-import admin)

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from network.models import Membership, Organisation, Team


class TeamInline(admin.TabularInline):
    model = Team
    extra = 0
    fields = ["name", "is_active"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "agb_code", "city", "phone", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "agb_code", "city", "email"]
    inlines = [TeamInline]
    fieldsets = [
        (None, {"fields": ["name", "kind", "agb_code", "is_active"]}),
        (_("Address and contact"), {"fields": ["street", "postal_code", "city", "phone", "email"]}),
    ]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "is_active"]
    list_filter = ["is_active", "organisation__kind"]
    search_fields = ["name", "organisation__name"]
    list_select_related = ["organisation"]
    autocomplete_fields = ["organisation"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
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

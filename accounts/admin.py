from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import Absence, User
from network.models import Membership


class AbsenceInline(admin.TabularInline):
    model = Absence
    extra = 0
    fields = ["start", "end", "message"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["organisation", "level", "role", "has_patient_data_access", "is_active"]
    autocomplete_fields = ["organisation"]
    can_delete = False
    show_change_link = True


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["last_name", "first_name"]
    list_display = ["email", "full_name", "agb_code", "is_active", "is_staff", "last_login"]
    list_filter = ["is_active", "is_staff", "memberships__organisation__kind", "memberships__level"]
    search_fields = [
        "email",
        "first_name",
        "last_name",
        "agb_code",
        "memberships__organisation__name",
    ]
    readonly_fields = ["last_login", "date_joined", "is_demo_account"]
    inlines = [MembershipInline, AbsenceInline]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "initials", "last_name", "password1", "password2"],
            },
        ),
    ]
    base_fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (
            _("Personal details"),
            {
                "fields": [
                    "initials",
                    "first_name",
                    "infix",
                    "last_name",
                    "agb_code",
                    "mobile",
                    "functions",
                    "working_days",
                    "language",
                ]
            },
        ),
        (
            _("E-mail notifications"),
            {
                "fields": [
                    "notify_messages",
                    "notify_consultations",
                    "notify_referrals",
                    "notify_care_network",
                ]
            },
        ),
        (_("Status"), {"fields": ["is_active", "last_login", "date_joined", "is_demo_account"]}),
    ]
    superuser_fieldsets = [
        (
            _("Permissions (superuser only)"),
            {"fields": ["is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
    ]

    @admin.display(description=_("name"), ordering="last_name")
    def full_name(self, obj):
        return obj.full_name

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.add_fieldsets
        if request.user.is_superuser:
            return self.base_fieldsets + self.superuser_fieldsets
        # The helpdesk never grants admin rights or permissions, not even to itself.
        return self.base_fieldsets

    def has_change_permission(self, request, obj=None):
        # Changing a superuser's e-mail address or password is taking over the account: the
        # helpdesk may look at superusers but only a superuser changes them.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def get_queryset(self, request):
        return super().get_queryset(request).distinct()

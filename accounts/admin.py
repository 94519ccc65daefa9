from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.models import Absence, StaffChange, User
from network.models import Membership


class AbsenceInline(admin.TabularInline):
    model = Absence
    extra = 0
    fields = ["start", "end", "message"]


class MembershipAdminForm(forms.ModelForm):
    """Who and where are fixed once a membership exists: end it and add a new one instead."""

    class Meta:
        model = Membership
        fields = [
            "user",
            "organisation",
            "level",
            "role",
            "has_patient_data_access",
            "acts_for",
            "teams",
            "is_active",
        ]

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            for field in ("user", "organisation"):
                if field in self.changed_data:
                    self.add_error(
                        field,
                        _("This cannot be changed; end this membership and add a new one."),
                    )
        return cleaned


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "user"
    form = MembershipAdminForm
    extra = 0
    fields = ["organisation", "level", "role", "has_patient_data_access", "is_active"]
    autocomplete_fields = ["organisation"]
    can_delete = False
    show_change_link = True

    def get_readonly_fields(self, request, obj=None):
        return [] if request.user.is_superuser else ["has_patient_data_access"]


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
    readonly_fields = ["last_login", "date_joined", "is_demo_account", "is_active"]
    actions = ["deactivate", "reactivate"]
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

    def has_delete_permission(self, request, obj=None):
        # Accounts are deactivated, never deleted: messages and log entries stay attributed.
        return False

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        formset.save(commit=False)
        for membership_form in formset.forms:
            if membership_form.has_changed() and membership_form.cleaned_data:
                membership_save_from_admin(request, membership_form.instance, membership_form)
        formset.save_m2m()
        return None

    @admin.action(description=_("Deactivate (ends all sessions now)"), permissions=["change"])
    def deactivate(self, request, queryset):
        self._each(request, queryset, services.user_deactivate, _("%(n)d account(s) deactivated."))

    @admin.action(description=_("Reactivate"), permissions=["change"])
    def reactivate(self, request, queryset):
        self._each(request, queryset, services.user_reactivate, _("%(n)d account(s) reactivated."))

    def _each(self, request, queryset, service, done_message):
        done = 0
        for user in queryset:
            try:
                service(actor=request.user, user=user)
                done += 1
            except (ValidationError, PermissionDenied):
                self.message_user(
                    request, _("%(user)s: not allowed.") % {"user": user}, messages.WARNING
                )
        self.message_user(request, done_message % {"n": done}, messages.SUCCESS)


def membership_save_from_admin(request, membership, form) -> None:
    """Admin edits of memberships go through the services, so they are recorded."""
    if membership.pk is None:
        membership.save()
        services.staff_change_record(
            actor=request.user,
            action=StaffChange.Action.MEMBERSHIP_CREATED,
            subject=membership.user,
            organisation=membership.organisation,
            level=membership.level,
            role=membership.role,
            patient_data_access=membership.has_patient_data_access,
        )
        return
    current = Membership.objects.get(pk=membership.pk)
    changed = set(form.changed_data)
    services.membership_update(
        actor=request.user,
        membership=current,
        level=membership.level if "level" in changed else None,
        role=membership.role if "role" in changed else None,
        is_active=membership.is_active if "is_active" in changed else None,
        # Only editable (so only ever changed) for a superuser; see the admins' readonly fields.
        has_patient_data_access=(
            membership.has_patient_data_access if "has_patient_data_access" in changed else None
        ),
    )
    membership.refresh_from_db()


from accounts import admin_staff  # noqa: E402,F401  (registers the staff-management admins)

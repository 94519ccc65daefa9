"""The user admin: accounts, their memberships (inline) and absences."""

from functools import partial

from allauth.mfa.models import Authenticator
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.admin.organisations import (
    MembershipAdminForm,
    membership_form_for,
    membership_save_from_admin,
)
from accounts.models import Absence, Membership, User
from core.admin_labels import LabelledTabularInline

# allauth's own admin shows every authenticator's ``data``: the TOTP secret and the recovery-code
# seed, enough to log in as anyone whose password is known. A second factor is only ever reset.
if admin.site.is_registered(Authenticator):
    admin.site.unregister(Authenticator)


class AbsenceInline(LabelledTabularInline):
    model = Absence
    extra = 0
    fields = ["start", "end", "message"]


class MembershipInline(LabelledTabularInline):
    model = Membership
    fk_name = "user"
    form = MembershipAdminForm
    extra = 0
    fields = ["organisation", "level", "role", "has_patient_data_access", "is_active"]
    autocomplete_fields = ["organisation"]
    can_delete = False
    show_change_link = True
    # Level A of the practice ticks it in the product; the admin only shows it (to everyone).
    readonly_fields = ["has_patient_data_access"]

    def get_formset(self, request, obj=None, **kwargs):
        kwargs["form"] = membership_form_for(request, self.form)
        return super().get_formset(request, obj, **kwargs)


class UserAdminChangeForm(forms.ModelForm):
    """No password field (Django's has one, with a link to set it); the admin picks the fields
    from its fieldsets, this only adds help texts."""

    class Meta:
        model = User
        fields = ["email", "initials", "last_name"]
        help_texts = {
            "email": _(
                "Read-only: password-reset links go to this address, so the helpdesk does not "
                "change it. A change comes from the person themselves and is confirmed from the "
                "new address."
            ),
        }


class UserAddForm(forms.ModelForm):
    """A new account has no password: the person chooses one through the link they are sent."""

    class Meta:
        model = User
        fields = ["email", "initials", "last_name"]
        help_texts = {
            "email": _(
                "The person receives an e-mail here with a link to choose their own password."
            ),
        }


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
    readonly_fields = [
        "last_login",
        "date_joined",
        "is_demo_account",
        "is_active",
        "second_factors",
    ]
    actions = ["deactivate", "reactivate", "second_factor_reset", "password_reset_link_send"]
    inlines = [MembershipInline, AbsenceInline]
    form = UserAdminChangeForm
    add_form = UserAddForm
    add_form_template = None  # Django's carries the password fields' script; ours has none
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "initials", "last_name"]}),
    ]
    base_fieldsets = [
        (None, {"fields": ["email"]}),
        (
            _("Personal details"),
            {
                "fields": [
                    "initials",
                    "first_name",
                    "infix",
                    "last_name",
                    "agb_code",
                    "uzi_number",
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
        (
            _("Status"),
            {
                "fields": [
                    "is_active",
                    "last_login",
                    "date_joined",
                    "is_demo_account",
                    "second_factors",
                ]
            },
        ),
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

    @admin.display(description=_("second factor"))
    def second_factors(self, obj):
        """Which kinds and when: never an authenticator's ``data`` (secret, seed, key)."""
        rows = (
            Authenticator.objects.filter(user=obj)
            .order_by("type")
            .values_list("type", "created_at", "last_used_at")
        )
        labels = dict(Authenticator.Type.choices)
        shown = [
            (
                labels.get(kind, kind),
                _("set up %(date)s") % {"date": _when(created)},
                _("last used %(date)s") % {"date": _when(used)} if used else _("never used"),
            )
            for kind, created, used in rows
        ]
        if not shown:
            return _("none")
        return format_html_join("", "<div>{} ({}, {})</div>", shown)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        # E-mail: where reset links go. Changing it would hand the account to whoever owns the
        # new address, so nobody changes it here, not even a superuser.
        return [*self.readonly_fields, "email"]

    def user_change_password(self, request, id, form_url=""):
        # The helpdesk never sets a password: it sends a reset link (an action) instead. A
        # superuser (an emergency, outside the product) keeps Django's page.
        if not request.user.is_superuser:
            raise Http404
        return super().user_change_password(request, id, form_url)

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        services.account_create(actor=request.user, account=obj)
        return None

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

    @admin.action(
        description=_("Reset second factor (set up again at the next login)"),
        permissions=["change"],
    )
    def second_factor_reset(self, request, queryset):
        self._each(
            request,
            queryset,
            services.second_factor_reset,
            _("Second factor reset for %(n)d account(s); they have been e-mailed."),
        )

    @admin.action(description=_("Send password reset link"), permissions=["change"])
    def password_reset_link_send(self, request, queryset):
        self._each(
            request,
            queryset,
            partial(services.password_reset_link_send, request=request),
            _("Password reset link sent to %(n)d account(s), each to their own address."),
        )

    def _each(self, request, queryset, service, done_message):
        done = 0
        for user in queryset:
            try:
                service(actor=request.user, user=user)
                done += 1
            except PermissionDenied:
                self.message_user(
                    request, _("%(user)s: not allowed.") % {"user": user}, messages.WARNING
                )
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.WARNING)
        self.message_user(request, done_message % {"n": done}, messages.SUCCESS)


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")

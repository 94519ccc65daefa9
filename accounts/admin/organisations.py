"""The helpdesk's admin for organisations, their teams and memberships."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.models import Membership, Organisation, Team
from accounts.staff_access import may_keep_memberships_of
from core.admin_labels import LabelledTabularInline


class MembershipAdminForm(forms.ModelForm):
    """Who and where are fixed once a membership exists: end it and add a new one instead.

    ``actor`` (set by the admins from the request) never gives a membership to itself or to
    another helpdesk account; the services refuse it again (``require_membership_keeper``).
    """

    actor = None

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
        self._refuse_helpdesk_accounts(cleaned)
        return cleaned

    def _refuse_helpdesk_accounts(self, cleaned) -> None:
        if self.actor is None or not self.has_changed():
            return
        user = cleaned.get("user") or (self.instance.user if self.instance.user_id else None)
        if user is None or may_keep_memberships_of(self.actor, user):
            return
        only_ends = self.instance.pk and set(self.changed_data) == {"is_active"}
        if only_ends and not cleaned.get("is_active"):
            return  # ending one is always allowed: it takes rights away
        raise ValidationError(
            _(
                "The helpdesk gives no place in an organisation to itself or to another "
                "helpdesk account (%(email)s)."
            )
            % {"email": user.email},
            code="helpdesk_membership",
        )


def membership_form_for(request, form_class):
    """The admin form class with the acting user attached, for the check above."""
    return type(form_class.__name__, (form_class,), {"actor": request.user})


def membership_save_from_admin(request, membership, form) -> None:
    """Admin edits of memberships go through the services, so they are checked and recorded.

    Patient-data access is never among them: it is read-only in the admin.
    """
    if membership.pk is None:
        services.membership_create(actor=request.user, membership=membership)
        return
    current = Membership.objects.get(pk=membership.pk)
    changed = set(form.changed_data)
    services.membership_update(
        actor=request.user,
        membership=current,
        level=membership.level if "level" in changed else None,
        role=membership.role if "role" in changed else None,
        is_active=membership.is_active if "is_active" in changed else None,
    )
    membership.refresh_from_db()


class TeamInline(LabelledTabularInline):
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
        (None, {"fields": ["name", "kind", "agb_code", "ura_number", "is_active"]}),
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
        membership_save_from_admin(request, obj, form)

    def has_delete_permission(self, request, obj=None):
        return False

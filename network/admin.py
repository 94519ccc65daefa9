from django.contrib import admin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin_labels import labelled_form
from network import services as network_services
from network.models import AuthorisationRule, AuthorisationRuleChange, DataCategory, Extraction


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

    def get_changelist_form(self, request, **kwargs):
        # Each box sits under its category's heading with no label of its own: name it by
        # column and row ("Journaaluittreksel voor Apotheek").
        return labelled_form(super().get_changelist_form(request, **kwargs), _matrix_box_label)

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


def _matrix_box_label(form, name, field) -> str:
    return gettext("%(category)s for %(kind)s") % {
        "category": field.label,
        "kind": form.instance.get_organisation_kind_display(),
    }


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
        "error_count",
        "failure",
        "created_at",
        "started_at",
        "finished_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

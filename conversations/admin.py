from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership
from conversations.models import SharedInbox, SharedInboxMember

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

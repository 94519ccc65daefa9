"""The product's sections. A section shows only when its URL exists (its issue has landed)
and the active membership has the capability it needs."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.levels import Capability


@dataclass(frozen=True)
class Section:
    key: str
    label: str | Promise
    url_name: str
    # Shown when the active membership has any one of these (or always, when empty).
    capability: Capability | tuple[Capability, ...] | None = None

    def visible_for(self, membership) -> bool:
        if not self.capability:
            return True
        wanted = self.capability if isinstance(self.capability, tuple) else (self.capability,)
        return membership is not None and any(membership.can(c) for c in wanted)


SECTIONS: tuple[Section, ...] = (
    Section("home", _("Start"), "home"),
    Section("patients", _("Patients"), "network:patient-list", Capability.COLLABORATE),
    Section("conversations", _("Conversations"), "conversations:inbox", Capability.MESSAGES),
    Section(
        "consultations", _("Consultations"), "conversations:consultations", Capability.MESSAGES
    ),
    Section("referrals", _("Referrals"), "referrals:list", Capability.COLLABORATE),
    Section("questionnaires", _("Questionnaires"), "questionnaires:list", Capability.COLLABORATE),
    Section("meetings", _("MDO"), "meetings:list", Capability.COLLABORATE),
    Section("colleagues", _("Colleagues"), "accounts:colleague-search"),
    Section(
        "invitations",
        _("Invite"),
        "accounts:invitation-list",
        (Capability.INVITE_PROVIDERS, Capability.INVITE_COLLEAGUES),
    ),
    Section("staff", _("Practice settings"), "accounts:staff-list", Capability.MANAGE_STAFF),
)


def sections_for(membership) -> list[dict]:
    visible = []
    for section in SECTIONS:
        if not section.visible_for(membership):
            continue
        try:
            url = reverse(section.url_name)
        except NoReverseMatch:
            continue
        visible.append({"key": section.key, "label": section.label, "url": url})
    return visible

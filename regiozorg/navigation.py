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
    # A vendored Bootstrap Icons name (core/templatetags/ui.py) shown before the label.
    icon: str = "chevron-right"

    def visible_for(self, membership) -> bool:
        if not self.capability:
            return True
        wanted = self.capability if isinstance(self.capability, tuple) else (self.capability,)
        return membership is not None and any(membership.can(c) for c in wanted)


SECTIONS: tuple[Section, ...] = (
    Section("home", _("Start"), "home", icon="house-door"),
    Section("patients", _("Patients"), "network:patient-list", Capability.COLLABORATE, "people"),
    Section(
        "conversations", _("Conversations"), "conversations:inbox", Capability.MESSAGES, "chat-dots"
    ),
    Section(
        "consultations",
        _("Consultations"),
        "conversations:consultations",
        Capability.MESSAGES,
        "chat-square-text",
    ),
    Section("referrals", _("Referrals"), "referrals:list", Capability.COLLABORATE, "send"),
    Section(
        "questionnaires",
        _("Questionnaires"),
        "questionnaires:list",
        Capability.COLLABORATE,
        "clipboard2-check",
    ),
    Section("meetings", _("MDO"), "meetings:list", Capability.COLLABORATE, "camera-video"),
    Section("colleagues", _("Colleagues"), "accounts:colleague-search", icon="search"),
    Section(
        "invitations",
        _("Invite"),
        "accounts:invitation-list",
        (Capability.INVITE_PROVIDERS, Capability.INVITE_COLLEAGUES),
        "person-plus",
    ),
    Section(
        "staff", _("Practice settings"), "accounts:staff-list", Capability.MANAGE_STAFF, "gear"
    ),
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
        visible.append(
            {"key": section.key, "label": section.label, "url": url, "icon": section.icon}
        )
    return visible

"""Which help article belongs to a page: the one place that maps URL names to help keys.

A full URL name wins over its namespace. URL names are plain strings, so this app knows every
page without importing any other app.
"""

from __future__ import annotations

from support.models import HelpKey

BY_URL_NAME: dict[str, str] = {
    "home": HelpKey.APP,
    "conversations:inbox-list": HelpKey.SHARED_INBOXES,
    "conversations:inbox-members": HelpKey.SHARED_INBOXES,
    "conversations:inbox-member-change": HelpKey.SHARED_INBOXES,
}
BY_NAMESPACE: dict[str, str] = {
    "accounts": HelpKey.PROFILE,
    "network": HelpKey.CARE_NETWORK,
    "conversations": HelpKey.CONVERSATIONS,
    "referrals": HelpKey.REFERRALS,
    "careplans": HelpKey.ACP,
    "healthplan": HelpKey.HEALTH_PLAN,
    "questionnaires": HelpKey.QUESTIONNAIRES,
    "measurements": HelpKey.MEASUREMENTS,
    "meetings": HelpKey.MDO_VIDEO,
    "support": HelpKey.APP,
}


def help_key_for(resolver_match) -> str | None:
    if resolver_match is None:
        return None
    if resolver_match.view_name in BY_URL_NAME:
        return BY_URL_NAME[resolver_match.view_name]
    return BY_NAMESPACE.get(resolver_match.namespace)

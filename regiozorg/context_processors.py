from django.conf import settings

from regiozorg.navigation import sections_for


def site(request):
    context = {
        "SUPPORT_PHONE": settings.SUPPORT_PHONE,
        "SUPPORT_EMAIL": settings.SUPPORT_EMAIL,
        "SUPPORT_ORGANISATION": settings.SUPPORT_ORGANISATION,
    }
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        sections = sections_for(getattr(request, "membership", None))
        context["nav_sections"] = sections
        # The page keeps a websocket for live counts and presence when messaging is on.
        context["nav_live"] = any(s["key"] == "conversations" for s in sections) and not getattr(
            request, "second_factor_missing", False
        )
        # The referrals badge counts what the organisation received (a practice only sends).
        membership = getattr(request, "membership", None)
        context["nav_referrals"] = (
            any(s["key"] == "referrals" for s in sections)
            and membership is not None
            and not membership.organisation.is_gp_practice
        )
    return context

"""Who must have a second factor. Enforced by ``RequireSecondFactorMiddleware``."""

from __future__ import annotations

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings


def second_factor_required(*, user, memberships) -> bool:
    """Anyone who can reach patient data (or the admin) must use a second factor.

    Demo accounts are exempt only while ``DEMO_ACCOUNTS_REQUIRE_MFA`` is off (the embedded
    default), so a newcomer can look around without an authenticator app.
    """
    if not user.is_authenticated:
        return False
    if user.is_demo_account and not settings.DEMO_ACCOUNTS_REQUIRE_MFA:
        return False
    return user.is_staff or any(m.has_patient_data_access for m in memberships)


def has_second_factor(user) -> bool:
    return is_mfa_enabled(user)

"""TOTP codes for tests that log in through a real form.

allauth accepts a code only in its own 30-second period (``MFA_TOTP_TOLERANCE`` 0). A code made
in the last moments of a period can reach the server in the next one on a busy CI machine, so
these helpers wait for a fresh period when too little of the current one is left."""

from __future__ import annotations

import time

import pyotp
from allauth.mfa import app_settings as mfa_settings

# Long enough for a browser to fill the field, submit and the server to check the code, even
# with the machine under load.
MARGIN_SECONDS = 5.0


def wait_for_fresh_period(margin: float = MARGIN_SECONDS) -> None:
    period = mfa_settings.TOTP_PERIOD
    left = period - time.time() % period
    if left < margin:
        time.sleep(left + 0.05)


def totp_now(secret: str, margin: float = MARGIN_SECONDS) -> str:
    """The current code, with at least ``margin`` seconds of its period still to come."""
    wait_for_fresh_period(margin)
    return pyotp.TOTP(secret).now()

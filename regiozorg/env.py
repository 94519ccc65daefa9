"""Strict parsing of environment variables.

A typo in production configuration must stop the process at start-up with a message that
names the variable, never fall back silently to a default (``DEBUG=flase`` is not "off").
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_MISSING = object()


class Env:
    def __init__(self, environ: Mapping[str, str] | None = None):
        self.environ = os.environ if environ is None else environ

    def _raw(self, name: str, default):
        value = self.environ.get(name)
        if value is None or value.strip() == "":
            if default is _MISSING:
                raise ImproperlyConfigured(f"Environment variable {name} is required.")
            return None
        return value.strip()

    def str(self, name: str, default=_MISSING) -> str:
        value = self._raw(name, default)
        return default if value is None else value

    def bool(self, name: str, default=_MISSING) -> bool:
        value = self._raw(name, default)
        if value is None:
            return default
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ImproperlyConfigured(
            f"Environment variable {name}={value!r} is not a boolean "
            f"(use one of {sorted(_TRUE | _FALSE)})."
        )

    def int(self, name: str, default=_MISSING, *, minimum: int | None = None) -> int:
        value = self._raw(name, default)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise ImproperlyConfigured(
                f"Environment variable {name}={value!r} is not a whole number."
            ) from None
        if minimum is not None and number < minimum:
            raise ImproperlyConfigured(
                f"Environment variable {name}={number} must be at least {minimum}."
            )
        return number

    def list(self, name: str, default=_MISSING) -> list[str]:
        value = self._raw(name, default)
        if value is None:
            return list(default)
        return [item.strip() for item in value.split(",") if item.strip()]

    def choice(self, name: str, choices: tuple[str, ...], default=_MISSING) -> str:
        value = self._raw(name, default)
        if value is None:
            return default
        if value not in choices:
            raise ImproperlyConfigured(
                f"Environment variable {name}={value!r} must be one of {', '.join(choices)}."
            )
        return value

    def vapid_keys(self) -> tuple[str, str]:
        """WEBPUSH_VAPID_PRIVATE_KEY and WEBPUSH_VAPID_PUBLIC_KEY: both or neither, a pair."""
        private = self.str("WEBPUSH_VAPID_PRIVATE_KEY", "")
        public = self.str("WEBPUSH_VAPID_PUBLIC_KEY", "")
        if bool(private) != bool(public):
            raise ImproperlyConfigured(
                "WEBPUSH_VAPID_PUBLIC_KEY and WEBPUSH_VAPID_PRIVATE_KEY are set together or not "
                "at all."
            )
        if private and not vapid_keys_match(private, public):
            raise ImproperlyConfigured(
                "WEBPUSH_VAPID_PRIVATE_KEY/WEBPUSH_VAPID_PUBLIC_KEY: not a key pair of "
                "`manage.py vapid_keys` (base64url, 32 and 65 bytes, the one of the other)."
            )
        return private, public

    def push_subject(self, name: str, default: str) -> str:
        """The contact that push services see: a mailto: or https: URL."""
        value = self.str(name, default)
        if not re.fullmatch(r"(mailto:\S+@\S+|https://\S+)", value):
            raise ImproperlyConfigured(
                f"Environment variable {name}={value!r} is not a mailto: or https: URL."
            )
        return value


# The browsers' push services (Chrome/Edge via FCM, Firefox, Windows, Safari); "." + suffix:
# any subdomain.
PUSH_SERVICE_HOSTS = [
    "fcm.googleapis.com",
    "updates.push.services.mozilla.com",
    ".push.services.mozilla.com",
    ".notify.windows.com",
    "web.push.apple.com",
    ".push.apple.com",
]


def _b64url_decode(value: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def vapid_keys_match(private_key: str, public_key: str) -> bool:
    """Is ``public_key`` (base64url, 65-byte uncompressed point) the public half of
    ``private_key`` (base64url, 32 bytes)? What ``manage.py vapid_keys`` prints."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    try:
        raw_private = _b64url_decode(private_key)
        raw_public = _b64url_decode(public_key)
        if len(raw_private) != 32 or len(raw_public) != 65:
            return False
        key = ec.derive_private_key(int.from_bytes(raw_private, "big"), ec.SECP256R1())
    except ValueError:
        return False
    derived = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return derived == raw_public
